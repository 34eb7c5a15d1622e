// A LogStore on LevelDB (level 10), one directory per node. Every write is one synced
// batch; saves that arrive while a batch is being written wait and share the next one
// (group commit), in call order, so later updates win.
//
// Layout: entries under "e" + 8-byte big-endian index (so keys sort by index); the hard
// state, the snapshot record and the first-index marker (the compaction point + 1) under their
// own keys. Every value is a CRC-32 (4 bytes, big-endian) of the msgpack payload that follows.
// The snapshot's bytes live in a file of their own in the same directory (snapshot-file.ts);
// its record holds the metadata and the file's name, size and CRC-32, and is written only
// after the file is durable. A record of the older format (bytes inline) is still read, and
// moved to a file on load.
//
// load() accepts a damaged run at the very end of the log above the commit index (a torn
// tail, never acknowledged): it drops it, reports it through onWarning and removes it from
// disk. Any other damage, or a gap in the indexes, throws CorruptLogError.
//
// Invariant, in memory and on disk: entries are exactly [firstIndex, lastIndex];
// lastIndex = firstIndex - 1 when there are none.

import { Level } from 'level'
import { Packr } from 'msgpackr'
import { crc32 } from './crc32.ts'
import { CorruptLogError, LogLockedError, SnapshotGoneError } from './errors.ts'
import { checkCompaction, checkEntries } from './memory-log-store.ts'
import { readSnapshotFile, readSnapshotRange, removeSnapshotFile, removeSnapshotFilesExcept, snapshotFileName, snapshotFileRef, writeSnapshotFile, type SnapshotFileRef } from './snapshot-file.ts'
import { EMPTY_HARD_STATE } from './types.ts'
import type { ConfChange, Entry, HardState, Snapshot, SnapshotMeta } from './types.ts'
import type { LogStore, LogUpdate, PersistedState } from './log-store.ts'

export interface LevelLogStoreOptions {
  /** Told when load() drops a torn tail. Default: nothing is reported. */
  readonly onWarning?: (message: string) => void
}

const ENTRY_PREFIX = 0x65 // 'e'
const text = new TextEncoder()

/** The keys the store writes; exported for tests and repair tools that read the dir raw. */
export const levelLogKeys = {
  entry (index: number): Uint8Array {
    const key = Buffer.allocUnsafe(9)
    key[0] = ENTRY_PREFIX
    key.writeUInt32BE(Math.floor(index / 2 ** 32), 1)
    key.writeUInt32BE(index >>> 0, 5)
    return key
  },
  /** Just past every entry key. */
  entriesEnd: Uint8Array.of(ENTRY_PREFIX + 1),
  hardState: text.encode('hard-state'),
  snapshot: text.encode('snapshot'),
  firstIndex: text.encode('first-index')
} as const

/**
 * LevelDB's memtable size (its default is 4 MiB). The log is rewritten and deleted all the
 * time, and a memtable (and the one being flushed) is malloc'd 4 KiB blocks among the
 * process's other allocations: smaller ones leave fewer holes in the heap (agent memory).
 */
const WRITE_BUFFER_BYTES = 2 ** 20
/** How long an unsynced commit-index update may wait for a batch to ride along with. */
const DEFERRED_HARD_STATE_MS = 200

type Op = { type: 'put', key: Uint8Array, value: Uint8Array } | { type: 'del', key: Uint8Array }
interface Waiter { resolve: () => void, reject: (err: Error) => void }
/** A snapshot whose record is in a queued batch: the batch waits for its file. */
interface QueuedSnapshot { readonly index: number, readonly ref: SnapshotFileRef, readonly written: Promise<Error | null> }

export class LevelLogStore implements LogStore {
  /** Synced batches written so far; fewer than save() calls when group commit coalesced them. */
  syncedBatches = 0
  /** Batches written so far, synced or not. */
  batchesWritten = 0

