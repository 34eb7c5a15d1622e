// The core's public shapes: its options, the state it starts from, the Ready it hands out,
// and its status. Kept apart from core.ts so the state machine file holds only behaviour.

import type { Entry, HardState, Message, NodeId, ReadState, Role, Snapshot, SnapshotMeta } from './types.ts'

export interface RaftOptions {
  /** This node's id. */
  readonly id: NodeId
  /** Seeded source of randomness in [0, 1), used for election timeouts only. */
  readonly random: () => number
  /** Ticks a follower waits for a leader before campaigning; randomized in [electionTick, 2·electionTick). Default 10. */
  readonly electionTick?: number
  /** Ticks between leader heartbeats. Default 1. */
  readonly heartbeatTick?: number
  /** AppendEntries messages in flight per follower in replicate state. Default 64. */
  readonly maxInflight?: number
  /** Soft cap on entry bytes in one AppendEntries. Default 1 MiB. */
  readonly maxMsgBytes?: number
  /** Proposals refused with ProposalQueueFullError beyond this many uncommitted entries. Default 100,000. */
  readonly maxUncommittedEntries?: number
  /** InstallSnapshot chunk size. Default 512 KiB. */
  readonly snapshotChunkBytes?: number
  /** Pre-vote (dissertation §9.6). Default true. */
  readonly preVote?: boolean
  /** Check-quorum: a leader that has not heard from a majority for electionTick steps down. Default true. */
  readonly checkQuorum?: boolean
  /** Index the state machine has already applied (its own durable state). Default: the snapshot index. */
  readonly applied?: number
  /** Voters of a brand-new cluster; used only when the node has no state at all. */
  readonly bootstrap?: readonly NodeId[]
  /**
   * Whether a proposal id was applied and is still in the driver's dedupe window: a leader
   * drops a forwarded proposal with such an id (its first copy committed). Default: none.
   */
  readonly appliedId?: (id: string) => boolean
}

export interface RaftState {
  readonly hardState: HardState
  readonly snapshot: Snapshot | null
  readonly entries: Entry[]
}

export interface SoftState {
  readonly leader: NodeId | null
  readonly role: Role
  readonly term: number
}

export interface Ready {
  readonly softState: SoftState | null
  readonly hardState: HardState | null
  /** A snapshot received from the leader: persist it (it replaces the log) and restore the state machine from it. */
  readonly snapshot: Snapshot | null
  /** Entries to persist. entries[0].index may be <= what is on disk: the stored tail from there is replaced. */
  readonly entries: Entry[]
  readonly committedEntries: Entry[]
  /** Send after persisting (on a leader: appends that may wait, see flushBroadcast). */
  readonly messages: Message[]
  /** May be sent before persisting completes. */
  readonly earlyMessages: Message[]
  /**
   * Commit-index updates (commitOnly appends) no follower is waiting for: no forwarded
   * proposal of that follower's is among the newly committed entries. The driver may hold
   * them for a moment and drop one once an append to the same follower goes out (it carries
   * the commit too): at one write at a time the next write's append tells the commit, and
   * the follower handles one message per write instead of two. Send order and loss are as
   * for the others; a dropped one is re-learnt from the next append or heartbeat.
   */
  readonly lazyMessages: Message[]
  readonly readStates: ReadState[]
  /**
   * InstallSnapshot chunks to send whose bytes the core does not hold (releaseSnapshotData):
   * read each from the log store and hand it to sendSnapshotChunkData. One may be dropped
   * (a read that fails): the transfer's resend timer asks again.
   */
  readonly snapshotReads: SnapshotRead[]
}

/** A chunk of the held snapshot for the driver to read from the log store. */
export interface SnapshotRead {
  readonly to: NodeId
  readonly index: number
  readonly offset: number
  readonly length: number
}

/**
 * The latest snapshot the node holds, to send to followers: its bytes in memory, or (after
 * releaseSnapshotData, once the store has them) only their size.
 */
export interface HeldSnapshot {
  readonly meta: SnapshotMeta
  readonly size: number
  data: Uint8Array | null
}

export interface ProgressStatus {
  readonly match: number
  readonly next: number
  readonly state: string
  readonly isLearner: boolean
  readonly recentActive: boolean
}

export interface RaftStatus {
  readonly id: NodeId
  readonly term: number
  readonly vote: NodeId | null
  readonly role: Role
  readonly leader: NodeId | null
  readonly commit: number
  readonly applied: number
  readonly lastIndex: number
  readonly voters: NodeId[]
  readonly learners: NodeId[]
  /** Leader only: what it knows of each peer. */
  readonly progress: Record<NodeId, ProgressStatus>
}
