// The client-side three-way merge kubectl apply performs, reduced to what Flotilla's kinds
// need. Inputs: `original` (the configuration last applied, from the
// kubectl.kubernetes.io/last-applied-configuration annotation; undefined when absent),
// `modified` (the file now), `current` (the live object). The result:
//   - takes every field the file sets;
//   - drops fields the last apply set and the file no longer does (a `null` in the file drops too);
//   - keeps fields only the server or other writers set (uid, clusterIP, defaults, status).
// Lists of objects sharing a merge key (`name`, `containerPort`, `port`, `mountPath`) are merged
// item by item, like strategic merge patch does for containers, ports, env and volumes, so
// server defaults inside list items survive; other lists are replaced by the file's.

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration'

type Json = unknown
type JsonMap = Record<string, Json>

const MERGE_KEYS = ['name', 'containerPort', 'port', 'mountPath']

function isMap (v: Json): v is JsonMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Structural equality of JSON values (key order ignored). */
export function deepEqual (a: Json, b: Json): boolean {
  if (a === b) return true
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]))
  }
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a).filter(k => a[k] !== undefined)
    const kb = Object.keys(b).filter(k => b[k] !== undefined)
    return ka.length === kb.length && ka.every(k => deepEqual(a[k], b[k]))
  }
  return false
}

export function threeWayMerge (original: Json, modified: Json, current: Json): Json {
  if (isMap(modified)) return mergeMaps(isMap(original) ? original : undefined, modified, isMap(current) ? current : {})
  if (Array.isArray(modified) && Array.isArray(current)) {
    return mergeLists(Array.isArray(original) ? original : undefined, modified, current)
  }
  return structuredClone(modified)
}

function mergeMaps (original: JsonMap | undefined, modified: JsonMap, current: JsonMap): JsonMap {
  const out: JsonMap = { ...current }
  for (const [k, v] of Object.entries(modified)) {
    if (v === null) delete out[k]
    else out[k] = threeWayMerge(original?.[k], v, current[k])
  }
  for (const k of Object.keys(original ?? {})) {
    if (!(k in modified)) delete out[k]
  }
  return out
}

function mergeKeyOf (items: Json[]): string | undefined {
  if (items.length === 0 || !items.every(isMap)) return undefined
  return MERGE_KEYS.find(key => {
    const values = items.map(i => (i as JsonMap)[key])
    return values.every(v => typeof v === 'string' || typeof v === 'number') && new Set(values).size === values.length
  })
}

function mergeLists (original: Json[] | undefined, modified: Json[], current: Json[]): Json[] {
  const key = mergeKeyOf(modified)
  if (key === undefined || !current.every(isMap)) return structuredClone(modified)
  const find = (list: Json[] | undefined, id: Json): JsonMap | undefined =>
    list?.find(i => isMap(i) && i[key] === id) as JsonMap | undefined
  const out: Json[] = modified.map(item => {
    const id = (item as JsonMap)[key]
    return threeWayMerge(find(original, id), item, find(current, id) ?? {})
  })
  // Items someone else added (not in the file, never applied by us) stay.
  for (const item of current) {
    const id = (item as JsonMap)[key]
    if (find(modified, id) === undefined && find(original, id) === undefined) out.push(item)
  }
  return out
}
