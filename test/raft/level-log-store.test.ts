// LevelLogStore runs the LogStore contract, then what only a disk has: the data-dir lock,
// checksums (a torn tail is dropped, other damage is refused), and group commit.

import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CorruptLogError, LogLockedError } from '../../raft/errors.ts'
import { LevelLogStore, levelLogKeys } from '../../raft/level-log-store.ts'
import type { Entry, HardState } from '../../raft/types.ts'
import { describeLogStoreContract } from './log-store-contract.ts'

async function tempDir (): Promise<string> {
  return await mkdtemp(join(tmpdir(), 'flotilla-log-'))
}

describeLogStoreContract('LevelLogStore', async () => {
  const dir = await tempDir()
  let current = new LevelLogStore(dir)
  return {
    store: current,
    reopen: async () => {
      await current.close()
      current = new LevelLogStore(dir)
      return current
    },
    cleanup: async () => {
      await current.close()
      await rm(dir, { recursive: true, force: true })
    }
  }
})

function entries (from: number, to: number): Entry[] {
  return Array.from({ length: to - from + 1 }, (_, i) => ({ term: 1, index: from + i, data: Uint8Array.of(from + i) }))
}

function commitAt (commit: number): HardState {
  return { term: 1, vote: 'a', commit }
}

/** Change a stored value behind the store's back, as a crash or a bad disk would. */
async function tamper (dir: string, key: Uint8Array, change: (value: Uint8Array) => Uint8Array | null): Promise<void> {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' })
  await db.open()
  const value = await db.get(key)
  if (value === undefined) throw new Error('nothing stored under that key')
  const changed = change(Uint8Array.from(value))
  if (changed === null) await db.del(key)
  else await db.put(key, changed)
  await db.close()
}

function flipLastByte (value: Uint8Array): Uint8Array {
  value[value.length - 1]! ^= 0xff
  return value
}

