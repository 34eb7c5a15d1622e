// The garbage collector (leader only): deletion that follows ownerReferences, with
// Kubernetes' three propagation policies.
// - Background (the default): the owner goes at once; a dependent whose owners are all gone
//   (absent, or replaced by an object with another uid) is deleted; references to owners
//   that are gone are dropped from dependents that still have a live owner.
// - Foreground: the owner carries the `foregroundDeletion` finalizer and a deletionTimestamp;
//   its dependents are deleted (in foreground themselves when they own others), and once no
//   dependent with blockOwnerDeletion is left the finalizer is removed and the owner goes.
// - Orphan: the owner carries the `orphan` finalizer; its references are removed from every
//   dependent, then the finalizer, and the owner goes.
// The API adds the finalizers (DeleteOptions.propagationPolicy); this role does the rest.
// It keeps an index of dependents by owner uid, built from the informers of every kind.

import type { RoleContext } from '../agent/roles.ts'
import { KINDS, kindFor } from '../objects/kinds.ts'
import { splitApiVersion } from '../objects/registry.ts'
import { refOf } from '../store/refs.ts'
import type { KObject, ObjectRef, StoreCommand, WatchEvent } from '../store/types.ts'
import { ControllerRole } from './controller-role.ts'
import { isDeleting, ownerObjectRef, withOwnerRefs } from './owner-refs.ts'
import { deleteCommand, updateCommand, writeAll } from './store-writes.ts'

export const FOREGROUND_FINALIZER = 'foregroundDeletion'
export const ORPHAN_FINALIZER = 'orphan'

const keyOfRef = (r: ObjectRef): string => `${r.group}|${r.kind}|${r.namespace}|${r.name}`
function refOfKey (key: string): ObjectRef {
  const [group = '', kind = '', namespace = '', name = ''] = key.split('|')
  return { group, kind, namespace, name }
}

/** Dependents by owner uid, from every object's ownerReferences. */
class DependentIndex {
  private readonly byOwner = new Map<string, Set<string>>()
  private readonly owners = new Map<string, string[]>()

  clear (): void {
    this.byOwner.clear()
    this.owners.clear()
  }

  set (key: string, obj: KObject | undefined): void {
    for (const uid of this.owners.get(key) ?? []) {
      const set = this.byOwner.get(uid)
      set?.delete(key)
      if (set?.size === 0) this.byOwner.delete(uid)
    }
    this.owners.delete(key)
    const uids = (obj?.metadata.ownerReferences ?? []).map((r) => r.uid)
    if (uids.length === 0) return
    this.owners.set(key, uids)
    for (const uid of uids) {
      let set = this.byOwner.get(uid)
      if (set === undefined) this.byOwner.set(uid, set = new Set())
      set.add(key)
    }
  }

  dependents (uid: string | undefined): string[] {
    return uid === undefined ? [] : [...this.byOwner.get(uid) ?? []]
  }
}

export function garbageCollector (ctx: RoleContext): ControllerRole {
  const index = new DependentIndex()
  const reader = ctx.backend.reader
  const onEvent = (e: WatchEvent, enqueue: (key: string) => void): void => {
    const obj = e.object
    const ref = refOf(obj)
    const key = keyOfRef(ref)
    index.set(key, e.type === 'DELETED' ? undefined : obj)
    if (e.type !== 'DELETED' && ((obj.metadata.ownerReferences ?? []).length > 0 || isDeleting(obj))) enqueue(key)
    // Owners waiting for their dependents look again when one changes or goes.
    if (e.type !== 'ADDED') {
      for (const o of obj.metadata.ownerReferences ?? []) enqueue(keyOfRef(ownerRef(o, ref.namespace)))
    }
    if (e.type === 'DELETED' || isDeleting(obj)) for (const d of index.dependents(obj.metadata.uid)) enqueue(d)
  }
  return new ControllerRole(ctx, {
    name: 'garbage-collector',
    reset: () => { index.clear() },
    watches: KINDS.map((k) => ({ kind: { group: k.group, kind: k.kind }, onEvent })),
    reconcile: async (key) => {
      const obj = reader.get(refOfKey(key))
      if (obj === undefined) return
      await processOwner(ctx, obj, index.dependents(obj.metadata.uid).map((k) => reader.get(refOfKey(k))).filter((x): x is KObject => x !== undefined), index)
      const fresh = reader.get(refOfKey(key))
      if (fresh !== undefined) await processDependent(ctx, fresh)
    }
  })
}

function ownerRef (o: { apiVersion: string, kind: string, name: string }, namespace: string): ObjectRef {
  const namespaced = kindFor(splitApiVersion(o.apiVersion).group, o.kind)?.namespaced ?? true
  return ownerObjectRef(o as { apiVersion: string, kind: string, name: string, uid: string }, namespace, namespaced)
}

