// Server-side apply (PATCH with application/apply-patch+yaml): the applied configuration is
// the whole intent of one field manager. Pure: from the live object, the configuration, the
// manager and the clock value decided by the caller, it computes the object to write and its
// new metadata.managedFields, or the conflicts that stop it.
//
// - The configuration is merged into the live object (maps field by field, associative
//   lists element by element on their keys, atomic values replaced).
// - Fields this manager applied before and left out now are removed, unless another manager
//   owns them (or something below them).
// - A field the configuration sets to a different value than the live one, while another
//   manager owns it, is a conflict: refused, unless forced, which moves the ownership to
//   this manager. Equal values are shared, not conflicts.
// - The manager's Apply entry becomes exactly the fields of the configuration.

import { deepEqual } from '../store/deep.ts'
import { isPlainObject } from './body.ts'
import { FieldSet, parseElement, type FieldPath } from './field-set.ts'
import { readManagedFields, withoutSystemPaths, writeManagedFields, type ManagerFields } from './managed-fields.ts'
import type { MergeSemantics, SchemaPath } from './merge-semantics.ts'
import { describePath, elementKey, fieldSetOf, listSemanticsOf, removeAt, schemaPathOf, valueAt } from './object-fields.ts'
import { ApiError } from './status.ts'

type JsonMap = Record<string, unknown>

export const APPLY_PATCH = 'application/apply-patch+yaml'

/** Metadata the server decides: never taken from an applied configuration. */
const SERVER_METADATA = ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds']

export interface ApplyInput {
  /** The stored object, or undefined when apply creates it. */
  live: JsonMap | undefined
  /** The configuration, already bound to the URL (apiVersion, kind, name, namespace). */
  applied: JsonMap
  manager: string
  force: boolean
  /** apiVersion of the configuration, recorded in the entry. */
  apiVersion: string
  /** RFC 3339 time recorded in the entry. */
  now: string
  semantics: MergeSemantics
  /** Leave status out (a main-resource write of a kind with a status subresource). */
  ignoreStatus: boolean
}

export interface ApplyResult {
  object: JsonMap
  /** False when the apply changes nothing (the caller need not write). */
  changed: boolean
}

export interface ApplyConflict {
  manager: string
  operation: 'Apply' | 'Update'
  apiVersion: string
  subresource?: string
  path: FieldPath
}

/** Thrown by serverSideApply when fields owned by other managers would change and force is not set. */
export class ApplyConflictError extends Error {
  override readonly name = 'ApplyConflictError'
  constructor (readonly conflicts: readonly ApplyConflict[]) {
    super(conflictMessage(conflicts))
  }
}

/** `conflict with "m"`, with ` using <apiVersion>` for an Update manager, as Kubernetes words it. */
function managerPhrase (c: ApplyConflict): string {
  const sub = c.subresource === undefined ? '' : ` with subresource "${c.subresource}"`
  return c.operation === 'Apply' ? `"${c.manager}"${sub}` : `"${c.manager}"${sub} using ${c.apiVersion}`
}

function conflictMessage (conflicts: readonly ApplyConflict[]): string {
  const n = conflicts.length
  const head = `Apply failed with ${n} conflict${n === 1 ? '' : 's'}: `
  const only = conflicts[0]
  if (n === 1 && only !== undefined) return `${head}conflict with ${managerPhrase(only)}: ${describePath(only.path)}`
  const byManager = new Map<string, string[]>()
  for (const c of conflicts) {
    const key = managerPhrase(c)
    byManager.set(key, [...byManager.get(key) ?? [], describePath(c.path)])
  }
  return head + [...byManager].map(([m, paths]) => paths.length === 1 ? `conflict with ${m}: ${paths[0] ?? ''}` : `conflicts with ${m}:\n${paths.map(p => `- ${p}`).join('\n')}`).join('\n')
}

/** The 409 Conflict Status kubectl recognises (it then suggests --force-conflicts). */
export function applyConflictStatus (err: ApplyConflictError): ApiError {
  return new ApiError(409, 'Conflict', err.message, {
    causes: err.conflicts.map(c => ({ reason: 'FieldManagerConflict', message: `conflict with ${managerPhrase(c)}`, field: describePath(c.path) }))
  })
}

function setOwn (obj: JsonMap, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true })
}

/** A copy of `v` without null fields (a null in a configuration sets nothing). */
function withoutNulls (v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls)
  if (!isPlainObject(v)) return v
  const out: JsonMap = {}
  for (const [k, x] of Object.entries(v)) if (x !== null) setOwn(out, k, withoutNulls(x))
  return out
}

/** The configuration as it is applied: no nulls, no server-decided metadata, no status when ignored. */
export function prepareConfiguration (applied: JsonMap, ignoreStatus: boolean): JsonMap {
  const config = withoutNulls(applied) as JsonMap
  if (isPlainObject(config.metadata)) for (const k of SERVER_METADATA) delete config.metadata[k]
  if (ignoreStatus) delete config.status
  return config
}

/** `applied` merged into `live`: maps by field, associative lists by key, set lists as sets, anything else replaced. */
export function mergeInto (live: unknown, applied: unknown, schema: SchemaPath, sem: MergeSemantics): unknown {
  if (isPlainObject(applied)) {
    if (!isPlainObject(live) || sem.atomicObject(schema)) return structuredClone(applied)
    const out = structuredClone(live)
    for (const [k, v] of Object.entries(applied)) setOwn(out, k, mergeInto(Object.hasOwn(out, k) ? out[k] : undefined, v, [...schema, k], sem))
    return out
  }
  if (Array.isArray(applied) && Array.isArray(live)) {
    const list = listSemanticsOf(sem, schema, [...live, ...applied])
    if (list.type === 'set') return [...live, ...applied.filter(a => !live.some(l => deepEqual(l, a)))]
    if (list.type === 'associative') {
      const out = live.map(e => structuredClone(e) as unknown)
      for (const a of applied) {
        const key = elementKey(a, list)
        const i = out.findIndex(e => deepEqual(elementKey(e, list), key))
        if (i >= 0) out[i] = mergeInto(out[i], a, schema, sem)
        else out.push(structuredClone(a))
      }
      return out
    }
  }
  return structuredClone(applied)
}

