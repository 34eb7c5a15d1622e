// The objects every cluster starts with: the namespaces `default`, `kube-system`,
// `kube-public` and `kube-node-lease`. The store does not invent them (that would need a
// clock and uids inside apply); the agent that creates a cluster proposes, once, as the first
// command of the new log:
//
//   { op: 'batch', commands: bootstrapCommands(new Date().toISOString(), () => randomUUID()) }
//
// Every agent then applies the same bytes. Re-proposing is harmless: the creates fail with
// AlreadyExists.

import { namespaceKind } from '../objects/namespace.ts'
import type { KObject, StoreCommand } from './types.ts'

export const BOOTSTRAP_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public', 'kube-node-lease']

/**
 * Create commands for the initial namespaces. `now` is the creationTimestamp (RFC 3339);
 * `uidFor(name)` gives each namespace its uid.
 */
export function bootstrapCommands (now: string, uidFor: (name: string) => string): StoreCommand[] {
  return BOOTSTRAP_NAMESPACES.map((name) => {
    const object: KObject = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, uid: uidFor(name), creationTimestamp: now }
    }
    namespaceKind.defaults(object)
    return { op: 'create', object }
  })
}