  private db: Level<Uint8Array, Uint8Array> | null = null
  private closed = false
  /** Set when a write failed: what is on disk is then unknown, so every later call fails. */
  private failure: Error | null = null
  // The state once every queued op is written; save() and compact() check updates against it.
  private firstIndex = 1
  private lastIndex = 0
  private snapshotIndex: number | null = null
  private queue: Op[] = []
  private waiters: Waiter[] = []
  /** Snapshots whose records are in `queue`, in order. */
  private queuedSnapshots: QueuedSnapshot[] = []
  /** The snapshot whose record is on disk (its file is complete). */
  private durableSnapshot: { readonly index: number, readonly ref: SnapshotFileRef } | null = null
  /** Some queued update asked for durability: the next batch is synced. */
  private queueSync = false
  private flushing: Promise<void> | null = null
  /** An unsynced hard state waiting for the next batch (see defer). */
  private deferred: Op | null = null
  private deferTimer: ReturnType<typeof setTimeout> | null = null
  private sweeping: Promise<void> | null = null
  private readonly onWarning: (message: string) => void

  constructor (readonly dir: string, options: LevelLogStoreOptions = {}) {
    this.onWarning = options.onWarning ?? (() => {})
  }

  async load (): Promise<PersistedState> {
    this.assertUsable()
    if (this.db === null) this.db = await this.open()
    else {
      if (this.deferred !== null) await this.enqueue([], false)
      await this.flushing
    }
    const db = this.db
    try {
      return await this.read(db)
    } catch (err) {
      // A store that failed to load holds nothing open: the dir can be repaired or reopened.
      this.db = null
      await db.close()
      throw err
    }
  }

  private async read (db: Level<Uint8Array, Uint8Array>): Promise<PersistedState> {
    const hardState = await this.readMeta(db, levelLogKeys.hardState, 'hard state', decodeHardState) ?? EMPTY_HARD_STATE
    const record = await this.readMeta(db, levelLogKeys.snapshot, 'snapshot', decodeSnapshot) ?? null
    const snapshot = record === null ? null : await this.snapshotOf(db, record)
    // No marker: nothing was compacted yet (a compaction through an index below the log writes none).
    const firstIndex = await this.readMeta(db, levelLogKeys.firstIndex, 'first-index marker', decodeFirstIndex) ?? 1

    const records: Array<{ index: number, entry: Entry | string }> = []
    for await (const [key, value] of db.iterator({ gte: levelLogKeys.entry(firstIndex), lt: levelLogKeys.entriesEnd })) {
      const index = entryIndex(key)
      const expected = firstIndex + records.length
      if (index === null) throw this.corrupt(`key ${hex(key)} is not an entry key`)
      if (index !== expected) throw this.corrupt(`entry ${expected} is missing (the next stored entry is ${index})`)
      const payload = unseal(value)
      records.push({ index, entry: typeof payload === 'string' ? payload : decodeEntry(payload.payload, index) })
    }

    let good = records.length
    while (good > 0 && typeof records[good - 1]?.entry === 'string') good--
    const acknowledged = Math.max(hardState.commit, snapshot?.meta.index ?? 0)
    for (const [i, { index, entry }] of records.entries()) {
      if (typeof entry !== 'string') continue
      if (i < good) throw this.corrupt(`entry ${index} is damaged (${entry}) but later entries are intact`)
      if (index <= acknowledged) throw this.corrupt(`entry ${index} is damaged (${entry}) and was committed (commit index ${acknowledged})`)
    }
    const torn = records.slice(good)
    if (torn.length > 0) {
      const first = torn[0]!
      this.onWarning(`Dropped a torn tail of ${torn.length} uncommitted entries (${first.index}..${first.index + torn.length - 1}) from the Raft log in ${this.dir}: ${String(first.entry)}`)
      await db.batch(torn.map(({ index }) => ({ type: 'del' as const, key: levelLogKeys.entry(index) })), { sync: true })
    }

    const entries = records.slice(0, good).map(({ entry }) => entry as Entry)
    this.firstIndex = firstIndex
    this.lastIndex = firstIndex + entries.length - 1
    this.snapshotIndex = snapshot?.meta.index ?? null
    return { hardState, snapshot, entries }
  }

