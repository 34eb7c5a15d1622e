// The LogStore contract (raft/log-store.ts) as a vitest suite every implementation runs.
// `open` gives a fresh, unloaded store; `reopen` closes the latest store and returns a new
// one over the same data, as after a restart; `cleanup` closes whatever is open and removes
// the data. Section numbers refer to the Raft paper.

import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SnapshotGoneError } from '../../raft/errors.ts'
import { EMPTY_HARD_STATE } from '../../raft/types.ts'
import type { Entry, HardState, Snapshot } from '../../raft/types.ts'
import type { LogStore, PersistedState } from '../../raft/log-store.ts'

export interface LogStoreHarness {
  readonly store: LogStore
  readonly reopen: () => Promise<LogStore>
  readonly cleanup: () => Promise<void>
}

const text = new TextEncoder()

function entry (index: number, term = 1): Entry {
  return { term, index, data: text.encode(`entry ${index} of term ${term}`) }
}

function entries (from: number, to: number, term = 1): Entry[] {
  return Array.from({ length: to - from + 1 }, (_, i) => entry(from + i, term))
}

function snapshot (index: number, term = 1): Snapshot {
  return { meta: { index, term, conf: { voters: ['a', 'b', 'c'], learners: ['d'] } }, data: text.encode(`state at ${index}`) }
}

function hardState (term: number, commit: number, vote: string | null = 'a'): HardState {
  return { term, vote, commit }
}

