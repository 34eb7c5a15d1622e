// The data the Raft core exchanges with its caller: log entries, persistent state,
// membership, snapshots and messages. Plain objects only, so any codec (msgpackr on the
// wire, the log store on disk) can carry them without shared schema state.

/** A member's id. In the agent it is the libp2p PeerId string, so an address change keeps membership. */
export type NodeId = string

/** A single-server membership change (Raft dissertation §4.1). */
export interface ConfChange {
  readonly type: 'addLearner' | 'addVoter' | 'demote' | 'remove'
  readonly node: NodeId
}

export interface Entry {
  readonly term: number
  readonly index: number
  /** Application bytes; empty for the no-op a new leader appends (§5.4.2, §8). */
  readonly data: Uint8Array
  /** Proposal id: an entry whose id was already applied is skipped, so a retried request applies once. */
  readonly id?: string
  /** Present on membership change entries, which the core applies itself when they commit. */
  readonly change?: ConfChange
}

/** What must be on disk before any message that depends on it is sent (§5.1, Figure 2 "Persistent state"). */
export interface HardState {
  readonly term: number
  readonly vote: NodeId | null
  readonly commit: number
}

export interface ConfState {
  readonly voters: readonly NodeId[]
  readonly learners: readonly NodeId[]
}

export interface SnapshotMeta {
  /** Last log index the snapshot covers (lastIncludedIndex, §7). */
  readonly index: number
  /** Term of that entry (lastIncludedTerm). */
  readonly term: number
  /** Membership as of `index`. */
  readonly conf: ConfState
}

export interface Snapshot {
  readonly meta: SnapshotMeta
  readonly data: Uint8Array
}

export interface ReadState {
  /** The caller's request context, handed back unchanged. */
  readonly ctx: string
  /** Apply up to this index, then the read is linearizable. -1: the read could not be served (leadership changed): retry. */
  readonly index: number
}

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader'

interface MessageBase {
  readonly from: NodeId
  readonly to: NodeId
  readonly term: number
}

/** RequestVote (§5.2), also used for pre-vote (§9.6) with the term the sender would campaign in. */
export interface VoteRequest extends MessageBase {
  readonly type: 'vote' | 'prevote'
  readonly lastLogIndex: number
  readonly lastLogTerm: number
  /** Set by a leadership transfer: overrides the leader lease of check-quorum. */
  readonly force?: boolean
}

export interface VoteResponse extends MessageBase {
  readonly type: 'vote-resp' | 'prevote-resp'
  readonly granted: boolean
}

/** AppendEntries (§5.3). An empty `entries` with the current commit is a probe. */
export interface AppendRequest extends MessageBase {
  readonly type: 'append'
  readonly prevLogIndex: number
  readonly prevLogTerm: number
  readonly entries: readonly Entry[]
  readonly commit: number
  /**
   * Set on a commit-index update anchored at the follower's known match: a successful append
   * then tells the leader nothing it does not know, so the follower sends no response (a
   * quarter of the messages per replicated write). A follower that does not know the flag
   * answers as before; a rejection is always answered.
   */
  readonly commitOnly?: true
  /**
   * The leader's log is on its disk through this index, and the leader and this follower
   * together are a majority of the voters, with no membership change pending. The follower
   * may then commit by itself what both hold on disk in this term (`LeaderDurable`).
   */
  readonly durable?: number
}

export interface AppendResponse extends MessageBase {
  readonly type: 'append-resp'
  readonly success: boolean
  /** On success: the follower's match index. On reject: the prevLogIndex that was rejected. */
  readonly index: number
  /** On reject: where the leader should probe next (fast back-off, §5.3 "optimization"). */
  readonly hintIndex: number
  readonly hintTerm: number
  /**
   * The follower commits by itself what it and the leader both hold on disk (AppendRequest.durable,
   * LeaderDurable): the leader need not send it that commit index. Absent from older followers.
   */
  readonly selfCommits?: true
}

/** Leader heartbeat. `ctx` carries a ReadIndex round when present. */
export interface Heartbeat extends MessageBase {
  readonly type: 'heartbeat'
  readonly commit: number
  readonly ctx?: string
}

export interface HeartbeatResponse extends MessageBase {
  readonly type: 'heartbeat-resp'
  readonly ctx?: string
}

/** One chunk of InstallSnapshot (§7). */
export interface SnapshotChunk extends MessageBase {
  readonly type: 'snapshot'
  readonly meta: SnapshotMeta
  readonly offset: number
  readonly chunk: Uint8Array
  readonly done: boolean
}

export interface SnapshotResponse extends MessageBase {
  readonly type: 'snapshot-resp'
  readonly snapshotIndex: number
  /** Bytes received so far (the next offset wanted); -1 asks the leader to start over. */
  readonly offset: number
  /** The offset of the chunk this answers: the leader only acts on the answer to its chunk in flight. */
  readonly answers: number
}

/** Leadership transfer: the receiver campaigns at once (dissertation §3.10). */
export interface TimeoutNow extends MessageBase {
  readonly type: 'timeout-now'
}

/** A follower asks the leader for a read index on behalf of its client (dissertation §6.4). */
export interface ReadIndexRequest extends MessageBase {
  readonly type: 'read-index'
  readonly ctx: string
}

export interface ReadIndexResponse extends MessageBase {
  readonly type: 'read-index-resp'
  readonly ctx: string
  /** -1 when the leader could not serve it (it lost leadership, or is transferring). */
  readonly index: number
}

/** One proposal a follower forwards: the data and its proposal id. */
export interface ForwardedProposal {
  readonly data: Uint8Array
  readonly id: string
}

/**
 * A follower forwards its clients' proposals to the leader (etcd's MsgProp). Nothing answers
 * it: the entries reach the sender's log like any other, where it matches them by id.
 */
export interface ProposeRequest extends MessageBase {
  readonly type: 'propose'
  readonly entries: readonly ForwardedProposal[]
}

/**
 * The leader's log is on its disk through `index`, and the leader and the receiver together
 * are a majority of the voters, with no membership change pending. Sent, right after the
 * leader's own write, to a follower waiting for a write it forwarded: once that follower also
 * holds the entries on disk, a majority does, so it commits them without waiting for its
 * acknowledgement to reach the leader and the new commit index to come back (two hops).
 * Safe because both copies are durable, the entries are of the receiver's current term, and
 * they match the leader's log (the receiver counts only entries it took from this leader in
 * this term). Nothing answers it; an older follower ignores it.
 */
export interface LeaderDurable extends MessageBase {
  readonly type: 'durable'
  readonly index: number
}

export type Message =
  | VoteRequest | VoteResponse
  | AppendRequest | AppendResponse
  | Heartbeat | HeartbeatResponse
  | SnapshotChunk | SnapshotResponse
  | TimeoutNow
  | ReadIndexRequest | ReadIndexResponse
  | ProposeRequest
  | LeaderDurable

export type MessageType = Message['type']

export const EMPTY_HARD_STATE: HardState = Object.freeze({ term: 0, vote: null, commit: 0 })