  /** The snapshot a record describes, its bytes read from its file (or moved to one, for a record of the older format). */
  private async snapshotOf (db: Level<Uint8Array, Uint8Array>, record: SnapshotRecord): Promise<Snapshot> {
    if ('data' in record) {
      const snapshot: Snapshot = { meta: record.meta, data: record.data }
      const file = snapshotFileName(record.meta.index)
      await writeSnapshotFile(this.dir, file, record.data)
      const ref = snapshotFileRef(file, record.data)
      await db.put(levelLogKeys.snapshot, seal(encodeSnapshot(snapshot, ref)), { sync: true })
      this.durableSnapshot = { index: record.meta.index, ref }
      await removeSnapshotFilesExcept(this.dir, file)
      return snapshot
    }
    const data = await readSnapshotFile(this.dir, record.ref)
    if (typeof data === 'string') throw this.corrupt(`the snapshot at index ${record.meta.index} is damaged: ${data}`)
    this.durableSnapshot = { index: record.meta.index, ref: record.ref }
    // Files of snapshots that were superseded, or half written when the agent stopped.
    await removeSnapshotFilesExcept(this.dir, record.ref.file)
    return { meta: record.meta, data }
  }

  /**
   * `length` bytes at `offset` of the stored snapshot at `index` (fewer at its end), read from
   * its file. Throws SnapshotGoneError once a newer snapshot has replaced it.
   */
  async readSnapshot (index: number, offset: number, length: number): Promise<Uint8Array> {
    this.assertLoaded()
    const held = this.durableSnapshot
    if (held === null || held.index !== index) throw new SnapshotGoneError(index, held?.index ?? null)
    try {
      return await readSnapshotRange(this.dir, held.ref, offset, length)
    } catch (err) {
      // Replaced (and its file removed) while reading.
      if (this.durableSnapshot?.index !== index) throw new SnapshotGoneError(index, this.durableSnapshot?.index ?? null)
      throw err
    }
  }

  async save (update: LogUpdate, options: { sync?: boolean } = {}): Promise<void> {
    this.assertLoaded()
    const ops: Op[] = []
    let first = this.firstIndex
    let last = this.lastIndex
    let snapshotIndex = this.snapshotIndex
    if (update.snapshot !== undefined) {
      snapshotIndex = update.snapshot.meta.index
      ops.push(put(levelLogKeys.firstIndex, { firstIndex: snapshotIndex + 1 }))
      for (let i = first; i <= last; i++) ops.push(del(levelLogKeys.entry(i)))
      first = snapshotIndex + 1
      last = snapshotIndex
    }
    const entries = update.entries === undefined ? [] : checkEntries(update.entries, first, last)
    // Only once every check passed: a rejected save writes no file.
    if (update.snapshot !== undefined) ops.unshift(this.queueSnapshot(update.snapshot))
    const end = entries.at(-1)?.index
    if (end !== undefined) {
      for (const entry of entries) ops.push(put(levelLogKeys.entry(entry.index), encodeEntry(entry)))
      for (let i = end + 1; i <= last; i++) ops.push(del(levelLogKeys.entry(i)))
      last = end
    }
    // A snapshot always syncs: once its record is written, the file of the one before is removed.
    const sync = (options.sync ?? true) || update.snapshot !== undefined
    if (update.hardState !== undefined) {
      const op = put(levelLogKeys.hardState, encodeHardState(update.hardState))
      if (!sync && ops.length === 0) return this.defer(op)
      ops.push(op)
    }
    this.firstIndex = first
    this.lastIndex = last
    this.snapshotIndex = snapshotIndex
    return await this.enqueue(ops, sync)
  }

