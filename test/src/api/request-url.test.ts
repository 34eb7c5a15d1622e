// parseRequestUrl must read every request target as `new URL(target, base)` does: plain
// targets are split by hand, the rest goes through URL, and handlers cannot tell which.

import { describe, expect, it } from 'vitest'
import { parseRequestUrl } from '../../../src/api/request-url.ts'

function asUrlReadsIt (target: string): unknown {
  const u = new URL(target, 'http://localhost')
  return { pathname: u.pathname, search: u.search, params: [...u.searchParams] }
}

function asParsed (target: string): unknown {
  const u = parseRequestUrl(target)
  return { pathname: u.pathname, search: u.search, params: [...u.searchParams] }
}

const TARGETS = [
  '/', '/api/v1/namespaces/default/configmaps', '/api/v1/namespaces/default/configmaps/', '/apis/apps/v1/deployments',
  '/api/v1/pods?watch=1&resourceVersion=12', '/api/v1/pods?labelSelector=app%3Dweb%2Ctier!%3Dfe&limit=5',
  '/api/v1/pods?labelSelector=env+in+(a,b)', '/api/v1/pods?', '/api/v1/pods?a&a=1&a=2&=x', '/api/v1/pods?x=%zz&y=%',
  '/api/v1/pods?q=a?b', '/a.b/c.d/..e/.f', '/a/./b', '/a/../b', '/a/.', '/a/..', '/./a', '/a/%2e/b', '/a/%2E%2E/b',
  '//host/path', '/a//b', '/a/b%2Fc', '/a b', '/a?b c', '/a?b"c', "/a?b'c", '/a?b<c>', '/a#frag', '/a?b#c', '/a\\b',
  '/é', '/a?é=ü', '/a?b=\u00e9', '/a\tb', '/api/v1/namespaces/default/pods/web-0/log?follow=true&tailLines=10'
]

describe('parseRequestUrl', () => {
  it('reads targets as URL does', () => {
    for (const t of TARGETS) expect(asParsed(t), t).toEqual(asUrlReadsIt(t))
  })

  it('reads every printable ASCII character in a path segment and in the query as URL does', () => {
    for (let c = 0x20; c < 0x7f; c++) {
      const ch = String.fromCharCode(c)
      for (const t of [`/api/x${ch}y`, `/api/${ch}`, `/api/${ch}${ch}/z`, `/api?k=v${ch}w`, `/api?${ch}`]) {
        expect(asParsed(t), JSON.stringify(t)).toEqual(asUrlReadsIt(t))
      }
    }
  })
})
