// Applying one StoreCommand to the table: the semantics of create, update (whole object or
// status only), delete and batch. Pure apart from the table it writes and the changes it
// records: no clock, no randomness, so every agent that applies the same commands in the same
// order ends with the same objects. Every object written gets resourceVersion = the entry's index.
//
// Rules (as the Kubernetes API server):
// - create: AlreadyExists if present; a namespaced object needs its Namespace; generation 1.
// - update: NotFound if absent; Conflict if metadata.resourceVersion is set and stale. uid,
//   creationTimestamp and generation are the store's; generation +1 when anything outside
//   metadata and status changed. Kinds with a status subresource keep their stored status on
//   a plain update; `subresource: 'status'` changes only status. An update that changes
//   nothing writes nothing (no new resourceVersion, no event). deletionTimestamp and
//   deletionGracePeriodSeconds are the store's (only delete sets them); an update that removes
//   the last finalizer of an object marked with grace period 0 deletes it.
// - delete: NotFound if absent; preconditions on uid / resourceVersion (Conflict). Graceful
//   (only marked) when the command has a deletionTimestamp and the object has finalizers or
//   the grace period is > 0; otherwise removed. A Namespace, as Kubernetes' namespace
//   registry: a graceful delete marks it Terminating (status.phase, spec.finalizers defaulted
//   to ["kubernetes"]) unless spec.finalizers is empty; an update that leaves a marked
//   Namespace without spec.finalizers and metadata.finalizers removes it (the namespace
//   controller does that once the namespace is empty).
// - batch: each command in order, each with its own result (not atomic).
// - Services get their cluster IP and node ports here (service-allocation.ts).

import { deepEqual, deepFreeze } from './deep.ts'
import {
  alreadyExistsError, conflictError, invalidCommandError, notFoundError, preconditionError
} from './errors.ts'
import type { ObjectTable } from './object-table.ts'
import { refOf } from './refs.ts'
import { allocateService, isServiceObject } from './service-allocation.ts'
import type { ApplyResult, KObject, ObjectMeta, ObjectRef, StoreError, WatchEventType } from './types.ts'

/** What the store needs to know about a kind. */
export interface KindScope {
  namespaced: boolean
  subresources: readonly string[]
}

/** Scope of a kind; undefined for kinds the store does not know (their scope follows metadata.namespace). */
export type KindLookup = (group: string, kind: string) => KindScope | undefined

/** One write to the table, in apply order. DELETED carries the object as deleted (with the new resourceVersion). */
export interface Change {
  type: WatchEventType
  ref: ObjectRef
  object: KObject
  /** The object before a MODIFIED change. */
  prev?: KObject
}

export interface ApplyContext {
  readonly table: ObjectTable
  readonly index: number
  readonly kinds: KindLookup
  readonly changes: Change[]
}

const fail = (error: StoreError): ApplyResult => ({ ok: false, error })
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export function applyCommand (ctx: ApplyContext, command: unknown): ApplyResult {
  if (!isRecord(command)) return fail(invalidCommandError('A store command must be an object with an `op`'))
  switch (command.op) {
    case 'create': return create(ctx, command.object)
    case 'update': return update(ctx, command.object, command.subresource)
    case 'delete': return remove(ctx, command.ref, command.preconditions, command.deletionTimestamp, command.gracePeriodSeconds)
    case 'batch': {
      if (!Array.isArray(command.commands)) return fail(invalidCommandError('A batch command needs a `commands` list'))
      return { ok: true, results: command.commands.map((c: unknown) => applyCommand(ctx, c)) }
    }
    default: return fail(invalidCommandError(`Unknown store command op ${JSON.stringify(command.op)}: expected create, update, delete or batch`))
  }
}

/** Checks the object's shape and scope; returns its ref (namespace cleared for cluster-scoped kinds) or an error. */
function checkObject (ctx: ApplyContext, obj: unknown): { ref: ObjectRef, obj: KObject, scope: KindScope | undefined } | StoreError {
  if (!isRecord(obj) || typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string' || !isRecord(obj.metadata)) {
    return invalidCommandError('The object of a store command needs apiVersion, kind and metadata')
  }
  const k = obj as KObject
  if (typeof k.metadata.name !== 'string' || k.metadata.name === '') return invalidCommandError(`${k.kind} metadata.name: Required value`)
  const ref = refOf(k)
  const scope = ctx.kinds(ref.group, ref.kind)
  if (scope?.namespaced === true && ref.namespace === '') return invalidCommandError(`${k.kind} ${JSON.stringify(ref.name)} metadata.namespace: Required value`)
  if (scope?.namespaced === false && k.metadata.namespace !== undefined) {
    delete k.metadata.namespace
    ref.namespace = ''
  }
  return { ref, obj: k, scope }
}