  /**
   * An unsynced hard-state-only update (a new commit index) costs a LevelDB write of its own
   * for nothing a crash needs: it rides along with the next batch instead, or goes out on its
   * own after DEFERRED_HARD_STATE_MS of quiet (and at close). A later hard state supersedes it.
   */
  private defer (op: Op): void {
    this.deferred = op
    if (this.deferTimer !== null) return
    this.deferTimer = setTimeout(() => {
      this.deferTimer = null
      if (this.deferred !== null && !this.closed && this.failure === null) this.enqueue([], false).catch(() => {})
    }, DEFERRED_HARD_STATE_MS)
    this.deferTimer.unref?.()
  }

  async compact (snapshot: Snapshot, throughIndex: number): Promise<void> {
    this.assertLoaded()
    if (!checkCompaction(snapshot, throughIndex, this.snapshotIndex, this.lastIndex)) return await this.enqueue([], true)
    const ops: Op[] = [this.queueSnapshot(snapshot)]
    const from = this.firstIndex
    if (throughIndex >= this.firstIndex) {
      ops.push(put(levelLogKeys.firstIndex, { firstIndex: throughIndex + 1 }))
      this.firstIndex = throughIndex + 1
    }
    this.snapshotIndex = snapshot.meta.index
    await this.enqueue(ops, true)
    if (throughIndex >= from) {
      // Entries below the first-index marker are never read again: remove them in the
      // background, unsynced (a crash leaves some behind; load() ignores them and the next
      // compaction sweeps from the start).
      const db = this.db
      this.sweeping = (this.sweeping ?? Promise.resolve())
        .then(async () => { await db?.clear({ gte: levelLogKeys.entry(0), lt: levelLogKeys.entry(throughIndex + 1) }) })
        .catch(() => {})
    }
  }

  /**
   * Start writing the snapshot's file now; the record returned goes into the next batch, which
   * waits for the file (flush). Snapshots are written in call order, like every other update.
   */
  private queueSnapshot (snapshot: Snapshot): Op {
    const file = snapshotFileName(snapshot.meta.index)
    const ref = snapshotFileRef(file, snapshot.data)
    // Settled with the error instead of rejected: nothing awaits it until its batch is written.
    const written = writeSnapshotFile(this.dir, file, snapshot.data).then(() => null, (err: unknown) => err as Error)
    this.queuedSnapshots.push({ index: snapshot.meta.index, ref, written })
    return put(levelLogKeys.snapshot, encodeSnapshot(snapshot, ref))
  }

  /** Waits for queued saves to be written, then closes the db. Closing twice is fine. */
  async close (): Promise<void> {
    if (this.deferTimer !== null) clearTimeout(this.deferTimer)
    this.deferTimer = null
    if (this.deferred !== null && this.db !== null && this.failure === null) await this.enqueue([], false).catch(() => {})
    this.closed = true
    await this.flushing
    await this.sweeping
    await this.db?.close()
    this.db = null
  }

  private async open (): Promise<Level<Uint8Array, Uint8Array>> {
    const db = new Level<Uint8Array, Uint8Array>(this.dir, { keyEncoding: 'view', valueEncoding: 'view', writeBufferSize: WRITE_BUFFER_BYTES })
    try {
      await db.open()
    } catch (err) {
      const cause = (err as { cause?: { code?: unknown } }).cause
      if ((err as { code?: unknown }).code === 'LEVEL_DATABASE_NOT_OPEN' && cause?.code === 'LEVEL_LOCKED') {
        throw new LogLockedError(`Another agent is using the data dir ${this.dir}: stop it first or choose another --data-dir`, { cause: err })
      }
      throw new Error(`Cannot open the Raft log in ${this.dir}: ${(cause as Error | undefined)?.message ?? (err as Error).message}`, { cause: err })
    }
    return db
  }

