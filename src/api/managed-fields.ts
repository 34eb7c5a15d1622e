// `metadata.managedFields`: which field manager owns which fields of an object, one entry per
// manager and operation (Apply for server-side apply, Update for any other write), as
// Kubernetes records it. This module reads and writes the entries and computes what an
// Update does to them: the writer takes ownership of the fields its write changed, and every
// other manager loses them (no conflicts for updates, as in Kubernetes). Pure.

import { isPlainObject } from './body.ts'
import { FieldSet, type FieldPath } from './field-set.ts'
import type { MergeSemantics } from './merge-semantics.ts'
import { deepEqual } from '../store/deep.ts'
import { fieldSetOf, schemaPathOf, valueAt } from './object-fields.ts'

export type ManagedFieldsOperation = 'Apply' | 'Update'

/** One entry of metadata.managedFields as stored and served. */
export interface ManagedFieldsEntry {
  manager: string
  operation: ManagedFieldsOperation
  apiVersion: string
  time: string
  fieldsType: 'FieldsV1'
  fieldsV1: Record<string, unknown>
  subresource?: string
}

/** An entry with its fields read into a set. */
export interface ManagerFields {
  manager: string
  operation: ManagedFieldsOperation
  apiVersion: string
  time: string
  subresource?: string
  fields: FieldSet
}

/** Paths the API server decides, which nobody owns (as Kubernetes strips them). */
const SYSTEM_PATHS: readonly FieldPath[] = [
  ['f:apiVersion'], ['f:kind'], ['f:metadata', 'f:name'], ['f:metadata', 'f:namespace'], ['f:metadata', 'f:uid'],
  ['f:metadata', 'f:resourceVersion'], ['f:metadata', 'f:generation'], ['f:metadata', 'f:creationTimestamp'],
  ['f:metadata', 'f:managedFields'], ['f:metadata', 'f:selfLink'], ['f:metadata', 'f:deletionTimestamp'],
  ['f:metadata', 'f:deletionGracePeriodSeconds']
]

function startsWith (path: FieldPath, prefix: FieldPath): boolean {
  return prefix.length <= path.length && prefix.every((el, i) => path[i] === el)
}

/** `set` without the server-decided paths (and without status, when `dropStatus`). */
export function withoutSystemPaths (set: FieldSet, dropStatus: boolean): FieldSet {
  return FieldSet.of(set.paths().filter(p => !SYSTEM_PATHS.some(s => startsWith(p, s)) && !(dropStatus && p[0] === 'f:status')))
}

/** The entries of `metadata.managedFields` that can be read; anything malformed is left out. */
export function readManagedFields (managedFields: unknown): ManagerFields[] {
  if (!Array.isArray(managedFields)) return []
  const out: ManagerFields[] = []
  for (const e of managedFields) {
    if (!isPlainObject(e) || typeof e.manager !== 'string' || (e.operation !== 'Apply' && e.operation !== 'Update')) continue
    let fields: FieldSet
    try {
      fields = FieldSet.fromFieldsV1(e.fieldsV1 ?? {})
    } catch {
      continue
    }
    const entry: ManagerFields = {
      manager: e.manager,
      operation: e.operation,
      apiVersion: typeof e.apiVersion === 'string' ? e.apiVersion : '',
      time: typeof e.time === 'string' ? e.time : '',
      fields
    }
    if (typeof e.subresource === 'string' && e.subresource !== '') entry.subresource = e.subresource
    out.push(entry)
  }
  return out
}

/** The entries as metadata.managedFields; entries that own nothing are dropped. */
export function writeManagedFields (entries: readonly ManagerFields[]): ManagedFieldsEntry[] {
  return entries.filter(e => !e.fields.isEmpty()).map(e => {
    const out: ManagedFieldsEntry = { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion, time: e.time, fieldsType: 'FieldsV1', fieldsV1: e.fields.toFieldsV1() }
    if (e.subresource !== undefined) out.subresource = e.subresource
    return out
  })
}

