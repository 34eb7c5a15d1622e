// Objects held encoded (object-codec.ts, object-table.ts): a lossless round trip, snapshots
// byte-identical to msgpackr's own encoding of the whole state (so old and new snapshots read
// alike), and a store whose encoded kinds behave as the others do: reads, lists in order,
// selectors, watches, snapshot and restore with the right watch events.

import { Packr } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { encodeSnapshot } from '../../../src/store/command-codec.ts'
import { deepEqual } from '../../../src/store/deep.ts'
import { decodeObject, encodeObject, packSnapshot } from '../../../src/store/object-codec.ts'
import { ObjectStore } from '../../../src/store/object-store.ts'
import type { KObject, WatchEvent } from '../../../src/store/types.ts'
import { configMap, Feeder, namespace, pod } from './helpers.ts'

const cmRef = (name: string): { group: string, kind: string, namespace: string, name: string } => ({ group: '', kind: 'ConfigMap', namespace: 'default', name })

describe('object codec', () => {
  it('decodes what it encoded: equal, frozen, a new copy each time, binary and non-Latin-1 text included', () => {
    const obj: KObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'ünïcødé ✓', namespace: 'default', generation: 3 }, data: { bin: new Uint8Array([0, 255, 7]) }, list: [1.5, null, true, { a: 'b' }] }
    const encoded = encodeObject(obj)
    const a = decodeObject(encoded)
    // deepEqual: the store's equality (bin comes back as a Buffer, as from any command).
    expect(deepEqual(a, obj)).toBe(true)
    expect([...(a.data as { bin: Uint8Array }).bin]).toEqual([0, 255, 7])
    expect(Object.isFrozen(a.metadata)).toBe(true)
    expect(decodeObject(encoded)).not.toBe(a)
  })

  it('packs a snapshot byte-identical to msgpackr packing the decoded state, for every array header size', () => {
    const packr = new Packr({ useRecords: false })
    for (const n of [0, 1, 15, 16, 300, 70_000]) {
      const objects = Array.from({ length: n }, (_, i) => configMap(`cm-${i}`, { k: 'v'.repeat(i % 40) }))
      const mixed = objects.map((o, i) => i % 2 === 0 ? encodeObject(o) : o)
      const packed = packSnapshot(42, mixed)
      expect(Buffer.from(packed).equals(packr.pack({ appliedIndex: 42, objects }))).toBe(true)
      if (n === 300) expect(Buffer.from(packed).equals(Buffer.from(encodeSnapshot({ appliedIndex: 42, objects })))).toBe(true)
    }
  })
})

describe('a store holding ConfigMaps encoded', () => {
  async function storeWith (...objects: KObject[]): Promise<{ store: ObjectStore, feed: Feeder }> {
    const store = new ObjectStore()
    const feed = new Feeder(store)
    await feed.create(namespace('default'), ...objects)
    return { store, feed }
  }

  it('reads, lists in name order and selects as for any kind', async () => {
    const { store } = await storeWith(configMap('b', { x: '1' }), configMap('a', { x: '2' }), { ...configMap('c', {}), metadata: { name: 'c', namespace: 'default', labels: { app: 'web' } } })
    const got = store.get(cmRef('a'))
    expect(got?.data).toEqual({ x: '2' })
    expect(got?.metadata.resourceVersion).toBe('3')
    expect(Object.isFrozen(got)).toBe(true)
    expect(store.list('', 'ConfigMap', 'default').items.map((o) => o.metadata.name)).toEqual(['a', 'b', 'c'])
    expect(store.list('', 'ConfigMap', undefined, { labelSelector: 'app=web' }).items.map((o) => o.metadata.name)).toEqual(['c'])
  })

  it('updates with resourceVersion checks and answers AlreadyExists, as for any kind', async () => {
    const { feed, store } = await storeWith(configMap('a', { x: '1' }))
    const updated = await feed.ok({ op: 'update', object: { ...configMap('a', { x: '9' }), metadata: { name: 'a', namespace: 'default', resourceVersion: '2' } } })
    expect(store.get(cmRef('a'))).toEqual(updated)
    expect((await feed.run({ op: 'create', object: configMap('a', {}) })).ok).toBe(false)
    const stale = await feed.run({ op: 'update', object: { ...configMap('a', { x: '0' }), metadata: { name: 'a', namespace: 'default', resourceVersion: '2' } } })
    expect(stale.ok ? null : stale.error.reason).toBe('Conflict')
  })

  it('restores a snapshot with one event per real difference: none for an unchanged ConfigMap', async () => {
    const { store: source, feed: sf } = await storeWith(configMap('same', { x: '1' }), configMap('changed', { x: '1' }), configMap('gone', {}), pod('p'))
    const target = new ObjectStore()
    await target.restore(source.snapshot())
    await sf.ok({ op: 'update', object: { ...configMap('changed', { x: '2' }) } })
    await sf.ok({ op: 'delete', ref: cmRef('gone') })
    await sf.create(configMap('new', {}))
    const events: string[] = []
    target.watch('', 'ConfigMap', undefined, target.appliedIndex, {}, (e: WatchEvent) => { events.push(`${e.type} ${e.object.metadata.name} ${String(e.object.data !== undefined)}`) })
    await target.restore(source.snapshot())
    expect(events.sort()).toEqual(['ADDED new true', 'DELETED gone true', 'MODIFIED changed true'])
    expect(target.get(cmRef('changed'))?.data).toEqual({ x: '2' })
    expect(target.snapshot()).toEqual(source.snapshot())
  })

  it('replays ConfigMap history to a watch from an older resourceVersion, batches included', async () => {
    const { store, feed } = await storeWith(configMap('a', { x: '1' }))
    const from = store.appliedIndex
    await feed.ok({ op: 'update', object: configMap('a', { x: '2' }) })
    await feed.run({ op: 'batch', commands: [{ op: 'create', object: configMap('b', { y: '1' }) }, { op: 'update', object: configMap('b', { y: '2' }) }] })
    await feed.ok({ op: 'delete', ref: cmRef('a') })
    const seen: string[] = []
    store.watch('', 'ConfigMap', 'default', from, {}, (e) => { seen.push(`${e.type} ${e.object.metadata.name} ${JSON.stringify(e.object.data)} ${String(e.object.metadata.resourceVersion)}`) })
    expect(seen).toEqual(['MODIFIED a {"x":"2"} 3', 'ADDED b {"y":"1"} 4', 'MODIFIED b {"y":"2"} 4', 'DELETED a {"x":"2"} 5'])
  })
})
