// The namespace controller (leader only): empties a namespace being deleted. The API marks a
// deleted Namespace Terminating (spec.finalizers ["kubernetes"], see the store); this role
// deletes every namespaced object in it (every namespaced kind the API serves), waits until
// they are gone (objects with finalizers or grace periods take their time), then removes the
// "kubernetes" finalizer, and the store removes the Namespace.

import type { RoleContext } from '../agent/roles.ts'
import { KINDS } from '../objects/kinds.ts'
import type { KObject, WatchEvent } from '../store/types.ts'
import { ControllerRole } from './controller-role.ts'
import { isDeleting } from './owner-refs.ts'
import { deleteCommand, updateCommand, writeAll } from './store-writes.ts'

export const NAMESPACE_FINALIZER = 'kubernetes'
/** Look again this often while contents remain (their deletions also wake it). */
const RECHECK_MS = 5_000

const NAMESPACED = KINDS.filter((k) => k.namespaced)

export function namespaceController (ctx: RoleContext): ControllerRole {
  const reader = ctx.backend.reader
  const isTerminating = (name: string): boolean => {
    const ns = reader.get({ group: '', kind: 'Namespace', namespace: '', name })
    return ns !== undefined && isDeleting(ns)
  }
  const onContent = (e: WatchEvent, enqueue: (key: string) => void): void => {
    const ns = e.object.metadata.namespace
    if (e.type === 'DELETED' && ns !== undefined && isTerminating(ns)) enqueue(ns)
  }
  return new ControllerRole(ctx, {
    name: 'namespace-controller',
    watches: [
      { kind: { group: '', kind: 'Namespace' }, onEvent: (e, enqueue) => { if (e.type !== 'DELETED' && isDeleting(e.object)) enqueue(e.object.metadata.name) } },
      ...NAMESPACED.map((k) => ({ kind: { group: k.group, kind: k.kind }, onEvent: onContent }))
    ],
    reconcile: async (name, queue) => {
      const ns = reader.get({ group: '', kind: 'Namespace', namespace: '', name })
      if (ns === undefined || !isDeleting(ns)) return
      const remaining = await deleteContents(ctx, name)
      if (remaining > 0) {
        queue.addAfter(name, RECHECK_MS)
        return
      }
      await removeFinalizer(ctx, ns)
    }
  })
}

/** Deletes what is left in the namespace; returns how many objects are still there. */
async function deleteContents (ctx: RoleContext, namespace: string): Promise<number> {
  const now = ctx.backend.now()
  let remaining = 0
  const victims: KObject[] = []
  for (const k of NAMESPACED) {
    for (const obj of ctx.backend.reader.list(k.group, k.kind, namespace).items) {
      remaining++
      if (!isDeleting(obj)) victims.push(obj)
    }
  }
  const results = await writeAll(ctx.backend, victims.map((obj) => deleteCommand(obj, now)))
  // Deleted outright (no finalizers, no grace period) is no longer there.
  for (const r of results) if (r.ok && 'object' in r && r.object.metadata.deletionTimestamp === undefined) remaining--
  return remaining
}

async function removeFinalizer (ctx: RoleContext, ns: KObject): Promise<void> {
  const spec = (ns.spec ?? {}) as { finalizers?: string[] }
  const finalizers = (spec.finalizers ?? []).filter((f) => f !== NAMESPACE_FINALIZER)
  const r = await ctx.backend.write(updateCommand({ ...ns, spec: { ...spec, finalizers } }))
  if (!r.ok && r.error.reason !== 'NotFound') throw new Error(`finalizing namespace ${ns.metadata.name}: ${r.error.message}`)
}
