// The contract of durable Raft storage. Two implementations (memory and level) pass one
// shared contract suite (test/raft/log-store-contract.ts).
//
// The core keeps its uncompacted log in memory; a LogStore is written as the core runs and
// read only when a node starts. Every write resolves only once it is durable.

import type { Entry, HardState, Snapshot } from './types.ts'

export interface PersistedState {
  readonly hardState: HardState
  /** The latest saved snapshot, or null if none was ever saved. */
  readonly snapshot: Snapshot | null
  /** Contiguous entries, ascending by index, starting right after the last compaction point. */
  readonly entries: Entry[]
}

export interface LogUpdate {
  /** Applied first: stored, and every stored entry is discarded (a snapshot from the leader replaces the log). */
  readonly snapshot?: Snapshot
  /** Applied second: stored entries with index >= entries[0].index are replaced by these. */
  readonly entries?: readonly Entry[]
  /** Applied last. */
  readonly hardState?: HardState
}

export interface LogStore {
  /** Read everything back at start. Throws CorruptLogError if the log is damaged anywhere but its unacknowledged tail. */
  load(): Promise<PersistedState>
  /**
   * Atomically and durably apply an update (one fsync). Concurrent calls may share an fsync
   * (group commit). With `sync: false` the write need not be durable when it resolves: the
   * driver uses it when only the commit index moved, which a restarted node re-learns.
   */
  save(update: LogUpdate, options?: { sync?: boolean }): Promise<void>
  /** Store a snapshot the node took itself and drop entries with index <= throughIndex (throughIndex <= snapshot index). */
  compact(snapshot: Snapshot, throughIndex: number): Promise<void>
  /**
   * `length` bytes at `offset` of the durably stored snapshot at `index` (fewer at its end), so
   * the node sends InstallSnapshot chunks without keeping the snapshot's bytes in memory.
   * Throws SnapshotGoneError if the stored snapshot is another one.
   */
  readSnapshot(index: number, offset: number, length: number): Promise<Uint8Array>
  close(): Promise<void>
}