  private enqueue (ops: Op[], sync: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.deferred !== null) {
        // First, so a hard state in `ops` wins over it.
        this.queue.push(this.deferred)
        this.deferred = null
      }
      for (const op of ops) this.queue.push(op)
      if (sync) this.queueSync = true
      this.waiters.push({ resolve, reject })
      // A microtask first, so saves issued in the same tick share the very first batch too.
      this.flushing ??= Promise.resolve().then(async () => await this.flush())
    })
  }

  private async flush (): Promise<void> {
    while (this.waiters.length > 0) {
      const ops = this.queue
      const waiters = this.waiters
      const sync = this.queueSync
      const snapshots = this.queuedSnapshots
      this.queue = []
      this.waiters = []
      this.queueSync = false
      this.queuedSnapshots = []
      try {
        for (const { written } of snapshots) {
          const err = await written
          if (err !== null) throw err
        }
        if (ops.length > 0) {
          // A chained batch: the same atomic write as db.batch(ops), at a fraction of the CPU.
          const batch = this.db!.batch()
          for (const op of ops) {
            if (op.type === 'put') batch.put(op.key, op.value)
            else batch.del(op.key)
          }
          await batch.write({ sync })
          this.batchesWritten++
          if (sync) this.syncedBatches++
        }
        for (const { index, ref } of snapshots) this.replaceDurableSnapshot(index, ref)
        for (const waiter of waiters) waiter.resolve()
      } catch (err) {
        this.failure = new Error(`Writing the Raft log in ${this.dir} failed (${(err as Error).message}): what is on disk is unknown, restart the agent`, { cause: err })
        for (const waiter of [...waiters, ...this.waiters]) waiter.reject(this.failure)
        this.queue = []
        this.waiters = []
        this.queuedSnapshots = []
      }
    }
    this.flushing = null
  }

  /** A newer snapshot record is on disk: the file of the one before is garbage. */
  private replaceDurableSnapshot (index: number, ref: SnapshotFileRef): void {
    const previous = this.durableSnapshot
    this.durableSnapshot = { index, ref }
    if (previous === null || previous.ref.file === ref.file) return
    // After the sweeps queued before it; a crash leaves the file behind for load() to remove.
    this.sweeping = (this.sweeping ?? Promise.resolve()).then(async () => { await removeSnapshotFile(this.dir, previous.ref.file) })
  }

  private async readMeta<T> (db: Level<Uint8Array, Uint8Array>, key: Uint8Array, what: string, decode: (value: unknown) => T | string): Promise<T | undefined> {
    const value = await db.get(key)
    if (value === undefined) return undefined
    const payload = unseal(value)
    const decoded = typeof payload === 'string' ? payload : decode(payload.payload)
    if (typeof decoded === 'string') throw this.corrupt(`the ${what} is damaged (${decoded})`)
    return decoded
  }

  private corrupt (what: string): CorruptLogError {
    return new CorruptLogError(`The Raft log in ${this.dir} is damaged (${what}): restore the data dir from a backup or remove it and rejoin the cluster`)
  }

  private assertUsable (): void {
    if (this.closed) throw new Error(`The Raft log store for ${this.dir} is closed`)
    if (this.failure !== null) throw this.failure
  }

  private assertLoaded (): void {
    this.assertUsable()
    if (this.db === null) throw new Error(`The Raft log store for ${this.dir} is not loaded: call load() first`)
  }
}

const packr = new Packr({ useRecords: false })

function put (key: Uint8Array, record: unknown): Op {
  return { type: 'put', key, value: seal(record) }
}

/** A record as stored: its CRC-32, then its msgpack bytes. */
function seal (record: unknown): Uint8Array {
  const payload = packr.pack(record)
  const value = Buffer.allocUnsafe(4 + payload.length)
  value.writeUInt32BE(crc32(payload), 0)
  value.set(payload, 4)
  return value
}

function del (key: Uint8Array): Op {
  return { type: 'del', key }
}

/** The decoded payload of a stored value, or why it cannot be read. */
function unseal (value: Uint8Array): { readonly payload: unknown } | string {
  if (value.length < 4) return `${value.length} bytes, shorter than a checksum`
  const payload = value.subarray(4)
  const sum = new DataView(value.buffer, value.byteOffset, value.byteLength).getUint32(0)
  if (crc32(payload) !== sum) return 'checksum mismatch'
  try {
    return { payload: packr.unpack(payload) as unknown }
  } catch (err) {
    return `unreadable: ${(err as Error).message}`
  }
}

