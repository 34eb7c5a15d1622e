// Strategic merge patch (application/strategic-merge-patch+json), the patch `kubectl apply`,
// `kubectl patch` and `kubectl edit` send for built-in kinds. It is a JSON merge patch in which
// some lists merge element by element, matched on a key (containers by `name`, container
// ports by `containerPort`, conditions by `type`, ...) instead of being replaced, plus
// directives: `$patch: replace | delete | merge`, `$setElementOrder/<list>`,
// `$deleteFromPrimitiveList/<list>` and `$retainKeys`.
//
// Kubernetes reads the merge keys from the Go struct tags of each type. Here they come from a
// table by field name, covering the kinds Flotilla serves; a list whose elements do not all
// carry the key is replaced, as a list without a merge strategy is.

import { isPlainObject } from './body.ts'
import { ApiError } from './status.ts'

type Json = unknown
type JsonMap = Record<string, Json>

/** Lists merged element by element, by field name → the key that matches elements. */
const MERGE_KEYS: Readonly<Record<string, readonly string[]>> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  volumes: ['name'],
  imagePullSecrets: ['name'],
  env: ['name'],
  resourceClaims: ['name'],
  schedulingGates: ['name'],
  volumeMounts: ['mountPath'],
  volumeDevices: ['devicePath'],
  hostAliases: ['ip'],
  podIPs: ['ip'],
  hostIPs: ['ip'],
  topologySpreadConstraints: ['topologyKey'],
  conditions: ['type'],
  addresses: ['type'],
  ownerReferences: ['uid'],
  // Container ports merge on containerPort, Service ports on port.
  ports: ['containerPort', 'port']
}

/** Lists of scalars whose values are merged as a set. */
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers'])

const SET_ORDER = '$setElementOrder/'
const DELETE_FROM = '$deleteFromPrimitiveList/'

const invalidPatch = (message: string): ApiError => new ApiError(422, 'Invalid', `the strategic merge patch does not apply: ${message}`)

/** Applies a strategic merge patch to `original`; neither argument is modified. */
export function applyStrategicMergePatch (original: Json, patch: Json): Json {
  if (!isPlainObject(patch)) throw new ApiError(400, 'BadRequest', 'a strategic merge patch must be a JSON object')
  const merged = mergeMap(isPlainObject(original) ? original : {}, patch)
  if (merged === undefined) throw invalidPatch('$patch: delete cannot remove the whole object')
  return merged
}

function setOwn (obj: JsonMap, key: string, value: Json): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true })
}

/** A value from the patch with its directives removed, for places where nothing is merged into. */
function clean (v: Json): Json {
  if (Array.isArray(v)) return v.filter(e => !(isPlainObject(e) && e.$patch === 'delete')).map(clean)
  if (!isPlainObject(v)) return v
  const out: JsonMap = {}
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$')) continue
    if (x !== null) setOwn(out, k, clean(x))
  }
  return out
}

/** The merged map, or undefined when the patch says `$patch: delete`. */
function mergeMap (original: JsonMap, patch: JsonMap): JsonMap | undefined {
  const directive = patch.$patch
  if (directive === 'delete') return undefined
  if (directive === 'replace') return clean(patch) as JsonMap
  if (directive !== undefined && directive !== 'merge') throw invalidPatch(`unknown $patch directive ${JSON.stringify(directive)}`)
  const out: JsonMap = {}
  for (const [k, v] of Object.entries(original)) setOwn(out, k, structuredClone(v))
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue
    if (v === null) {
      delete out[k]
      continue
    }
    const cur = Object.hasOwn(out, k) ? out[k] : undefined
    if (isPlainObject(v) && isPlainObject(cur)) {
      const m = mergeMap(cur, v)
      if (m === undefined) delete out[k]
      else setOwn(out, k, m)
    } else if (Array.isArray(v)) {
      setOwn(out, k, mergeList(k, Array.isArray(cur) ? cur : [], v))
    } else if (isPlainObject(v)) {
      const m = mergeMap({}, v)
      if (m !== undefined) setOwn(out, k, m)
    } else {
      setOwn(out, k, v)
    }
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith(DELETE_FROM)) deleteFromPrimitiveList(out, k.slice(DELETE_FROM.length), v)
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith(SET_ORDER)) setElementOrder(out, k.slice(SET_ORDER.length), v)
  }
  if (patch.$retainKeys !== undefined) {
    if (!Array.isArray(patch.$retainKeys)) throw invalidPatch('$retainKeys must be a list of field names')
    const keep = new Set(patch.$retainKeys.map(String))
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k]
  }
  return out
}

/** The merge key the elements of list `field` share, or undefined when the list is replaced. */
function mergeKeyOf (field: string, elements: readonly Json[]): string | undefined {
  const candidates = MERGE_KEYS[field]
  if (candidates === undefined) return undefined
  const maps = elements.filter(e => !(isPlainObject(e) && e.$patch !== undefined && Object.keys(e).length === 1))
  if (maps.length === 0) return candidates[0]
  return candidates.find(key => maps.every(e => isPlainObject(e) && e[key] !== undefined))
}

function mergeList (field: string, original: readonly Json[], patch: readonly Json[]): Json[] {
  if (patch.some(e => isPlainObject(e) && e.$patch === 'replace')) {
    return patch.filter(e => !(isPlainObject(e) && e.$patch === 'replace')).map(clean)
  }
  if (MERGED_PRIMITIVE_LISTS.has(field)) {
    const out = [...original]
    for (const v of patch) if (!out.some(o => o === v)) out.push(v)
    return out
  }
  const key = mergeKeyOf(field, [...original, ...patch])
  if (key === undefined) return patch.map(clean)
  const out: Json[] = original.map(e => structuredClone(e))
  for (const p of patch) {
    if (!isPlainObject(p)) throw invalidPatch(`elements of ${field} must be objects`)
    const i = out.findIndex(o => isPlainObject(o) && o[key] === p[key])
    if (p.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1)
      continue
    }
    const base = i >= 0 ? out[i] : undefined
    const merged = mergeMap(isPlainObject(base) ? base : {}, p)
    if (merged === undefined) {
      if (i >= 0) out.splice(i, 1)
    } else if (i >= 0) {
      out[i] = merged
    } else {
      out.push(merged)
    }
  }
  return out
}

function deleteFromPrimitiveList (obj: JsonMap, field: string, values: Json): void {
  if (!Array.isArray(values)) throw invalidPatch(`${DELETE_FROM}${field} must be a list`)
  const cur = obj[field]
  if (!Array.isArray(cur)) return
  setOwn(obj, field, cur.filter(v => !values.includes(v)))
}

/** Orders list `field` as `order` says; elements it does not name keep their order, after those it names. */
function setElementOrder (obj: JsonMap, field: string, order: Json): void {
  if (!Array.isArray(order)) throw invalidPatch(`${SET_ORDER}${field} must be a list`)
  const cur = obj[field]
  if (!Array.isArray(cur)) return
  const key = order.every(e => !isPlainObject(e)) ? undefined : mergeKeyOf(field, order)
  const id = (e: Json): Json => key === undefined ? e : isPlainObject(e) ? e[key] : undefined
  const rank = new Map(order.map((e, i) => [id(e), i]))
  const indexed = cur.map((e, i) => ({ e, i, r: rank.get(id(e)) ?? order.length + i }))
  indexed.sort((a, b) => a.r - b.r)
  setOwn(obj, field, indexed.map(x => x.e))
}