function namespaceExists (ctx: ApplyContext, namespace: string): boolean {
  return ctx.table.get({ group: '', kind: 'Namespace', namespace: '', name: namespace }) !== undefined
}

function create (ctx: ApplyContext, raw: unknown): ApplyResult {
  const checked = checkObject(ctx, raw)
  if ('code' in checked) return fail(checked)
  const { ref, obj } = checked
  if (ctx.table.has(ref)) return fail(alreadyExistsError(ref.group, ref.kind, ref.name))
  if (ref.namespace !== '' && !namespaceExists(ctx, ref.namespace)) return fail(notFoundError('', 'Namespace', ref.namespace))
  if (isServiceObject(obj)) {
    const refused = allocateService(ctx.table, obj)
    if (refused !== undefined) return fail(refused)
  }
  obj.metadata.resourceVersion = String(ctx.index)
  obj.metadata.generation ??= 1
  deepFreeze(obj)
  ctx.table.set(ref, obj)
  ctx.changes.push({ type: 'ADDED', ref, object: obj })
  return { ok: true, object: obj }
}

/** Metadata a plain update cannot change. */
const STORE_OWNED_META = ['namespace', 'uid', 'creationTimestamp', 'generation', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const

/** As Kubernetes' registry: the stored object was marked, has no grace period left, and the update removed the last finalizer. */
function shouldDeleteDuringUpdate (stored: KObject, next: KObject): boolean {
  if ((next.metadata.finalizers ?? []).length > 0) return false
  if (isNamespace(next) && namespaceFinalizers(next).length > 0) return false
  if (stored.metadata.deletionTimestamp === undefined) return false
  return gracePeriodOf(stored) === 0
}

const isNamespace = (obj: KObject): boolean => obj.kind === 'Namespace' && obj.apiVersion === 'v1'

function namespaceFinalizers (obj: KObject): unknown[] {
  const spec = obj.spec
  return isRecord(spec) && Array.isArray(spec.finalizers) ? spec.finalizers : []
}

/** A Namespace marked for deletion: Terminating, its spec.finalizers kept (["kubernetes"] when absent). */
function markNamespace (ctx: ApplyContext, ref: ObjectRef, stored: KObject, deletionTimestamp: string): ApplyResult {
  if (stored.metadata.deletionTimestamp !== undefined) return { ok: true, object: stored }
  const spec = isRecord(stored.spec) ? stored.spec : {}
  const finalizers = Array.isArray(spec.finalizers) ? spec.finalizers : ['kubernetes']
  const status = isRecord(stored.status) ? stored.status : {}
  const terminating: KObject = { ...stored, spec: { ...spec, finalizers }, status: { ...status, phase: 'Terminating' } }
  return mark(ctx, ref, terminating, deletionTimestamp, 0, stored)
}

function gracePeriodOf (obj: KObject): number {
  const g = obj.metadata.deletionGracePeriodSeconds
  return typeof g === 'number' ? g : 0
}

/** Everything but apiVersion, kind, metadata and status: what bumps generation when it changes. */
function specOf (obj: KObject): Record<string, unknown> {
  const { apiVersion: _a, kind: _k, metadata: _m, status: _s, ...rest } = obj
  return rest
}

function update (ctx: ApplyContext, raw: unknown, subresource: unknown): ApplyResult {
  const checked = checkObject(ctx, raw)
  if ('code' in checked) return fail(checked)
  const { ref, obj, scope } = checked
  const hasStatus = scope?.subresources.includes('status') ?? false
  if (subresource === 'status' && scope !== undefined && !hasStatus) {
    return fail({ code: 404, reason: 'NotFound', message: `the server could not find the requested resource (put ${ref.kind.toLowerCase()} status)` })
  }
  if (subresource !== undefined && subresource !== 'status') {
    return fail(invalidCommandError(`Unknown subresource ${JSON.stringify(subresource)}: only 'status' is written through the store`))
  }
  const stored = ctx.table.get(ref)
  if (stored === undefined) return fail(notFoundError(ref.group, ref.kind, ref.name))
  const rv = obj.metadata.resourceVersion
  if (rv !== undefined && rv !== '' && rv !== stored.metadata.resourceVersion) return fail(conflictError(ref.group, ref.kind, ref.name))
  let next: KObject
  if (subresource === 'status') {
    next = { ...stored, metadata: { ...stored.metadata } }
    if (obj.status === undefined) delete next.status
    else next.status = obj.status
  } else {
    const meta: ObjectMeta = { ...obj.metadata, name: stored.metadata.name }
    for (const key of STORE_OWNED_META) {
      if (stored.metadata[key] === undefined) delete meta[key]
      else (meta as Record<string, unknown>)[key] = stored.metadata[key]
    }
    next = { ...obj, metadata: meta }
    if (isServiceObject(next)) {
      const refused = allocateService(ctx.table, next, stored)
      if (refused !== undefined) return fail(refused)
    }
    if (hasStatus) {
      if (stored.status === undefined) delete next.status
      else next.status = stored.status
    }
    if (!deepEqual(specOf(stored), specOf(next))) next.metadata.generation = (stored.metadata.generation ?? 0) + 1
  }
  next.metadata.resourceVersion = stored.metadata.resourceVersion
  if (deepEqual(next, stored)) return { ok: true, object: stored }
  next.metadata.resourceVersion = String(ctx.index)
  deepFreeze(next)
  if (shouldDeleteDuringUpdate(stored, next)) {
    ctx.table.delete(ref)
    ctx.changes.push({ type: 'DELETED', ref, object: next })
    return { ok: true, object: next }
  }
  ctx.table.set(ref, next)
  ctx.changes.push({ type: 'MODIFIED', ref, object: next, prev: stored })
  return { ok: true, object: next }
}

function remove (ctx: ApplyContext, rawRef: unknown, preconditions: unknown, deletionTimestamp: unknown, gracePeriodSeconds: unknown): ApplyResult {
  if (!isRecord(rawRef) || typeof rawRef.group !== 'string' || typeof rawRef.kind !== 'string' || typeof rawRef.name !== 'string') {
    return fail(invalidCommandError('A delete command needs ref { group, kind, namespace, name }'))
  }
  const scope = ctx.kinds(rawRef.group, rawRef.kind)
  const namespace = scope?.namespaced === false || typeof rawRef.namespace !== 'string' ? '' : rawRef.namespace
  const ref: ObjectRef = { group: rawRef.group, kind: rawRef.kind, namespace, name: rawRef.name }
  const stored = ctx.table.get(ref)
  if (stored === undefined) return fail(notFoundError(ref.group, ref.kind, ref.name))
  if (isRecord(preconditions)) {
    const { uid, resourceVersion } = preconditions
    if (typeof uid === 'string' && uid !== stored.metadata.uid) return fail(preconditionError('UID', uid, stored.metadata.uid))
    if (typeof resourceVersion === 'string' && resourceVersion !== stored.metadata.resourceVersion) {
      return fail(preconditionError('ResourceVersion', resourceVersion, stored.metadata.resourceVersion))
    }
  }
  const grace = typeof gracePeriodSeconds === 'number' && gracePeriodSeconds > 0 ? gracePeriodSeconds : 0
  const spec = stored.spec
  const namespaceToFinalize = isNamespace(stored) && !(isRecord(spec) && Array.isArray(spec.finalizers) && spec.finalizers.length === 0)
  if (typeof deletionTimestamp === 'string' && namespaceToFinalize) return markNamespace(ctx, ref, stored, deletionTimestamp)
  const hasFinalizers = (stored.metadata.finalizers ?? []).length > 0
  if (typeof deletionTimestamp === 'string' && (hasFinalizers || grace > 0)) {
    if (stored.metadata.deletionTimestamp !== undefined) {
      // Already marked: only a shorter grace period changes anything (and brings the deadline forward).
      if (grace >= gracePeriodOf(stored)) return { ok: true, object: stored }
      const earlier = deletionTimestamp < stored.metadata.deletionTimestamp ? deletionTimestamp : stored.metadata.deletionTimestamp
      return mark(ctx, ref, stored, earlier, grace)
    }
    return mark(ctx, ref, stored, deletionTimestamp, grace)
  }
  const deleted = deepFreeze({ ...stored, metadata: { ...stored.metadata, resourceVersion: String(ctx.index) } })
  ctx.table.delete(ref)
  ctx.changes.push({ type: 'DELETED', ref, object: deleted })
  return { ok: true, object: deleted }
}

function mark (ctx: ApplyContext, ref: ObjectRef, stored: KObject, deletionTimestamp: string, grace: number, prev: KObject = stored): ApplyResult {
  const metadata: ObjectMeta = {
    ...stored.metadata,
    deletionTimestamp,
    deletionGracePeriodSeconds: grace,
    generation: (stored.metadata.generation ?? 0) + (stored.metadata.deletionTimestamp === undefined ? 1 : 0),
    resourceVersion: String(ctx.index)
  }
  const marked = deepFreeze({ ...stored, metadata })
  ctx.table.set(ref, marked)
  ctx.changes.push({ type: 'MODIFIED', ref, object: marked, prev })
  return { ok: true, object: marked }
}
