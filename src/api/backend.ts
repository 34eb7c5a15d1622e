// What the HTTP API needs from the rest of the agent: the local replica to read from, a way to
// propose writes through Raft, a linearizable read barrier, and the two non-deterministic
// decisions (time, uid) that must be made once, on the receiving agent, before proposing.
// The agent implements it over its Raft node and ObjectStore; tests use an in-memory fake.

import type { ApplyResult, ObjectReader, StoreCommand } from '../store/types.ts'

export interface ApiBackend {
  /** The local replica. */
  readonly reader: ObjectReader
  /**
   * Propose a write through Raft (forwarded to the leader by the agent when this node follows);
   * resolves after commit and local apply. Rejects with errors named NotLeaderError,
   * RaftTimeoutError, LeadershipLostError, ... when the cluster cannot take the write now.
   */
  write (cmd: StoreCommand, signal?: AbortSignal): Promise<ApplyResult>
  /** Linearizable read barrier (ReadIndex): resolves when the local replica has applied everything committed before the call. */
  linearize (signal?: AbortSignal): Promise<void>
  /** The current time as an RFC 3339 timestamp (creationTimestamp). */
  now (): string
  /** A fresh object uid. */
  newUid (): string
}
