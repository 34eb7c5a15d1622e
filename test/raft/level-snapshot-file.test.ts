// LevelLogStore keeps a snapshot's bytes in a file of its own (raft/snapshot-file.ts): what
// is on disk, and how a torn, damaged or missing file, leftovers of a crash, and a record of
// the older format (bytes inline in LevelDB) are handled on load.

import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { Packr } from 'msgpackr'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { crc32 } from '../../raft/crc32.ts'
import { CorruptLogError } from '../../raft/errors.ts'
import { LevelLogStore, levelLogKeys } from '../../raft/level-log-store.ts'
import type { Entry, Snapshot } from '../../raft/types.ts'

function entries (from: number, to: number): Entry[] {
  return Array.from({ length: to - from + 1 }, (_, i) => ({ term: 1, index: from + i, data: Uint8Array.of(from + i) }))
}

function snapshotAt (index: number, size = 100_000): Snapshot {
  const data = new Uint8Array(size)
  for (let i = 0; i < size; i++) data[i] = (i * 31 + index) & 0xff
  return { meta: { index, term: 1, conf: { voters: ['a'], learners: [] } }, data }
}

async function snapshotFiles (dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.startsWith('snapshot-')).sort()
}

async function rawValue (dir: string, key: Uint8Array): Promise<Uint8Array | undefined> {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' })
  await db.open()
  try {
    return await db.get(key)
  } finally {
    await db.close()
  }
}

describe('LevelLogStore snapshot file', () => {
  let dir: string
  let store: LevelLogStore

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-snapfile-'))
    store = new LevelLogStore(dir)
  })
  afterEach(async () => {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  /** A store with entries 1..10 and a snapshot at 8, closed. */
  async function compacted (): Promise<Snapshot> {
    await store.load()
    await store.save({ entries: entries(1, 10), hardState: { term: 1, vote: 'a', commit: 10 } })
    const snap = snapshotAt(8)
    await store.compact(snap, 8)
    await store.close()
    return snap
  }

  async function reload (): Promise<ReturnType<LevelLogStore['load']>> {
    store = new LevelLogStore(dir)
    return await store.load()
  }

  it('writes the bytes to a file of their own; LevelDB holds only a small record', async () => {
    const snap = await compacted()
    const files = await snapshotFiles(dir)
    expect(files).toHaveLength(1)
    expect(new Uint8Array(await readFile(join(dir, files[0]!)))).toEqual(snap.data)
    expect((await rawValue(dir, levelLogKeys.snapshot))!.length).toBeLessThan(200)
    expect((await reload()).snapshot).toEqual(snap)
  })

  it('refuses a torn snapshot file, naming it and what to do', async () => {
    await compacted()
    const [file] = await snapshotFiles(dir)
    await truncate(join(dir, file!), 50_000)
    const err = await reload().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CorruptLogError)
    expect((err as Error).message).toMatch(new RegExp(`snapshot at index 8 is damaged: its file ${file!} holds 50000 bytes, 100000 were written.*remove it and rejoin`))
  })

  it('refuses a snapshot file of the right size whose bytes changed', async () => {
    await compacted()
    const [file] = await snapshotFiles(dir)
    const bytes = await readFile(join(dir, file!))
    bytes[1234]! ^= 0xff
    await writeFile(join(dir, file!), bytes)
    await expect(reload()).rejects.toThrow(/fails its checksum/)
  })

  it('refuses a missing snapshot file', async () => {
    await compacted()
    const [file] = await snapshotFiles(dir)
    await rm(join(dir, file!))
    await expect(reload()).rejects.toThrow(new RegExp(`its file ${file!} is missing`))
  })

  it('removes superseded snapshot files and temp files a crash left behind', async () => {
    await compacted()
    const [first] = await snapshotFiles(dir)
    store = new LevelLogStore(dir)
    await store.load()
    await store.save({ entries: entries(11, 12) })
    await store.compact(snapshotAt(12), 12)
    await store.close()
    const files = await snapshotFiles(dir)
    expect(files).toHaveLength(1)
    expect(files[0]).not.toBe(first)
    // A crash while writing the next one: its temp file (and a file never recorded) stay behind.
    await writeFile(join(dir, 'snapshot-13-0badc0de.tmp'), 'torn')
    await writeFile(join(dir, 'snapshot-13-0badc0de.bin'), 'never recorded')
    expect((await reload()).snapshot?.meta.index).toBe(12)
    expect(await snapshotFiles(dir)).toEqual(files)
  })

  it('reads a snapshot record of the older format (bytes inline) and moves the bytes to a file', async () => {
    await store.load()
    await store.save({ entries: entries(1, 10), hardState: { term: 1, vote: 'a', commit: 10 } })
    await store.close()
    const snap = snapshotAt(8, 5000)
    // The older record: { meta, data } in msgpack behind its CRC-32, as the store wrote it before.
    const payload = new Packr({ useRecords: false }).pack({ meta: snap.meta, data: snap.data })
    const value = new Uint8Array(4 + payload.length)
    new DataView(value.buffer).setUint32(0, crc32(payload))
    value.set(payload, 4)
    const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' })
    await db.put(levelLogKeys.snapshot, value)
    await db.close()

    expect((await reload()).snapshot).toEqual(snap)
    expect(await store.readSnapshot(8, 0, 10)).toEqual(snap.data.subarray(0, 10))
    await store.close()
    expect(await snapshotFiles(dir)).toHaveLength(1)
    expect((await rawValue(dir, levelLogKeys.snapshot))!.length).toBeLessThan(200)
    expect((await reload()).snapshot).toEqual(snap)
  })
})
