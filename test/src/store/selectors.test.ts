// Label and field selectors: syntax, semantics (k8s.io/apimachinery labels and fields), errors.

import { describe, expect, it } from 'vitest'
import {
  compileSelectors, fieldValue, formatLabelSelector, matchesLabels, parseFieldSelector, parseLabelSelector,
  SelectorError, selectorMatches
} from '../../../src/store/selectors.ts'
import type { KObject } from '../../../src/store/types.ts'

const labels = { app: 'web', tier: 'frontend', version: '3', 'example.com/team': 'a' }
const sel = (text: string, l: Record<string, string> | undefined = labels): boolean => matchesLabels(parseLabelSelector(text), l)

describe('label selectors', () => {
  it('supports equality, set, exists and not-exists terms', () => {
    expect(sel('')).toBe(true)
    expect(sel('app=web')).toBe(true)
    expect(sel('app==web')).toBe(true)
    expect(sel('app!=web')).toBe(false)
    expect(sel('app!=api')).toBe(true)
    expect(sel('missing!=x')).toBe(true)
    expect(sel('tier in (frontend, backend)')).toBe(true)
    expect(sel('tier in (backend)')).toBe(false)
    expect(sel('missing in (x)')).toBe(false)
    expect(sel('tier notin (backend)')).toBe(true)
    expect(sel('missing notin (x)')).toBe(true)
    expect(sel('app')).toBe(true)
    expect(sel('!app')).toBe(false)
    expect(sel('!missing')).toBe(true)
    expect(sel('example.com/team=a,app=web, tier in (frontend)')).toBe(true)
    expect(sel('app=web,tier=backend')).toBe(false)
    expect(sel('version>2')).toBe(true)
    expect(sel('version<2')).toBe(false)
    expect(sel('app=', { app: '' })).toBe(true)
    expect(matchesLabels(parseLabelSelector('app'), undefined)).toBe(false)
    expect(matchesLabels(parseLabelSelector('app!=x'), undefined)).toBe(true)
  })

  it.each([
    ['app in web', "found 'web', expected: '('"],
    ['app in (a', "found end of string, expected: ',' or ')'"],
    ['=web', "found '=', expected: a label key or '!'"],
    ['app=web,', "found end of string, expected: a label key or '!'"],
    ['app web', "found 'web', expected: '=', '!=', '==', 'in', 'notin', ',' or end of string"],
    ['bad key!=x', "found 'key', expected: '=', '!=', '==', 'in', 'notin', ',' or end of string"],
    ['app=web app', "found 'app', expected: ',' or end of string"],
    ['a>b', "found 'b', expected: an integer after '>'"],
    ['-app=x', 'invalid label key "-app"'],
    ['app=has space', "found 'space', expected: ',' or end of string"],
    ['app=-x', 'invalid label value "-x"']
  ])('rejects %j', (text, detail) => {
    expect(() => parseLabelSelector(text)).toThrow(SelectorError)
    expect(() => parseLabelSelector(text)).toThrow(detail)
  })

  it('matches structured selectors as Kubernetes does (absent: nothing, empty: everything)', () => {
    expect(selectorMatches(undefined, labels)).toBe(false)
    expect(selectorMatches({}, labels)).toBe(true)
    expect(selectorMatches({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] }, labels)).toBe(true)
    expect(selectorMatches({ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, labels)).toBe(false)
    expect(selectorMatches({ matchExpressions: [{ key: 'app', operator: 'In' }] }, labels)).toBe(false)
  })

  it('formats selectors with sorted keys', () => {
    expect(formatLabelSelector({ matchLabels: { tier: 'fe', app: 'web' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'dev'] }, { key: 'x', operator: 'DoesNotExist' }] }))
      .toBe('app=web,env in (dev,prod),tier=fe,!x')
    expect(formatLabelSelector(parseLabelSelector('b!=1, a'))).toBe('a,b!=1')
  })
})

describe('field selectors', () => {
  const pod: KObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'default' },
    spec: { nodeName: 'agent-1', priority: 5, hostNetwork: false },
    status: { phase: 'Running' }
  }
  const fsel = (text: string, obj: KObject = pod): boolean => compileSelectors({ fieldSelector: text }).matches(obj)

  it('matches =, == and != on dotted paths', () => {
    expect(fsel('metadata.name=web-1')).toBe(true)
    expect(fsel('metadata.namespace==default,status.phase=Running')).toBe(true)
    expect(fsel('spec.nodeName!=agent-1')).toBe(false)
    expect(fsel('status.phase!=Pending')).toBe(true)
    expect(fsel('spec.priority=5,spec.hostNetwork=false')).toBe(true)
  })

  it('treats absent fields as empty', () => {
    const unscheduled = { ...pod, spec: {} }
    expect(fsel('spec.nodeName=', unscheduled)).toBe(true)
    expect(fsel('spec.nodeName=', pod)).toBe(false)
    expect(fieldValue(pod, 'metadata.labels.app')).toBe('')
  })

  it('unescapes values', () => {
    expect(parseFieldSelector('metadata.name=a\\,b\\=c\\\\')).toEqual([{ path: 'metadata.name', operator: '=', value: 'a,b=c\\' }])
    expect(parseFieldSelector('a=1,b!=2')).toEqual([{ path: 'a', operator: '=', value: '1' }, { path: 'b', operator: '!=', value: '2' }])
  })

  it.each([
    ['metadata.name', "can't understand \"metadata.name\""],
    ['=x', 'has no field name'],
    ['a b=c', 'is not a dotted field path'],
    ['a=\\x', 'invalid escape sequence']
  ])('rejects %j', (text, detail) => {
    expect(() => parseFieldSelector(text)).toThrow(SelectorError)
    expect(() => parseFieldSelector(text)).toThrow(detail)
  })

  it('combines with label selectors; SelectorError is a 400', () => {
    const labelled = { ...pod, metadata: { ...pod.metadata, labels: { app: 'web' } } }
    expect(compileSelectors({ labelSelector: 'app=web', fieldSelector: 'status.phase=Running' }).matches(labelled)).toBe(true)
    expect(compileSelectors({ labelSelector: 'app=api', fieldSelector: 'status.phase=Running' }).matches(labelled)).toBe(false)
    expect(compileSelectors({}).everything).toBe(true)
    try {
      compileSelectors({ labelSelector: 'a in' })
    } catch (err) {
      expect(err).toMatchObject({ name: 'SelectorError', code: 400 })
    }
  })
})