function entryIndex (key: Uint8Array): number | null {
  if (key.length !== 9 || key[0] !== ENTRY_PREFIX) return null
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength)
  return view.getUint32(1) * 2 ** 32 + view.getUint32(5)
}

function hex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

// The records as stored: the fields of the types, picked one by one so that nothing else a
// caller's object carries is written, and checked field by field when read back.

type Fields = Record<string, unknown>
const CHANGE_TYPES: ReadonlySet<unknown> = new Set<ConfChange['type']>(['addLearner', 'addVoter', 'demote', 'remove'])

function encodeEntry (entry: Entry): Fields {
  const record: Fields = { term: entry.term, index: entry.index, data: entry.data }
  if (entry.id !== undefined) record['id'] = entry.id
  if (entry.change !== undefined) record['change'] = { type: entry.change.type, node: entry.change.node }
  return record
}

function decodeEntry (value: unknown, index: number): Entry | string {
  if (!isFields(value) || !isIndex(value['term']) || !(value['data'] instanceof Uint8Array)) return 'not an entry'
  if (value['index'] !== index) return `it holds index ${String(value['index'])}`
  const { id, change } = value
  if (id !== undefined && typeof id !== 'string') return 'its id is not a string'
  if (change !== undefined && !(isFields(change) && CHANGE_TYPES.has(change['type']) && typeof change['node'] === 'string')) {
    return 'its membership change is malformed'
  }
  return {
    term: value['term'],
    index,
    // msgpackr hands back a Buffer; callers get the plain Uint8Array they stored.
    data: new Uint8Array(value['data']),
    ...(id === undefined ? {} : { id }),
    ...(change === undefined ? {} : { change: change as unknown as ConfChange })
  }
}

function encodeHardState (hardState: HardState): Fields {
  return { term: hardState.term, vote: hardState.vote, commit: hardState.commit }
}

function decodeHardState (value: unknown): HardState | string {
  if (!isFields(value) || !isIndex(value['term']) || !isIndex(value['commit'])) return 'not a hard state'
  const vote = value['vote']
  if (vote !== null && typeof vote !== 'string') return 'its vote is not a node id'
  return { term: value['term'], vote, commit: value['commit'] }
}

/** A snapshot record as read: its bytes' file, or (older format) the bytes themselves. */
type SnapshotRecord = { readonly meta: SnapshotMeta, readonly ref: SnapshotFileRef } | Snapshot

function encodeSnapshot (snapshot: Snapshot, ref: SnapshotFileRef): Fields {
  const { index, term, conf } = snapshot.meta
  return { meta: { index, term, conf: { voters: [...conf.voters], learners: [...conf.learners] } }, file: ref.file, bytes: ref.bytes, crc: ref.crc }
}

function decodeSnapshot (value: unknown): SnapshotRecord | string {
  if (!isFields(value) || !isFields(value['meta'])) return 'not a snapshot'
  const { index, term, conf } = value['meta']
  if (!isIndex(index) || !isIndex(term) || !isFields(conf) || !isNodeIds(conf['voters']) || !isNodeIds(conf['learners'])) {
    return 'its metadata is malformed'
  }
  const meta: SnapshotMeta = { index, term, conf: { voters: conf['voters'], learners: conf['learners'] } }
  if (value['data'] instanceof Uint8Array) return { meta, data: new Uint8Array(value['data']) }
  const { file, bytes, crc } = value
  if (typeof file !== 'string' || !/^snapshot-[\w-]+\.bin$/.test(file) || !isIndex(bytes) || !isIndex(crc)) return 'its file reference is malformed'
  return { meta, ref: { file, bytes, crc } }
}

function decodeFirstIndex (value: unknown): number | string {
  return isFields(value) && isIndex(value['firstIndex']) && value['firstIndex'] >= 1 ? value['firstIndex'] : 'not a first-index marker'
}

function isFields (value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
}

function isIndex (value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0
}

function isNodeIds (value: unknown): value is string[] {
  return Array.isArray(value) && value.every((id) => typeof id === 'string')
}
