// ownerReferences helpers shared by the controllers and the garbage collector: who controls
// an object, a controller reference to an owner, and the object reference an owner
// reference points at.

import { splitApiVersion } from '../objects/registry.ts'
import type { KObject, ObjectReader, ObjectRef, OwnerReference, WatchEvent } from '../store/types.ts'

/** The ownerReference with `controller: true`, if any. */
export function controllerRefOf (obj: KObject): OwnerReference | undefined {
  return (obj.metadata.ownerReferences ?? []).find((r) => r.controller === true)
}

/** True when `owner` (by uid) is `obj`'s controller. */
export function isControlledBy (obj: KObject, owner: KObject): boolean {
  const ref = controllerRefOf(obj)
  return ref !== undefined && ref.uid === owner.metadata.uid
}

/** A controller reference to `owner`, blocking its foreground deletion (as Kubernetes' controllers set it). */
export function controllerRefTo (owner: KObject): OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }
}

/** Where the owner named by `ref` lives; owners are in the dependent's namespace or cluster-scoped. */
export function ownerObjectRef (ref: OwnerReference, namespace: string, namespaced: boolean): ObjectRef {
  return { group: splitApiVersion(ref.apiVersion).group, kind: ref.kind, namespace: namespaced ? namespace : '', name: ref.name }
}

/** `obj` with its ownerReferences replaced (removed when empty). */
export function withOwnerRefs (obj: KObject, refs: OwnerReference[]): KObject {
  const metadata = { ...obj.metadata }
  if (refs.length === 0) delete metadata.ownerReferences
  else metadata.ownerReferences = refs
  return { ...obj, metadata }
}

/** True when the object is being deleted. */
export function isDeleting (obj: KObject): boolean {
  return obj.metadata.deletionTimestamp !== undefined
}

/** True when the namespace is being deleted (or gone): controllers create nothing in it, as the API refuses. */
export function namespaceTerminating (reader: ObjectReader, namespace: string): boolean {
  const ns = reader.get({ group: '', kind: 'Namespace', namespace: '', name: namespace })
  return ns === undefined || isDeleting(ns)
}

/**
 * The watch handler for a controller's children: a child with a controller reference queues
 * that owner (when it is of `owner.kind`); an orphan queues every owner in its namespace whose
 * selector matches it, so one can adopt it.
 */
export function enqueueOwnerOf (
  reader: ObjectReader, owner: { group: string, kind: string }, selects: (owner: KObject, labels: Record<string, string> | undefined) => boolean
): (e: WatchEvent, enqueue: (key: string) => void) => void {
  return (e: WatchEvent, enqueue: (key: string) => void): void => {
    const child = e.object
    const ns = child.metadata.namespace ?? ''
    const ref = controllerRefOf(child)
    if (ref !== undefined) {
      if (ref.kind === owner.kind && splitApiVersion(ref.apiVersion).group === owner.group) enqueue(`${ns}/${ref.name}`)
      return
    }
    if (e.type === 'DELETED' || isDeleting(child)) return
    for (const o of reader.list(owner.group, owner.kind, ns).items) {
      if (selects(o, child.metadata.labels)) enqueue(`${ns}/${o.metadata.name}`)
    }
  }
}