describe('LevelLogStore on disk', () => {
  let dir: string
  const open: LevelLogStore[] = []

  function store (options?: ConstructorParameters<typeof LevelLogStore>[1]): LevelLogStore {
    const s = new LevelLogStore(dir, options)
    open.push(s)
    return s
  }

  /** A closed data dir holding entries 1..last and the given commit index. */
  async function writeLog (last: number, commit: number): Promise<void> {
    const s = store()
    await s.load()
    await s.save({ entries: entries(1, last), hardState: commitAt(commit) })
    await s.close()
  }

  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('refuses a data dir another store holds, naming the dir and what to do', async () => {
    await store().load()
    const second = store()
    const err: unknown = await second.load().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(LogLockedError)
    expect((err as Error).message).toContain(dir)
    expect((err as Error).message).toContain('--data-dir')
    await open[0]!.close()
    await expect(second.load()).resolves.toMatchObject({ entries: [] })
  })

  it('creates a data dir whose parents do not exist yet', async () => {
    const nested = new LevelLogStore(join(dir, 'node-1', 'raft'))
    open.push(nested)
    await expect(nested.load()).resolves.toMatchObject({ entries: [] })
  })

  it('drops a torn tail above the commit index, reports it, and removes it from disk', async () => {
    await writeLog(5, 3)
    await tamper(dir, levelLogKeys.entry(5), flipLastByte)
    await tamper(dir, levelLogKeys.entry(4), (v) => v.subarray(0, 2))
    const warnings: string[] = []
    const s = store({ onWarning: (w) => warnings.push(w) })
    expect(await s.load()).toStrictEqual({ hardState: commitAt(3), snapshot: null, entries: entries(1, 3) })
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/4\.\.5/)
    await s.save({ entries: entries(4, 4) })
    await s.close()

    const again: string[] = []
    expect((await store({ onWarning: (w) => again.push(w) }).load()).entries).toStrictEqual(entries(1, 4))
    expect(again).toStrictEqual([])
  })

  it.each([
    { what: 'a damaged committed entry at the end', last: 5, commit: 5, damaged: 5 },
    { what: 'a damaged entry below the commit index', last: 5, commit: 3, damaged: 2 },
    { what: 'a damaged entry followed by good ones', last: 5, commit: 0, damaged: 3 }
  ])('refuses $what, naming the index', async ({ last, commit, damaged }) => {
    await writeLog(last, commit)
    await tamper(dir, levelLogKeys.entry(damaged), flipLastByte)
    const err: unknown = await store().load().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CorruptLogError)
    expect((err as Error).message).toContain(`entry ${damaged} is damaged`)
    expect((err as Error).message).toContain(dir)
    expect((err as Error).message).toContain('restore the data dir from a backup or remove it and rejoin the cluster')
  })

  it('refuses a gap in the indexes', async () => {
    await writeLog(5, 0)
    await tamper(dir, levelLogKeys.entry(3), () => null)
    await expect(store().load()).rejects.toThrow(/entry 3 is missing/)
  })

  it('refuses a damaged hard state or snapshot', async () => {
    const s = store()
    await s.load()
    await s.save({ entries: entries(1, 3), hardState: commitAt(2) })
    await s.compact({ meta: { index: 2, term: 1, conf: { voters: ['a'], learners: [] } }, data: Uint8Array.of(1) }, 1)
    await s.close()
    await tamper(dir, levelLogKeys.snapshot, flipLastByte)
    await expect(store().load()).rejects.toThrow(/snapshot is damaged/)
    await tamper(dir, levelLogKeys.hardState, flipLastByte)
    await expect(store().load()).rejects.toThrow(/hard state is damaged/)
  })

  it('releases the data dir when load fails, so it can be repaired', async () => {
    await writeLog(3, 3)
    await tamper(dir, levelLogKeys.entry(2), flipLastByte)
    await expect(store().load()).rejects.toThrow(CorruptLogError)
    await tamper(dir, levelLogKeys.entry(2), () => null)
    await expect(store().load()).rejects.toThrow(/entry 2 is missing/)
  })

  it('writes concurrent saves in far fewer synced batches than saves (group commit)', async () => {
    const s = store()
    await s.load()
    await Promise.all(entries(1, 100).map(async (e) => await s.save({ entries: [e], hardState: commitAt(e.index) })))
    expect(s.syncedBatches).toBeLessThanOrEqual(5)
    await s.close()
    expect(await store().load()).toStrictEqual({ hardState: commitAt(100), snapshot: null, entries: entries(1, 100) })
  })

  it('puts saves that arrive while a batch is being written into one next batch', async () => {
    const s = store()
    await s.load()
    const first = s.save({ entries: entries(1, 1) })
    await new Promise((resolve) => setImmediate(resolve))
    const rest = entries(2, 100).map(async (e) => await s.save({ entries: [e] }))
    await Promise.all([first, ...rest])
    expect(s.syncedBatches).toBeLessThanOrEqual(2)
    expect((await s.load()).entries).toStrictEqual(entries(1, 100))
  })

  it('writes a commit-index-only update without an fsync when asked, and keeps it readable', async () => {
    const s = store()
    await s.load()
    await s.save({ entries: entries(1, 3), hardState: commitAt(1) })
    const synced = s.syncedBatches
    await s.save({ hardState: commitAt(3) }, { sync: false })
    expect(s.syncedBatches).toBe(synced)
    await s.close()
    expect((await store().load()).hardState).toStrictEqual(commitAt(3))
  })

  it('lets a commit-index-only update ride along with the next batch instead of writing its own', async () => {
    const s = store()
    await s.load()
    await s.save({ entries: entries(1, 3), hardState: commitAt(1) })
    const before = s.batchesWritten
    await s.save({ hardState: commitAt(2) }, { sync: false })
    await s.save({ hardState: commitAt(3) }, { sync: false })
    expect(s.batchesWritten).toBe(before)
    await s.save({ entries: entries(4, 4) })
    expect(s.batchesWritten).toBe(before + 1)
    // A crash right now (no close) keeps what that batch carried.
    const copy = await tempDir()
    try {
      await cp(dir, copy, { recursive: true })
      await rm(join(copy, 'LOCK'), { force: true })
      const crashed = new LevelLogStore(copy)
      expect((await crashed.load()).hardState).toStrictEqual(commitAt(3))
      await crashed.close()
    } finally {
      await rm(copy, { recursive: true, force: true })
    }
  })

  it('writes a lone commit-index-only update on its own after a short quiet spell', async () => {
    const s = store()
    await s.load()
    await s.save({ entries: entries(1, 3), hardState: commitAt(1) })
    const before = s.batchesWritten
    await s.save({ hardState: commitAt(3) }, { sync: false })
    const deadline = Date.now() + 5_000
    while (s.batchesWritten === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(s.batchesWritten).toBe(before + 1)
    expect((await s.load()).hardState).toStrictEqual(commitAt(3))
  })

  it('compaction removes the old entries from disk in the background, and load starts after them', async () => {
    const s = store()
    await s.load()
    await s.save({ entries: entries(1, 10), hardState: commitAt(10) })
    await s.compact({ meta: { index: 8, term: 1, conf: { voters: ['a'], learners: [] } }, data: Uint8Array.of(1) }, 6)
    await s.close()
    const loaded = await store().load()
    expect(loaded.entries.map((e) => e.index)).toEqual([7, 8, 9, 10])
    const raw = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' })
    for (const s2 of open.splice(0)) await s2.close()
    await raw.open()
    const keys = await raw.keys({ gte: levelLogKeys.entry(0), lt: levelLogKeys.entriesEnd }).all()
    await raw.close()
    expect(keys.length).toBe(4)
  })

  it('rejects a save before load', async () => {
    await expect(store().save({ entries: entries(1, 1) })).rejects.toThrow(/load\(\) first/)
  })
})
