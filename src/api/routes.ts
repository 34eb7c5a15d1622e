// URL routing: turns a request path into what it names — a discovery document, a health
// check, or a resource (a collection, one object, or an object's subresource) of a known kind.
//
//   /api, /api/v1, /apis, /apis/{group}, /apis/{group}/{version}, /version, /healthz ...,
//   /openapi/v3[/api/{version} | /apis/{group}/{version}]
//   {prefix}/{plural}                                  cluster-scoped collection, or a namespaced
//                                                      kind listed across all namespaces
//   {prefix}/{plural}/{name}[/{sub}]                   cluster-scoped object
//   {prefix}/namespaces/{ns}/{plural}[/{name}[/{sub}]] namespaced collection or object
//   {prefix}/watch/...                                 the legacy watch form of the above
// where {prefix} is /api/v1 for the core group and /apis/{group}/{version} otherwise.
// `/api/v1/namespaces/{name}` is the Namespace itself: a namespaces/{ns}/{x} path is namespaced
// only when {x} is the plural of a namespaced kind.

import type { KindInfo } from '../objects/registry.ts'
import { badRequest } from './status.ts'

export type Route =
  | { type: 'health', check: string }
  | { type: 'version' }
  | { type: 'api-versions' }
  | { type: 'group-list' }
  | { type: 'group', group: string }
  | { type: 'resource-list', group: string, version: string }
  | { type: 'openapi-root' }
  | { type: 'openapi', group: string, version: string }
  | ResourceRoute

export interface ResourceRoute {
  type: 'resource'
  kind: KindInfo
  /** The namespace named by the path; '' for cluster-scoped kinds and for lists across all namespaces. */
  namespace: string
  name?: string
  subresource?: string
  /** The path used the legacy `/watch/` prefix. */
  watch: boolean
}

/** The served kinds, indexed the ways routing and discovery look them up. */
export class KindIndex {
  /** `group/version` (or `version` for core) → plural → kind. */
  private readonly byGroupVersion = new Map<string, Map<string, KindInfo>>()
  /** Groups in first-seen order, each with its versions in first-seen order (the first is preferred). */
  readonly groups = new Map<string, string[]>()

  constructor (readonly kinds: readonly KindInfo[]) {
    for (const k of kinds) {
      const gv = gvKey(k.group, k.version)
      let plurals = this.byGroupVersion.get(gv)
      if (plurals === undefined) {
        plurals = new Map()
        this.byGroupVersion.set(gv, plurals)
      }
      plurals.set(k.plural, k)
      const versions = this.groups.get(k.group) ?? []
      if (!versions.includes(k.version)) versions.push(k.version)
      this.groups.set(k.group, versions)
    }
  }

  /** Kinds served at one group/version, in registration order; undefined when none is. */
  at (group: string, version: string): Map<string, KindInfo> | undefined {
    return this.byGroupVersion.get(gvKey(group, version))
  }
}

function gvKey (group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`
}

const HEALTH = new Set(['healthz', 'readyz', 'livez'])

/** Decoded, non-empty path segments; malformed percent-escapes are a 400. */
export function splitPath (pathname: string): string[] {
  const segs: string[] = []
  for (const raw of pathname.split('/')) {
    if (raw === '') continue
    let seg = raw
    try {
      if (raw.includes('%')) seg = decodeURIComponent(raw)
    } catch {
      throw badRequest(`malformed URL path segment: ${JSON.stringify(raw)}`)
    }
    segs.push(seg)
  }
  return segs
}

/** What the path names, or undefined for a path the server does not serve (404). */
export function route (index: KindIndex, segs: readonly string[]): Route | undefined {
  const [first, second, third] = segs
  if (first === undefined) return undefined
  if (segs.length === 1) {
    if (HEALTH.has(first)) return { type: 'health', check: first }
    if (first === 'version') return { type: 'version' }
    if (first === 'api') return { type: 'api-versions' }
    if (first === 'apis') return { type: 'group-list' }
    return undefined
  }
  if (HEALTH.has(first) && segs.length >= 2) return { type: 'health', check: segs.join('/') }
  if (first === 'openapi' && second === 'v3') return openApi(index, segs.slice(2))
  if (first === 'api' && second !== undefined) {
    if (index.at('', second) === undefined) return undefined
    if (segs.length === 2) return { type: 'resource-list', group: '', version: second }
    return resource(index, '', second, segs.slice(2))
  }
  if (first === 'apis' && second !== undefined) {
    if (second === '' || !index.groups.has(second)) return undefined
    if (third === undefined) return { type: 'group', group: second }
    if (index.at(second, third) === undefined) return undefined
    if (segs.length === 3) return { type: 'resource-list', group: second, version: third }
    return resource(index, second, third, segs.slice(3))
  }
  return undefined
}

/** /openapi/v3, /openapi/v3/api/{version}, /openapi/v3/apis/{group}/{version}. */
function openApi (index: KindIndex, segs: readonly string[]): Route | undefined {
  const [a, b, c] = segs
  if (a === undefined) return { type: 'openapi-root' }
  if (a === 'api' && b !== undefined && segs.length === 2 && index.at('', b) !== undefined) return { type: 'openapi', group: '', version: b }
  if (a === 'apis' && b !== undefined && c !== undefined && segs.length === 3 && index.at(b, c) !== undefined) return { type: 'openapi', group: b, version: c }
  return undefined
}

function resource (index: KindIndex, group: string, version: string, path: readonly string[]): ResourceRoute | undefined {
  const plurals = index.at(group, version)
  if (plurals === undefined) return undefined
  let segs = path
  let watch = false
  if (segs[0] === 'watch') {
    watch = true
    segs = segs.slice(1)
  }
  const [a, b, c, d, e] = segs
  if (a === 'namespaces' && b !== undefined && c !== undefined) {
    const kind = plurals.get(c)
    if (kind !== undefined && kind.namespaced) {
      if (segs.length > 5) return undefined
      return withSub({ type: 'resource', kind, namespace: b, watch }, d, e)
    }
  }
  if (a === undefined || segs.length > 3) return undefined
  const kind = plurals.get(a)
  if (kind === undefined) return undefined
  // A namespaced object can only be named together with its namespace.
  if (kind.namespaced && b !== undefined) return undefined
  return withSub({ type: 'resource', kind, namespace: '', watch }, b, c)
}

function withSub (r: ResourceRoute, name: string | undefined, sub: string | undefined): ResourceRoute | undefined {
  if (name !== undefined) r.name = name
  if (sub !== undefined) {
    if (!r.kind.subresources.includes(sub) || r.watch) return undefined
    r.subresource = sub
  }
  return r
}