/** Paths of `set` with nothing of `set` below them. */
function leaves (set: FieldSet): FieldPath[] {
  const paths = set.paths()
  return paths.filter((p, i) => {
    const next = paths[i + 1]
    return next === undefined || !(next.length > p.length && p.every((el, j) => next[j] === el))
  })
}

function isEmptyValue (v: unknown): boolean {
  return (Array.isArray(v) && v.length === 0) || (isPlainObject(v) && Object.keys(v).length === 0)
}

/** Removes `path` unless `keep` owns it or something below it, then the containers it leaves empty that nobody owns. */
function removeUnowned (obj: JsonMap, path: FieldPath, keep: FieldSet, sem: MergeSemantics): void {
  if (keep.hasPrefix(path)) return
  if (!removeAt(obj, path, sem)) return
  for (let len = path.length - 1; len >= 1; len--) {
    const parent = path.slice(0, len)
    if (len === 1 && parent[0] === 'f:metadata') return
    if (!isEmptyValue(valueAt(obj, parent, sem)) || keep.hasPrefix(parent)) return
    removeAt(obj, parent, sem)
  }
}

/** A key field of an associative list element (`…k:{"name":"a"}, f:name`): it goes only with its element. */
function isKeyField (path: FieldPath): boolean {
  const last = path[path.length - 1]
  const parent = path[path.length - 2]
  if (last === undefined || parent === undefined || !last.startsWith('f:') || !parent.startsWith('k:')) return false
  const p = parseElement(parent)
  return p.type === 'k' && Object.hasOwn(p.key, last.slice(2))
}

/** An empty granular object or merged list: it sets nothing another manager's fields could conflict with. */
function mergesAway (value: unknown, path: FieldPath, sem: MergeSemantics): boolean {
  if (!isEmptyValue(value)) return false
  const schema = schemaPathOf(path)
  return Array.isArray(value) ? sem.list(schema).type !== 'atomic' : !sem.atomicObject(schema)
}

function isApplyEntryOf (e: ManagerFields, manager: string): boolean {
  return e.manager === manager && e.operation === 'Apply' && e.subresource === undefined
}

/** Applies one manager's configuration; throws ApplyConflictError on conflicts without force. */
export function serverSideApply (input: ApplyInput): ApplyResult {
  const { live, manager, semantics: sem } = input
  const config = prepareConfiguration(input.applied, input.ignoreStatus)
  const appliedSet = withoutSystemPaths(fieldSetOf(config, sem), input.ignoreStatus)
  const mine: ManagerFields = { manager, operation: 'Apply', apiVersion: input.apiVersion, time: input.now, fields: appliedSet }
  if (live === undefined) {
    const object = config
    if (!isPlainObject(object.metadata)) object.metadata = {}
    ;(object.metadata as JsonMap).managedFields = writeManagedFields([mine])
    return { object, changed: true }
  }

  const entries = readManagedFields(isPlainObject(live.metadata) ? live.metadata.managedFields : undefined)
  const previous = entries.find(e => isApplyEntryOf(e, manager))
  // Every other entry can conflict, this manager's own Update entries too (`kubectl scale`
  // records manager "kubectl", operation Update): Kubernetes keys managers by name and operation.
  const conflicts: ApplyConflict[] = []
  const conflicting: FieldPath[] = []
  for (const p of leaves(appliedSet)) {
    const current = valueAt(live, p, sem)
    const wanted = valueAt(config, p, sem)
    if (current === undefined || deepEqual(current, wanted) || mergesAway(wanted, p, sem)) continue
    for (const e of entries) {
      if (e === previous || !e.fields.has(p)) continue
      const c: ApplyConflict = { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion, path: p }
      if (e.subresource !== undefined) c.subresource = e.subresource
      conflicts.push(c)
      conflicting.push(p)
    }
  }
  if (conflicts.length > 0 && !input.force) throw new ApplyConflictError(conflicts)
  const taken = FieldSet.of(conflicting)
  const adjust = (e: ManagerFields): ManagerFields => ({ ...e, fields: e.fields.difference(taken) })
  // Entries keep their order; a new Apply entry goes last.
  const next = previous === undefined ? [...entries.map(adjust), mine] : entries.map(e => e === previous ? mine : adjust(e))
  const others = next.filter(e => e !== mine)

  const { managedFields: _mf, ...liveMeta } = isPlainObject(live.metadata) ? live.metadata : {}
  const base = { ...live, metadata: liveMeta }
  const merged = mergeInto(base, config, [], sem) as JsonMap
  const keep = others.reduce((acc, e) => acc.union(e.fields), appliedSet)
  // Outermost first: a removed element goes with its fields; a kept one keeps its key fields.
  const removed = (previous?.fields ?? FieldSet.empty()).difference(appliedSet).paths().sort((a, b) => a.length - b.length)
  for (const p of removed) if (!isKeyField(p)) removeUnowned(merged, p, keep, sem)

  const unchanged = deepEqual(merged, base) && previous !== undefined && previous.fields.equals(appliedSet) && taken.isEmpty()
  if (unchanged) return { object: structuredClone(live), changed: false }
  const meta = isPlainObject(merged.metadata) ? merged.metadata : {}
  meta.managedFields = writeManagedFields(next)
  merged.metadata = meta
  return { object: merged, changed: true }
}