const hasFinalizer = (obj: KObject, f: string): boolean => (obj.metadata.finalizers ?? []).includes(f)

function withoutFinalizer (obj: KObject, f: string): KObject {
  return { ...obj, metadata: { ...obj.metadata, finalizers: (obj.metadata.finalizers ?? []).filter((x) => x !== f) } }
}

/** Deleting `obj` in the foreground: the finalizer first, then the mark (one entry). */
export function foregroundDeleteCommands (obj: KObject, now: string): StoreCommand[] {
  const marked = hasFinalizer(obj, FOREGROUND_FINALIZER) ? [] : [updateCommand({ ...obj, metadata: { ...obj.metadata, finalizers: [...obj.metadata.finalizers ?? [], FOREGROUND_FINALIZER] } })]
  return [...marked, deleteCommand(obj, now)]
}

/** An owner being deleted with the orphan or foregroundDeletion finalizer. */
async function processOwner (ctx: RoleContext, owner: KObject, dependents: KObject[], index: DependentIndex): Promise<void> {
  if (!isDeleting(owner)) return
  const uid = owner.metadata.uid
  const mine = dependents.filter((d) => (d.metadata.ownerReferences ?? []).some((r) => r.uid === uid))
  if (hasFinalizer(owner, ORPHAN_FINALIZER)) {
    const results = await writeAll(ctx.backend, mine.map((d) => updateCommand(withOwnerRefs(d, (d.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid)))))
    if (results.some((r) => !r.ok)) throw new Error(`could not orphan every dependent of ${owner.kind} ${owner.metadata.name}; retrying`)
    await finish(ctx, owner, ORPHAN_FINALIZER)
    return
  }
  if (!hasFinalizer(owner, FOREGROUND_FINALIZER)) return
  const now = ctx.backend.now()
  const commands: StoreCommand[] = []
  for (const d of mine) {
    if (isDeleting(d)) continue
    // A dependent that owns others is deleted in the foreground too, so the wait reaches down the chain.
    const ownsOthers = index.dependents(d.metadata.uid).length > 0
    commands.push(...(ownsOthers ? foregroundDeleteCommands(d, now) : [deleteCommand(d, now)]))
  }
  await writeAll(ctx.backend, commands)
  const blocking = mine.filter((d) => ctx.backend.reader.get(refOf(d))?.metadata.uid === d.metadata.uid &&
    (d.metadata.ownerReferences ?? []).some((r) => r.uid === uid && r.blockOwnerDeletion === true))
  if (blocking.length === 0) await finish(ctx, owner, FOREGROUND_FINALIZER)
}

/** Remove `finalizer` from the owner as it is now (it goes if that was the last one). */
async function finish (ctx: RoleContext, owner: KObject, finalizer: string): Promise<void> {
  const fresh = ctx.backend.reader.get(refOf(owner))
  if (fresh === undefined || fresh.metadata.uid !== owner.metadata.uid || !hasFinalizer(fresh, finalizer)) return
  const r = await ctx.backend.write(updateCommand(withoutFinalizer(fresh, finalizer)))
  if (!r.ok && r.error.reason !== 'NotFound') throw new Error(`removing finalizer ${finalizer} from ${owner.kind} ${owner.metadata.name}: ${r.error.message}`)
}

/** A dependent whose owners are all gone is deleted; references to owners that are gone are dropped. */
async function processDependent (ctx: RoleContext, obj: KObject): Promise<void> {
  const refs = obj.metadata.ownerReferences ?? []
  if (refs.length === 0) return
  const namespace = obj.metadata.namespace ?? ''
  // An owner of a kind this cluster does not serve cannot be looked up: count it as alive
  // (as Kubernetes leaves dependents of unresolvable owners alone).
  const live = refs.filter((r) => kindFor(splitApiVersion(r.apiVersion).group, r.kind) === undefined ||
    ctx.backend.reader.get(ownerRef(r, namespace))?.metadata.uid === r.uid)
  if (live.length === refs.length) return
  if (live.length > 0) {
    const r = await ctx.backend.write(updateCommand(withOwnerRefs(obj, live)))
    if (!r.ok && r.error.reason !== 'NotFound') throw new Error(`dropping dangling ownerReferences of ${obj.kind} ${obj.metadata.name}: ${r.error.message}`)
    return
  }
  if (isDeleting(obj)) return
  const r = await ctx.backend.write(deleteCommand(obj, ctx.backend.now()))
  if (!r.ok && r.error.reason !== 'NotFound' && r.error.reason !== 'Conflict') {
    throw new Error(`deleting ${obj.kind} ${obj.metadata.name}, whose owners are gone: ${r.error.message}`)
  }
}
