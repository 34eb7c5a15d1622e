// A LogStore held in memory, for tests and simulations. Everything a save() is given is
// "durable" the moment save() is called, so a crash (crash()) loses nothing: the new store
// sees exactly what was saved. Updates are checked like the level store checks them, so
// a core that passes against this store does not fail against the disk.
//
// Invariants: entries are contiguous and ascending; when non-empty,
// entries[0].index === firstIndex; firstIndex - 1 is the last compaction point (0 at first).

import { SnapshotGoneError } from './errors.ts'
import { EMPTY_HARD_STATE } from './types.ts'
import type { Entry, HardState, Snapshot } from './types.ts'
import type { LogStore, LogUpdate, PersistedState } from './log-store.ts'

export class MemoryLogStore implements LogStore {
  private hardState: HardState
  private snapshot: Snapshot | null
  private entries: Entry[]
  private firstIndex: number
  private closed = false

  /** Starts empty, or from `initial` (what load() of another store returned). */
  constructor (initial?: PersistedState) {
    this.hardState = initial?.hardState ?? EMPTY_HARD_STATE
    this.snapshot = initial?.snapshot ?? null
    this.entries = initial?.entries.slice() ?? []
    // An empty log ends at the snapshot's index: checkCompaction keeps that true.
    this.firstIndex = this.entries[0]?.index ?? (this.snapshot === null ? 1 : this.snapshot.meta.index + 1)
  }

  async load (): Promise<PersistedState> {
    this.assertOpen()
    return { hardState: this.hardState, snapshot: this.snapshot, entries: this.entries.slice() }
  }

  async save (update: LogUpdate): Promise<void> {
    this.assertOpen()
    let firstIndex = this.firstIndex
    let lastIndex = this.lastIndex()
    if (update.snapshot !== undefined) {
      firstIndex = update.snapshot.meta.index + 1
      lastIndex = firstIndex - 1
    }
    const entries = update.entries === undefined ? [] : checkEntries(update.entries, firstIndex, lastIndex)

    // Nothing is written before every check passed, so a rejected save changes nothing.
    if (update.snapshot !== undefined) {
      this.snapshot = update.snapshot
      this.entries = []
      this.firstIndex = firstIndex
    }
    const first = entries[0]
    if (first !== undefined) {
      this.entries.length = first.index - this.firstIndex
      for (const entry of entries) this.entries.push(entry)
    }
    if (update.hardState !== undefined) this.hardState = update.hardState
  }

  async compact (snapshot: Snapshot, throughIndex: number): Promise<void> {
    this.assertOpen()
    if (!checkCompaction(snapshot, throughIndex, this.snapshot?.meta.index ?? null, this.lastIndex())) return
    this.snapshot = snapshot
    if (throughIndex >= this.firstIndex) {
      this.entries = this.entries.slice(throughIndex + 1 - this.firstIndex)
      this.firstIndex = throughIndex + 1
    }
  }

  async readSnapshot (index: number, offset: number, length: number): Promise<Uint8Array> {
    this.assertOpen()
    if (this.snapshot?.meta.index !== index) throw new SnapshotGoneError(index, this.snapshot?.meta.index ?? null)
    return this.snapshot.data.slice(offset, offset + length)
  }

  async close (): Promise<void> {
    this.closed = true
  }

  /**
   * Simulate a crash or restart: this store refuses further calls, and the returned store
   * holds everything that was saved (all of it, since saves are durable at once).
   * Works on a closed store too, so "close, then reopen" is `close()` then `crash()`.
   */
  crash (): MemoryLogStore {
    this.closed = true
    const next = new MemoryLogStore({ hardState: this.hardState, snapshot: this.snapshot, entries: this.entries })
    // The constructor derives the compaction point; carrying it over keeps it exact.
    next.firstIndex = this.firstIndex
    return next
  }

  private lastIndex (): number {
    return this.firstIndex + this.entries.length - 1
  }

  private assertOpen (): void {
    if (this.closed) throw new Error('The memory log store is closed: use the store crash() returned')
  }
}

/**
 * Check `entries` against a log holding [firstIndex, lastIndex] and return the ones to
 * write: contiguous, starting at most at lastIndex + 1. Entries at or below the compaction
 * point (firstIndex - 1) are already covered by the snapshot and are skipped, as
 * etcd's MemoryStorage.Append does.
 */
export function checkEntries (entries: readonly Entry[], firstIndex: number, lastIndex: number): readonly Entry[] {
  let previous: number | null = null
  for (const entry of entries) {
    if (!Number.isSafeInteger(entry.index) || entry.index < 1) {
      throw new RangeError(`Log entry index ${entry.index} is invalid: indexes are integers from 1`)
    }
    if (previous !== null && entry.index !== previous + 1) {
      throw new RangeError(`Log entries are not contiguous: index ${entry.index} follows ${previous}`)
    }
    previous = entry.index
  }
  const first = entries[0]
  if (first === undefined) return entries
  if (first.index > lastIndex + 1) {
    throw new RangeError(`Log entries starting at index ${first.index} would leave a gap after the last index ${lastIndex}`)
  }
  return first.index < firstIndex ? entries.slice(firstIndex - first.index) : entries
}

/**
 * Check the arguments of LogStore.compact against the stored snapshot and last index.
 * Returns false for a snapshot older than the stored one (a leader's snapshot overtook it):
 * the compaction is then skipped, as etcd's ErrSnapOutOfDate is ignored. A node snapshots
 * only what it applied, so a snapshot beyond the last index is a caller bug and throws; that
 * rule keeps "an empty log ends at the snapshot's index" true.
 */
export function checkCompaction (snapshot: Snapshot, throughIndex: number, storedIndex: number | null, lastIndex: number): boolean {
  const index = snapshot.meta.index
  if (!Number.isSafeInteger(throughIndex) || throughIndex < 0 || throughIndex > index) {
    throw new RangeError(`Cannot compact through index ${throughIndex} with a snapshot at index ${index}: throughIndex must be between 0 and the snapshot's index`)
  }
  if (storedIndex !== null && index < storedIndex) return false
  if (index > lastIndex) {
    throw new RangeError(`Cannot store a snapshot at index ${index}: the log ends at index ${lastIndex}, and a node snapshots only entries it has`)
  }
  return true
}