/** Whether an entry belongs to this manager, operation and subresource. */
export function sameEntry (e: ManagerFields, manager: string, operation: ManagedFieldsOperation, subresource: string | undefined): boolean {
  return e.manager === manager && e.operation === operation && (e.subresource ?? '') === (subresource ?? '')
}

export interface UpdateInput {
  before: Record<string, unknown>
  after: Record<string, unknown>
  manager: string
  apiVersion: string
  now: string
  /** `status` or `scale` for a write through that subresource. */
  subresource?: string
  semantics: MergeSemantics
}

/** Maps (labels, data) above `path` that the update created: Kubernetes counts them as set too. */
function newMaps (before: Record<string, unknown>, path: FieldPath, sem: MergeSemantics): FieldPath[] {
  const out: FieldPath[] = []
  for (let len = 1; len < path.length; len++) {
    const prefix = path.slice(0, len)
    if (!(prefix[len - 1] ?? '').startsWith('f:') || valueAt(before, prefix, sem) !== undefined) continue
    if (sem.isMap(schemaPathOf(prefix))) out.push(prefix)
  }
  return out
}

/**
 * The paths an update changed: set (or changed) in `after`, or set in `before` and gone.
 * Compared leaf by leaf; an element of an associative list counts when it is new.
 */
export function changedPaths (before: Record<string, unknown>, after: Record<string, unknown>, sem: MergeSemantics): { set: FieldSet, removed: FieldSet } {
  const beforeSet = fieldSetOf(before, sem)
  const afterSet = fieldSetOf(after, sem)
  const set: FieldPath[] = []
  const paths = afterSet.paths()
  paths.forEach((p, i) => {
    if (!beforeSet.has(p)) {
      set.push(p, ...newMaps(before, p, sem))
      return
    }
    // A member with members below it (a list element) changes through them.
    const next = paths[i + 1]
    const hasBelow = next !== undefined && next.length > p.length && p.every((el, j) => next[j] === el)
    if (!hasBelow && !deepEqual(valueAt(before, p, sem), valueAt(after, p, sem))) set.push(p)
  })
  return { set: FieldSet.of(set), removed: beforeSet.difference(afterSet) }
}

/**
 * metadata.managedFields after an Update by `manager`: it owns what it changed (plus what it
 * owned before, less what it removed); others lose what it changed or removed. Undefined when
 * nothing that anyone can own changed (the entries stay as they are).
 */
export function managedFieldsAfterUpdate (input: UpdateInput): ManagedFieldsEntry[] | undefined {
  const { before, after, manager, subresource, semantics } = input
  const strip = (s: FieldSet): FieldSet => withoutSystemPaths(s, false)
  const changed = changedPaths(before, after, semantics)
  const set = strip(changed.set)
  const removed = strip(changed.removed)
  if (set.isEmpty() && removed.isEmpty()) return undefined
  const touched = set.union(removed)
  const entries = readManagedFields((before.metadata as Record<string, unknown> | undefined)?.managedFields)
  const mine = entries.find(e => sameEntry(e, manager, 'Update', subresource))
  const next = entries.map(e => e === mine ? e : { ...e, fields: e.fields.difference(touched) })
  const fields = (mine?.fields ?? FieldSet.empty()).union(set).difference(removed)
  const updated: ManagerFields = { manager, operation: 'Update', apiVersion: input.apiVersion, time: input.now, fields }
  if (subresource !== undefined) updated.subresource = subresource
  if (mine === undefined) next.push(updated)
  else next[next.indexOf(mine)] = updated
  return writeManagedFields(next)
}

/** The field manager of a request: `fieldManager`, else the User-Agent up to its first `/` (as Kubernetes does). */
export function fieldManagerOf (fieldManager: string | undefined, userAgent: string | undefined): string {
  if (fieldManager !== undefined && fieldManager !== '') return fieldManager
  const ua = (userAgent ?? '').split('/')[0]?.trim() ?? ''
  return ua === '' ? 'unknown' : ua.slice(0, 128)
}
