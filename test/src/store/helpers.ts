// Test helpers: objects as the API would propose them, and a feeder that wraps commands in
// Raft entries with consecutive indexes.

import type { Entry } from '../../../raft/types.ts'
import { encodeCommand, type ObjectStore } from '../../../src/store/object-store.ts'
import type { ApplyResult, KObject, StoreCommand } from '../../../src/store/types.ts'

export function namespace (name: string): KObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, uid: `uid-ns-${name}`, creationTimestamp: '2024-01-01T00:00:00Z' }, status: { phase: 'Active' } }
}

export function pod (name: string, ns = 'default', extra: { labels?: Record<string, string>, nodeName?: string, phase?: string } = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, uid: `uid-${ns}-${name}`, creationTimestamp: '2024-01-01T00:00:00Z', ...(extra.labels !== undefined ? { labels: extra.labels } : {}) },
    spec: { containers: [{ name: 'c', image: 'nginx' }], ...(extra.nodeName !== undefined ? { nodeName: extra.nodeName } : {}) },
    status: { phase: extra.phase ?? 'Pending' }
  }
}

export function configMap (name: string, data: Record<string, string>, ns = 'default'): KObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, uid: `uid-cm-${name}` }, data }
}

export function entry (index: number, command: StoreCommand): Entry {
  return { term: 1, index, data: encodeCommand(command) }
}

/** Applies commands one entry each, at consecutive indexes starting after the store's appliedIndex. */
export class Feeder {
  constructor (readonly store: ObjectStore) {}

  get next (): number {
    return this.store.appliedIndex + 1
  }

  async run (command: StoreCommand): Promise<ApplyResult> {
    const [result] = await this.store.apply([entry(this.next, command)])
    return result as ApplyResult
  }

  async ok (command: StoreCommand): Promise<KObject> {
    const result = await this.run(command)
    if (!result.ok || !('object' in result)) throw new Error(`expected success, got ${JSON.stringify(result)}`)
    return result.object
  }

  async create (...objects: KObject[]): Promise<void> {
    for (const object of objects) await this.ok({ op: 'create', object })
  }
}

/** A deep copy that the test may change (store objects are frozen). */
export const copy = <T>(v: T): T => structuredClone(v)
