// Snapshot/restore, the on-disk applied state (reopen without replay), and determinism: two
// stores fed the same entries end byte-identical.

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Rng } from '../../sim/rng.ts'
import type { Entry } from '../../../raft/types.ts'
import { GoneError } from '../../../src/store/errors.ts'
import { ObjectStore } from '../../../src/store/object-store.ts'
import { diskKey, StorePersistence } from '../../../src/store/store-persistence.ts'
import type { KObject, StoreCommand } from '../../../src/store/types.ts'
import { entry, Feeder, namespace, pod } from './helpers.ts'

const dirs: string[] = []
const stores: ObjectStore[] = []
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close()
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function tempDir (): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-store-'))
  dirs.push(dir)
  return dir
}

async function open (dir?: string): Promise<ObjectStore> {
  const s = await ObjectStore.open(dir === undefined ? {} : { dir })
  stores.push(s)
  return s
}

const names = (s: ObjectStore): string[] => s.list('', 'Pod', undefined).items.map((p) => `${p.metadata.namespace}/${p.metadata.name}@${p.metadata.resourceVersion}`)

describe('snapshot and restore', () => {
  it('round-trips the whole state and the applied index', async () => {
    const a = await open()
    const f = new Feeder(a)
    await f.create(namespace('default'), pod('x'), pod('y'), { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'default' }, spec: {} })
    await f.ok({ op: 'delete', ref: { group: '', kind: 'Pod', namespace: 'default', name: 'x' } })
    const b = await open()
    await b.restore(a.snapshot())
    expect(b.appliedIndex).toBe(a.appliedIndex)
    expect(names(b)).toEqual(names(a))
    expect(b.get({ group: 'apps', kind: 'Deployment', namespace: 'default', name: 'd' })).toEqual(a.get({ group: 'apps', kind: 'Deployment', namespace: 'default', name: 'd' }))
    expect(b.snapshot()).toEqual(a.snapshot())
    // Restored objects are frozen like applied ones.
    expect(Object.isFrozen(b.get({ group: '', kind: 'Pod', namespace: 'default', name: 'y' })?.metadata)).toBe(true)
  })

  it('refuses bytes that are not a snapshot', async () => {
    const s = await open()
    await expect(s.restore(Uint8Array.of(0x92, 1, 2))).rejects.toThrow(/not written by ObjectStore.snapshot/)
  })
})

describe('persistence', () => {
  it('reloads objects and appliedIndex after reopening, without replay', async () => {
    const dir = await tempDir()
    const first = await ObjectStore.open({ dir })
    const f = new Feeder(first)
    await f.create(namespace('default'), pod('a'), pod('b'))
    await f.ok({ op: 'delete', ref: { group: '', kind: 'Pod', namespace: 'default', name: 'a' } })
    await first.apply([entry(10, { op: 'batch', commands: [{ op: 'create', object: pod('c') }, { op: 'create', object: pod('d') }] })])
    const before = names(first)
    const snapshot = first.snapshot()
    await first.close()

    const second = await open(dir)
    expect(second.appliedIndex).toBe(10)
    expect(names(second)).toEqual(before)
    expect(second.snapshot()).toEqual(snapshot)
    // History starts at the loaded index: older watches are Gone, newer ones work.
    expect(() => second.watch('', 'Pod', undefined, 9, {}, () => {})).toThrow(GoneError)
    const seen: string[] = []
    second.watch('', 'Pod', undefined, 10, {}, (e) => seen.push(`${e.type} ${e.object.metadata.name}`))
    // A Raft driver replaying from an older point: entries at or below appliedIndex are skipped.
    const results = await second.apply([entry(9, { op: 'create', object: pod('zzz') }), entry(11, { op: 'create', object: pod('e') })])
    expect(results[0]).toMatchObject({ ok: false, error: { reason: 'Conflict' } })
    expect(seen).toEqual(['ADDED e'])
  })

  it('persists a restored snapshot, replacing what was on disk', async () => {
    const source = await open()
    const sf = new Feeder(source)
    await sf.create(namespace('default'), pod('from-snapshot'))

    const dir = await tempDir()
    const s = await ObjectStore.open({ dir })
    const f = new Feeder(s)
    await f.create(namespace('default'), pod('old-1'), pod('old-2'), pod('old-3'))
    await s.restore(source.snapshot())
    await s.close()

    const reopened = await open(dir)
    expect(reopened.appliedIndex).toBe(2)
    expect(names(reopened)).toEqual(['default/from-snapshot@2'])
  })

  it('writes applies that come close together as one batch, the later state of an object winning', async () => {
    const dir = await tempDir()
    const { persistence } = await StorePersistence.open(dir)
    const cm = (name: string, v: string): KObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { v } })
    const writes: Array<Promise<void>> = []
    for (let i = 1; i <= 50; i++) writes.push(persistence.write(new Map([[diskKey(cm('same', String(i))), cm('same', String(i))], [diskKey(cm(`n${i}`, 'x')), cm(`n${i}`, 'x')]]), i))
    writes.push(persistence.write(new Map([[diskKey(cm('n7', 'x')), null]]), 51))
    await Promise.all(writes)
    expect(persistence.batchesWritten).toBe(1)
    await persistence.close()
    const reopened = await StorePersistence.open(dir)
    await reopened.persistence.close()
    expect(reopened.appliedIndex).toBe(51)
    expect(reopened.objects).toHaveLength(50)
    expect(reopened.objects.find((o) => o.metadata.name === 'same')?.data).toEqual({ v: '50' })
    expect(reopened.objects.some((o) => o.metadata.name === 'n7')).toBe(false)
  })

  it('refuses a second opener of the same directory', async () => {
    const dir = await tempDir()
    await open(dir)
    await expect(ObjectStore.open({ dir })).rejects.toThrow(/Another agent is using the object store/)
  })
})