export function describeLogStoreContract (name: string, open: () => Promise<LogStoreHarness>): void {
  describe(`${name} keeps the LogStore contract`, () => {
    let harness: LogStoreHarness
    let store: LogStore

    beforeEach(async () => {
      harness = await open()
      store = harness.store
    })
    afterEach(async () => {
      await harness.cleanup()
    })

    /** Restart: what load() returns on the new store, which becomes `store`. */
    async function restart (): Promise<PersistedState> {
      store = await harness.reopen()
      return await store.load()
    }

    /** What load() returns now, and the same after a restart. */
    async function expectState (expected: PersistedState): Promise<void> {
      expect(await store.load()).toStrictEqual(expected)
      expect(await restart()).toStrictEqual(expected)
    }

    it('loads an empty state from a new store', async () => {
      await expectState({ hardState: EMPTY_HARD_STATE, snapshot: null, entries: [] })
    })

    it('keeps saved entries and hard state across a restart', async () => {
      await store.load()
      await store.save({ entries: entries(1, 3), hardState: hardState(1, 2) })
      await store.save({ hardState: hardState(2, 3, null) })
      await expectState({ hardState: hardState(2, 3, null), snapshot: null, entries: entries(1, 3) })
      await store.save({ entries: entries(4, 5, 2) })
      await expectState({ hardState: hardState(2, 3, null), snapshot: null, entries: [...entries(1, 3), ...entries(4, 5, 2)] })
    })

    it('replaces the tail from the first overlapping entry on (§5.3)', async () => {
      await store.load()
      await store.save({ entries: entries(1, 5) })
      await store.save({ entries: entries(3, 4, 2) })
      await expectState({ hardState: EMPTY_HARD_STATE, snapshot: null, entries: [...entries(1, 2), ...entries(3, 4, 2)] })
      await store.save({ entries: entries(2, 2, 3) })
      await expectState({ hardState: EMPTY_HARD_STATE, snapshot: null, entries: [entry(1), entry(2, 3)] })
    })

    it('discards every stored entry when a save carries a snapshot (§7)', async () => {
      await store.load()
      await store.save({ entries: entries(1, 5) })
      await store.save({ snapshot: snapshot(10, 2), entries: entries(11, 12, 2), hardState: hardState(2, 10) })
      await expectState({ hardState: hardState(2, 10), snapshot: snapshot(10, 2), entries: entries(11, 12, 2) })
      await store.save({ entries: entries(13, 13, 2) })
      await expectState({ hardState: hardState(2, 10), snapshot: snapshot(10, 2), entries: entries(11, 13, 2) })

      // Even entries after the snapshot's index go: the leader's snapshot replaces the log.
      await store.save({ snapshot: snapshot(12, 2) })
      await expectState({ hardState: hardState(2, 10), snapshot: snapshot(12, 2), entries: [] })
    })

    it('compacts: keeps the snapshot and the entries after throughIndex (§7)', async () => {
      await store.load()
      await store.save({ entries: entries(1, 6), hardState: hardState(1, 5) })
      await store.compact(snapshot(4), 3)
      await expectState({ hardState: hardState(1, 5), snapshot: snapshot(4), entries: entries(4, 6) })
      await store.save({ entries: entries(5, 7, 2) })
      await expectState({ hardState: hardState(1, 5), snapshot: snapshot(4), entries: [entry(4), ...entries(5, 7, 2)] })
    })

    it('continues after the snapshot when compaction emptied the log', async () => {
      await store.load()
      await store.save({ entries: entries(1, 3), hardState: hardState(1, 3) })
      await store.compact(snapshot(3), 3)
      await expectState({ hardState: hardState(1, 3), snapshot: snapshot(3), entries: [] })
      await store.save({ entries: entries(4, 4) })
      await expectState({ hardState: hardState(1, 3), snapshot: snapshot(3), entries: entries(4, 4) })
    })

    it('reads back any range of the stored snapshot, after a restart too; a replaced one is gone', async () => {
      await store.load()
      await store.save({ entries: entries(1, 6), hardState: hardState(1, 6) })
      const snap: Snapshot = { ...snapshot(4), data: text.encode('0123456789') }
      await store.compact(snap, 3)
      expect(await store.readSnapshot(4, 2, 5)).toEqual(text.encode('23456'))
      expect(await store.readSnapshot(4, 8, 5)).toEqual(text.encode('89'))
      await restart()
      expect(await store.readSnapshot(4, 0, 10)).toEqual(snap.data)
      await store.compact(snapshot(6), 6)
      await expect(store.readSnapshot(4, 0, 4)).rejects.toThrow(SnapshotGoneError)
      expect(await store.readSnapshot(6, 0, 100)).toEqual(snapshot(6).data)
    })

    it('skips entries at or below the compaction point, as etcd MemoryStorage.Append does', async () => {
      await store.load()
      await store.save({ entries: entries(1, 5) })
      await store.compact(snapshot(3), 3)
      await store.save({ entries: entries(2, 6, 2) })
      await expectState({ hardState: EMPTY_HARD_STATE, snapshot: snapshot(3), entries: entries(4, 6, 2) })
    })

    it('ignores a compaction older than the stored snapshot and rejects one beyond the log', async () => {
      await store.load()
      await store.save({ snapshot: snapshot(10), entries: entries(11, 12) })
      await store.compact(snapshot(8), 8)
      await expect(store.compact(snapshot(13), 13)).rejects.toThrow(RangeError)
      await expect(store.compact(snapshot(11), 12)).rejects.toThrow(RangeError)
      await expectState({ hardState: EMPTY_HARD_STATE, snapshot: snapshot(10), entries: entries(11, 12) })
    })

    it('rejects entries that would leave a gap or are not contiguous, and keeps the log as it was', async () => {
      await store.load()
      await store.save({ entries: entries(1, 2) })
      await expect(store.save({ entries: [entry(4)] })).rejects.toThrow(RangeError)
      await expect(store.save({ entries: [entry(3), entry(5)], hardState: hardState(1, 1) })).rejects.toThrow(RangeError)
      await expect(store.save({ entries: [entry(0)] })).rejects.toThrow(RangeError)
      await expectState({ hardState: EMPTY_HARD_STATE, snapshot: null, entries: entries(1, 2) })
    })

    it('resolves every one of many concurrent saves, applied in call order', async () => {
      await store.load()
      const saves: Array<Promise<void>> = []
      for (let i = 1; i <= 100; i++) saves.push(store.save({ entries: [entry(i)], hardState: hardState(1, i - 1) }))
      saves.push(store.save({ entries: [entry(50, 2)] }))
      for (let i = 51; i <= 60; i++) saves.push(store.save({ entries: [entry(i, 2)], hardState: hardState(2, 55) }))
      await Promise.all(saves)
      await expectState({ hardState: hardState(2, 55), snapshot: null, entries: [...entries(1, 49), ...entries(50, 60, 2)] })

      const more = [
        ...entries(61, 70, 2).map(async (e) => await store.save({ entries: [e] })),
        store.save({ snapshot: snapshot(80, 3), hardState: hardState(3, 80) }),
        ...entries(81, 90, 3).map(async (e) => await store.save({ entries: [e] }))
      ]
      await Promise.all(more)
      await expectState({ hardState: hardState(3, 80), snapshot: snapshot(80, 3), entries: entries(81, 90, 3) })
    })

    it('round-trips bytes, proposal ids and membership changes as they were saved', async () => {
      await store.load()
      const all = Uint8Array.from({ length: 256 }, (_, i) => i)
      const saved: Entry[] = [
        { term: 1, index: 1, data: new Uint8Array(0) },
        { term: 1, index: 2, data: all, id: 'proposal-7' },
        { term: 2, index: 3, data: new Uint8Array(0), change: { type: 'addVoter', node: 'peer-4' } },
        { term: 2, index: 4, data: all.subarray(10, 20), id: 'proposal-8', change: { type: 'remove', node: 'peer-1' } }
      ]
      const snap: Snapshot = { meta: { index: 2, term: 1, conf: { voters: ['peer-1'], learners: [] } }, data: all }
      await store.save({ entries: saved, hardState: hardState(2, 4, 'peer-1') })
      await store.compact(snap, 0)
      await expectState({ hardState: hardState(2, 4, 'peer-1'), snapshot: snap, entries: saved })
      const loaded = await store.load()
      for (const e of loaded.entries) expect(Object.getPrototypeOf(e.data)).toBe(Uint8Array.prototype)
      expect(Object.getPrototypeOf(loaded.snapshot?.data)).toBe(Uint8Array.prototype)
    })

    it('does not let callers change the stored log through arrays they hold', async () => {
      await store.load()
      const saved = entries(1, 2)
      await store.save({ entries: saved })
      saved.push(entry(3))
      const loaded = await store.load()
      loaded.entries.pop()
      expect((await store.load()).entries).toStrictEqual(entries(1, 2))
    })

    it('rejects calls after close', async () => {
      await store.load()
      await store.close()
      await expect(store.load()).rejects.toThrow(/closed/)
      await expect(store.save({ entries: [entry(1)] })).rejects.toThrow(/closed/)
      await expect(store.compact(snapshot(0), 0)).rejects.toThrow(/closed/)
    })
  })
}