describe('determinism', () => {
  /** A random mix of creates, updates (some stale), status writes, deletes and batches. */
  function commands (seed: number, count: number): StoreCommand[] {
    const rng = new Rng(seed)
    const out: StoreCommand[] = [{ op: 'create', object: namespace('default') }, { op: 'create', object: namespace('b') }]
    const one = (): StoreCommand => {
      const name = `p${rng.int(0, 9)}`
      const ns = rng.pick(['default', 'b', 'missing'])
      const p: KObject = pod(name, ns, { labels: { v: String(rng.int(0, 3)) }, phase: rng.pick(['Pending', 'Running']) })
      switch (rng.int(0, 4)) {
        case 0: return { op: 'create', object: p }
        case 1: return { op: 'update', object: { ...p, metadata: { ...p.metadata, resourceVersion: rng.chance(0.5) ? String(rng.int(1, 50)) : '' } } }
        case 2: return { op: 'update', object: p, subresource: 'status' }
        case 3: return { op: 'delete', ref: { group: '', kind: 'Pod', namespace: ns, name } }
        default: return { op: 'batch', commands: [{ op: 'create', object: p }, { op: 'delete', ref: { group: '', kind: 'Pod', namespace: ns, name: `p${rng.int(0, 9)}` } }] }
      }
    }
    for (let i = 0; i < count; i++) out.push(one())
    return out
  }

  it.each([1, 2, 3])('two stores fed the same entries end identical (seed %i)', async (seed) => {
    const entries: Entry[] = commands(seed, 300).map((c, i) => entry(i + 1, c))
    const a = await open()
    const b = await open()
    const eventsA: string[] = []
    const eventsB: string[] = []
    a.watch('', 'Pod', undefined, 0, {}, (e) => eventsA.push(JSON.stringify(e)))
    b.watch('', 'Pod', undefined, 0, {}, (e) => eventsB.push(JSON.stringify(e)))
    const resultsA = await a.apply(entries)
    const resultsB: unknown[] = []
    for (let i = 0; i < entries.length; i += 7) resultsB.push(...await b.apply(entries.slice(i, i + 7)))
    expect(JSON.stringify(resultsB)).toBe(JSON.stringify(resultsA))
    expect(b.snapshot()).toEqual(a.snapshot())
    expect(eventsB).toEqual(eventsA)
    expect(a.size).toBeGreaterThan(2)
  })
})
