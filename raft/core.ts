// The Raft consensus core: a synchronous, deterministic state machine.
//
// The caller drives it with tick(), step(message), propose(), readIndex() and
// transferLeadership(), and collects the work to do with ready():
//   1. persist ready.snapshot, ready.entries and ready.hardState (one synced write);
//      ready.earlyMessages may be sent while that write runs (a leader replicating its new
//      entries in parallel with its own fsync, dissertation §10.2.1);
//   2. send ready.messages (they depend on what was just persisted);
//   3. apply ready.committedEntries (and restore ready.snapshot) in order;
//   4. call advance(ready).
// Only one Ready is outstanding at a time. There are no timers, clocks, promises, I/O or
// global randomness in here: time is ticks, randomness is the injected `random`.
//
// Role-specific message handling lives in step-leader.ts, step-candidate.ts and
// step-follower.ts; the term check runs once, here, before them.

import { ConfChangeInProgressError, NotLeaderError, ProposalQueueFullError, TransferInProgressError, TransferTargetError } from './errors.ts'
import { Membership } from './membership.ts'
import { Progress } from './progress.ts'
import { committedIndex } from './quorum.ts'
import { RaftLog, assert } from './raft-log.ts'
import { ReadOnly } from './read-only.ts'
import { broadcastHeartbeat, flushBroadcast, sendAppend, sendDurable, sendSnapshotChunk } from './replication.ts'
import { stepCandidate } from './step-candidate.ts'
import { handleAppend, handleHeartbeat, handleSnapshotChunk, stepFollower } from './step-follower.ts'
import { proposeForwarded, stepLeader } from './step-leader.ts'
import type { ConfChange, Entry, ForwardedProposal, HardState, Message, NodeId, ReadState, Role, Snapshot, SnapshotChunk } from './types.ts'
import type { HeldSnapshot, ProgressStatus, RaftOptions, RaftState, RaftStatus, Ready, SnapshotRead, SoftState } from './core-types.ts'

export type { HeldSnapshot, ProgressStatus, RaftOptions, RaftState, RaftStatus, Ready, SnapshotRead, SoftState } from './core-types.ts'

interface IncomingSnapshot {
  readonly meta: SnapshotChunk['meta']
  /** The leader sending it, and its term: chunks from anyone else never join this transfer. */
  readonly from: NodeId
  readonly term: number
  readonly parts: Uint8Array[]
  received: number
}

export class RaftCore {
  readonly id: NodeId
  // Persistent state (Figure 2), mirrored to disk through ready().
  term = 0
  vote: NodeId | null = null
  readonly log: RaftLog
  // Volatile state.
  role: Role = 'follower'
  leader: NodeId | null = null
  /** Highest index handed to the state machine and acknowledged by advance(). Invariant: applied <= log.commit. */
  applied: number
  membership: Membership
  /** Leader only: one entry per other member. */
  readonly progress = new Map<NodeId, Progress>()
  /** Candidate / pre-candidate only: the votes received. */
  readonly votes = new Map<NodeId, boolean>()
  readonly readOnly = new ReadOnly()
  /** Leader only: a membership change at an index above `applied` is still pending. */
  pendingConfIndex = 0
  /** Leader only: the voter leadership is being handed to. */
  leadTransferee: NodeId | null = null
  /**
   * Leader only: proposal ids appended in this term and not yet applied, so a forward sent
   * again (the follower's resend timer) is not appended twice. Cleared with the term; an id
   * leaves once applied, where the driver's dedupe window (appliedId) takes over.
   */
  readonly appendedIds = new Set<string>()
  /**
   * Leader only: per follower, the last index of the log when it last forwarded proposals.
   * A commit-index update that reaches past it is one that follower waits for (to answer its
   * client); any other may go out lazily (Ready.lazyMessages). Cleared with the term.
   */
  readonly forwardedThrough = new Map<NodeId, number>()
  /**
   * Follower only, for this term: the last index up to which our log is known to match the
   * leader's (the end of an AppendEntries we accepted from it), and the index up to which the
   * leader says its log is on its disk (LeaderDurable). Cleared with the term.
   */
  leaderMatch = 0
  leaderDurable = 0
  /** Leader only: the highest durable index sent to any follower this term (see ReadOnly). */
  durableSent = 0
  /** See RaftOptions.appliedId. */
  readonly appliedId: (id: string) => boolean
  /** Latest snapshot this node holds (taken locally or received), to send to followers. */
  snapshot: HeldSnapshot | null
  /** Chunks of `snapshot` to read from the log store, handed out in the next Ready. */
  snapshotReads: SnapshotRead[] = []
  incomingSnapshot: IncomingSnapshot | null = null
  /** A snapshot received from the leader, waiting to be handed out in ready(). */
  pendingSnapshot: Snapshot | null = null

  electionElapsed = 0
  heartbeatElapsed = 0
  randomizedElectionTimeout = 0
  /** Ticks since start; used to resend silent snapshot transfers. */
  now = 0
  /** Leader: new entries or a new commit index wait to be sent. */
  needsBroadcast = false

  readonly electionTick: number
  readonly heartbeatTick: number
  readonly maxInflight: number
  readonly maxMsgBytes: number
  readonly maxUncommittedEntries: number
  readonly snapshotChunkBytes: number
  readonly preVote: boolean
  readonly checkQuorum: boolean
  private readonly random: () => number

  msgs: Message[] = []
  /** Leader: messages that go out only after this Ready's write, like a follower's (Ready.messages). */
  afterPersistMsgs: Message[] = []
  /** Messages the driver may hold briefly (see Ready.lazyMessages). */
  lazyMsgs: Message[] = []
  readStates: ReadState[] = []
  private prevHard: HardState
  private prevSoft: SoftState
  private outstanding: Ready | null = null

  constructor (opts: RaftOptions, state: RaftState) {
    this.id = opts.id
    this.random = opts.random
    this.electionTick = opts.electionTick ?? 10
    this.heartbeatTick = opts.heartbeatTick ?? 1
    this.maxInflight = opts.maxInflight ?? 64
    this.maxMsgBytes = opts.maxMsgBytes ?? 1024 * 1024
    this.maxUncommittedEntries = opts.maxUncommittedEntries ?? 100_000
    this.snapshotChunkBytes = opts.snapshotChunkBytes ?? 512 * 1024
    this.preVote = opts.preVote ?? true
    this.checkQuorum = opts.checkQuorum ?? true
    this.appliedId = opts.appliedId ?? (() => false)
    assert(this.heartbeatTick > 0 && this.electionTick > this.heartbeatTick, 'electionTick > heartbeatTick > 0')

    const snap = state.snapshot
    this.snapshot = snap === null ? null : { meta: snap.meta, size: snap.data.length, data: snap.data }
    this.log = new RaftLog(snap?.meta.index ?? 0, snap?.meta.term ?? 0, [...state.entries], state.hardState.commit)
    this.term = state.hardState.term
    this.vote = state.hardState.vote
    this.membership = new Membership(snap?.meta.conf)
    this.applied = Math.max(snap?.meta.index ?? 0, Math.min(opts.applied ?? 0, this.log.commit))

    const fresh = snap === null && state.entries.length === 0 && state.hardState.term === 0
    if (fresh && opts.bootstrap !== undefined && opts.bootstrap.length > 0) {
      // A new cluster: every founding node writes the same entries, so their logs agree.
      const boot: Entry[] = [...opts.bootstrap].sort().map((node, i) => ({ term: 1, index: i + 1, data: new Uint8Array(0), change: { type: 'addVoter', node } }))
      this.log.stable = 0
      this.log.appendNew(boot)
      this.log.commitTo(boot.length)
      this.term = 1
    } else {
      // Membership as of `applied`: the snapshot's, then the changes applied after it.
      for (let i = (snap?.meta.index ?? 0) + 1; i <= this.applied; i++) {
        const change = this.log.entry(i)?.change
        if (change !== undefined) this.membership.apply(change)
      }
    }
    this.prevHard = { ...state.hardState }
    this.prevSoft = { leader: null, role: 'follower', term: this.term }
    this.becomeFollower(this.term, null)
  }

  // ---- inputs ----------------------------------------------------------------------------

  /** Advance logical time by one tick. */
  tick (): void {
    this.now++
    if (this.role === 'leader') this.tickLeader()
    else this.tickElection()
  }

  /** Feed a message from a peer. Messages for another node or from an unknown term order are handled per §5.1. */
  step (m: Message): void {
    if (m.to !== this.id) return
    if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'prevote') {
        // Leader lease (check-quorum): while we hear from a leader, ignore disruptive candidates.
        const inLease = this.checkQuorum && this.leader !== null && this.electionElapsed < this.electionTick
        if (inLease && m.force !== true) return
      }
      if (m.type === 'prevote') {
        // A pre-vote carries the term the sender would use: never adopt it.
      } else if (m.type === 'prevote-resp' && m.granted) {
        // Granted pre-votes echo the future term; counted by the pre-candidate below.
      } else if (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot') {
        this.becomeFollower(m.term, m.from)
      } else {
        this.becomeFollower(m.term, null)
      }
    } else if (m.term < this.term) {
      if (m.type === 'append' || m.type === 'heartbeat') {
        // A stale leader (for example one that was partitioned): tell it our term so it steps down.
        this.send({ type: 'append-resp', from: this.id, to: m.from, term: this.term, success: false, index: 0, hintIndex: 0, hintTerm: 0 })
      } else if (m.type === 'prevote') {
        this.send({ type: 'prevote-resp', from: this.id, to: m.from, term: this.term, granted: false })
      }
      return
    }

    if (m.type === 'vote' || m.type === 'prevote') {
      this.handleVoteRequest(m)
      return
    }
    switch (this.role) {
      case 'leader': stepLeader(this, m); break
      case 'candidate':
      case 'pre-candidate': stepCandidate(this, m); break
      case 'follower': stepFollower(this, m); break
    }
  }

  /** Append a proposal to the leader's log. Returns where it will commit if it does. */
  propose (data: Uint8Array, id?: string): { index: number, term: number } {
    return this.appendProposal(data, id, undefined)
  }

  /** Leader: append proposals a follower forwarded, skipping ids it has already (step-leader.ts). */
  proposeForwarded (entries: readonly ForwardedProposal[]): void { proposeForwarded(this, entries, this.id) }

  /** Propose a single-server membership change. */
  proposeConfChange (change: ConfChange, id?: string): { index: number, term: number } {
    if (this.role === 'leader') {
      if (this.pendingConfIndex > this.applied) throw new ConfChangeInProgressError()
      this.membership.validate(change)
    }
    const at = this.appendProposal(new Uint8Array(0), id, change)
    this.pendingConfIndex = at.index
    return at
  }

  /**
   * Ask for a linearizable read point (dissertation §6.4). The answer comes back as a
   * ReadState with the same ctx in a later ready(); index -1 means retry.
   */
  readIndex (ctx: string): void {
    if (this.role === 'leader') {
      this.readOnly.request(this, ctx, this.id)
      return
    }
    if (this.leader === null) throw new NotLeaderError(null)
    this.send({ type: 'read-index', from: this.id, to: this.leader, term: this.term, ctx })
  }

  /** Hand leadership to `to` (dissertation §3.10): catch it up, then tell it to campaign now. */
  transferLeadership (to: NodeId): void {
    if (this.role !== 'leader') throw new NotLeaderError(this.leader)
    if (to === this.id) return
    if (!this.membership.isVoter(to)) throw new TransferTargetError(`Cannot transfer leadership to ${to}: it is not a voter`)
    if (this.leadTransferee === to) return
    this.leadTransferee = to
    this.electionElapsed = 0
    const pr = this.progress.get(to)
    if (pr === undefined) return
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(to)
    else this.sendAppend(to, true)
  }

  /**
   * Record a snapshot of the state machine at `applied` and compact the log. Entries are kept
   * from `throughIndex + 1` on (default: just after the snapshot) to spare slightly slow
   * followers a full InstallSnapshot. Returns the snapshot for the caller to persist.
   */
  compact (data: Uint8Array, throughIndex = this.applied): Snapshot | null {
    // A snapshot from the leader is installed but not yet handed out: the log now starts
    // past `applied`, and that snapshot supersedes this one anyway.
    if (this.pendingSnapshot !== null || this.applied < this.log.snapshotIndex) return null
    const index = this.applied
    assert(throughIndex <= index, 'compact through at most the applied index')
    const term = this.log.term(index)
    assert(term !== undefined, `term of applied index ${index} is known`)
    const snap: Snapshot = { meta: { index, term, conf: this.membership.toConfState() }, data }
    this.snapshot = { meta: snap.meta, size: data.length, data }
    this.log.compact(index, term, Math.min(throughIndex, this.log.stable))
    return snap
  }

  /**
   * The log store holds the snapshot at `index` durably: let go of its bytes. Chunks for
   * followers are then read from the store (Ready.snapshotReads → sendSnapshotChunkData).
   */
  releaseSnapshotData (index: number): void {
    if (this.snapshot?.meta.index === index) this.snapshot.data = null
  }

  /**
   * A chunk the driver read for Ready.snapshotReads: send it, unless the transfer moved on
   * meanwhile (another offset, a newer snapshot, leadership lost).
   */
  sendSnapshotChunkData (to: NodeId, index: number, offset: number, chunk: Uint8Array): void {
    const pr = this.progress.get(to)
    const snap = this.snapshot
    if (this.role !== 'leader' || pr === undefined || pr.state !== 'snapshot' || pr.snapshot === null || snap === null) return
    if (snap.meta.index !== index || pr.snapshot.index !== index || pr.snapshot.offset !== offset) return
    this.send({ type: 'snapshot', from: this.id, to, term: this.term, meta: snap.meta, offset, chunk, done: offset + chunk.length >= snap.size })
  }

  // ---- outputs ---------------------------------------------------------------------------

  hasReady (): boolean {
    if (this.outstanding !== null) return false
    if (this.role === 'leader' && this.needsBroadcast) return true
    return this.msgs.length > 0 || this.afterPersistMsgs.length > 0 || this.lazyMsgs.length > 0 || this.readStates.length > 0 || this.snapshotReads.length > 0 || this.pendingSnapshot !== null ||
      this.log.stable < this.log.lastIndex() || this.log.commit > this.applied ||
      !sameHard(this.hardState(), this.prevHard) || !sameSoft(this.softState(), this.prevSoft)
  }

  ready (): Ready {
    assert(this.outstanding === null, 'advance() the previous Ready before asking for another')
    if (this.role === 'leader') this.flushBroadcast()
    const hard = this.hardState()
    const soft = this.softState()
    const hardChanged = !sameHard(hard, this.prevHard)
    const snapshot = this.pendingSnapshot
    const committedEntries = snapshot === null && this.log.commit > this.applied
      ? this.log.slice(this.applied + 1, this.log.commit)
      : []
    const early = this.role === 'leader' && hard.term === this.prevHard.term && hard.vote === this.prevHard.vote
    const rd: Ready = {
      softState: sameSoft(soft, this.prevSoft) ? null : soft,
      hardState: hardChanged ? hard : null,
      snapshot,
      entries: this.log.unstable(),
      committedEntries,
      messages: early ? this.afterPersistMsgs : this.afterPersistMsgs.length === 0 ? this.msgs : [...this.msgs, ...this.afterPersistMsgs],
      earlyMessages: early ? this.msgs : [],
      lazyMessages: this.lazyMsgs,
      readStates: this.readStates,
      snapshotReads: this.snapshotReads
    }
    this.msgs = []
    this.afterPersistMsgs = []
    this.lazyMsgs = []
    this.readStates = []
    this.snapshotReads = []
    this.prevHard = hard
    this.prevSoft = soft
    this.pendingSnapshot = null
    this.outstanding = rd
    return rd
  }

  /** The caller persisted, sent and applied `rd`. */
  advance (rd: Ready): void {
    assert(this.outstanding === rd, 'advance() takes the Ready last returned by ready()')
    this.outstanding = null
    if (rd.snapshot !== null) this.applied = Math.max(this.applied, rd.snapshot.meta.index)
    this.log.stableTo(rd.entries)
    for (const e of rd.committedEntries) {
      if (e.change !== undefined) this.applyConfChange(e.change)
      if (e.id !== undefined && this.appendedIds.size > 0) this.appendedIds.delete(e.id)
      this.applied = e.index
    }
    if (this.role === 'leader') {
      // The leader's own durable log counts toward commit only now (it replicated in parallel).
      this.maybeCommit()
      sendDurable(this)
    } else {
      this.commitHeldByBoth()
    }
  }

  status (): RaftStatus {
    const progress: Record<NodeId, ProgressStatus> = {}
    if (this.role === 'leader') {
      for (const [id, pr] of this.progress) {
        progress[id] = { match: pr.match, next: pr.next, state: pr.state, isLearner: pr.isLearner, recentActive: pr.recentActive }
      }
    }
    const conf = this.membership.toConfState()
    return {
      id: this.id,
      term: this.term,
      vote: this.vote,
      role: this.role,
      leader: this.leader,
      commit: this.log.commit,
      applied: this.applied,
      lastIndex: this.log.lastIndex(),
      voters: [...conf.voters],
      learners: [...conf.learners],
      progress
    }
  }

  hardState (): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.commit }
  }

  softState (): SoftState {
    return { leader: this.leader, role: this.role, term: this.term }
  }

  // ---- roles -------------------------------------------------------------------------------

  becomeFollower (term: number, leader: NodeId | null): void {
    const wasLeader = this.role === 'leader'
    this.reset(term)
    this.role = 'follower'
    this.leader = leader
    if (wasLeader) this.readOnly.failAll(this)
  }

  becomePreCandidate (): void {
    assert(this.role !== 'leader', 'a leader does not pre-campaign')
    // Neither term nor vote change: a pre-vote disturbs nobody (§9.6).
    this.votes.clear()
    this.role = 'pre-candidate'
    this.leader = null
  }

  becomeCandidate (): void {
    assert(this.role !== 'leader', 'a leader does not campaign')
    this.reset(this.term + 1)
    this.vote = this.id
    this.role = 'candidate'
  }

  becomeLeader (): void {
    assert(this.role === 'candidate', 'only a candidate becomes leader')
    this.reset(this.term)
    this.role = 'leader'
    this.leader = this.id
    const next = this.log.lastIndex() + 1
    for (const id of this.membership.members()) {
      if (id === this.id) continue
      this.progress.set(id, new Progress(next, this.maxInflight, !this.membership.isVoter(id)))
    }
    // A membership change in the log we inherit may still be unapplied: no new one until it is.
    this.pendingConfIndex = this.log.lastIndex()
    // The no-op of §8: commits the previous terms' entries through one of ours (§5.4.2).
    this.log.appendNew([{ term: this.term, index: next, data: new Uint8Array(0) }])
    this.needsBroadcast = true
  }

  private reset (term: number): void {
    if (term !== this.term) {
      this.term = term
      this.vote = null
    }
    this.leader = null
    this.electionElapsed = 0
    this.heartbeatElapsed = 0
    this.randomizedElectionTimeout = this.electionTick + Math.floor(this.random() * this.electionTick)
    this.votes.clear()
    this.progress.clear()
    this.leadTransferee = null
    this.needsBroadcast = false
    this.appendedIds.clear()
    this.forwardedThrough.clear()
    this.leaderMatch = 0
    this.leaderDurable = 0
    this.durableSent = 0
  }

  /** A voter that knows the membership (a learner or a removed node never campaigns). */
  promotable (): boolean {
    return this.membership.isVoter(this.id)
  }

  /**
   * Start an election: a pre-vote round first, unless `force` (leadership transfer: no
   * pre-vote, and the vote overrides the leader lease) or `skipPreVote` (the pre-vote was won).
   */
  campaign (force: boolean, skipPreVote = force): void {
    if (this.role === 'leader' || !this.promotable()) return
    // A committed but unapplied membership change may remove us or change the quorum: wait for it.
    for (let i = this.applied + 1; i <= this.log.commit; i++) {
      if (this.log.entry(i)?.change !== undefined) return
    }
    const pre = this.preVote && !skipPreVote
    if (pre) this.becomePreCandidate()
    else this.becomeCandidate()
    const type = pre ? 'prevote' : 'vote'
    const voteTerm = pre ? this.term + 1 : this.term
    this.votes.set(this.id, true)
    if (this.tallyVotes()) return
    for (const id of this.membership.voters) {
      if (id === this.id) continue
      this.send({ type, from: this.id, to: id, term: voteTerm, lastLogIndex: this.log.lastIndex(), lastLogTerm: this.log.lastTerm(), ...(force ? { force: true } : {}) })
    }
  }

  /** Count votes; act on a win or a loss. Returns true when the round is decided. */
  tallyVotes (): boolean {
    const need = Math.floor(this.membership.voters.size / 2) + 1
    let granted = 0
    let rejected = 0
    for (const v of this.membership.voters) {
      const vote = this.votes.get(v)
      if (vote === true) granted++
      else if (vote === false) rejected++
    }
    if (granted >= need) {
      if (this.role === 'pre-candidate') this.campaign(false, true)
      else this.becomeLeader()
      return true
    }
    if (rejected > this.membership.voters.size - need) {
      this.becomeFollower(this.term, null)
      return true
    }
    return false
  }

  private handleVoteRequest (m: Extract<Message, { type: 'vote' | 'prevote' }>): void {
    // Figure 2 RequestVote receiver rule 2, with pre-votes granted to a future term (§9.6).
    const canVote = this.vote === m.from ||
      (this.vote === null && this.leader === null) ||
      (m.type === 'prevote' && m.term > this.term)
    const respType = m.type === 'vote' ? 'vote-resp' : 'prevote-resp'
    if (canVote && this.log.isUpToDate(m.lastLogIndex, m.lastLogTerm)) {
      this.send({ type: respType, from: this.id, to: m.from, term: m.term, granted: true })
      if (m.type === 'vote') {
        this.electionElapsed = 0
        this.vote = m.from
      }
    } else {
      this.send({ type: respType, from: this.id, to: m.from, term: this.term, granted: false })
    }
  }

  // ---- ticks -----------------------------------------------------------------------------

  private tickElection (): void {
    this.electionElapsed++
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0
      this.campaign(false)
    }
  }

  private tickLeader (): void {
    this.heartbeatElapsed++
    this.electionElapsed++
    if (this.electionElapsed >= this.electionTick) {
      this.electionElapsed = 0
      if (this.checkQuorum && !this.quorumActive()) {
        this.becomeFollower(this.term, null)
        return
      }
      this.leadTransferee = null // a transfer that did not finish in an election timeout is abandoned
    }
    if (this.heartbeatElapsed >= this.heartbeatTick) {
      this.heartbeatElapsed = 0
      this.broadcastHeartbeat(undefined)
    }
    for (const [id, pr] of this.progress) {
      if (pr.state === 'snapshot' && pr.snapshot !== null && this.now - pr.snapshot.sentAt >= this.electionTick) {
        this.sendSnapshotChunk(id, pr, pr.snapshot.offset)
      }
    }
  }

  /** Did a majority of voters answer since the last check? Resets the marks for the next round. */
  private quorumActive (): boolean {
    let active = this.membership.isVoter(this.id) ? 1 : 0
    for (const [id, pr] of this.progress) {
      if (pr.recentActive && this.membership.isVoter(id)) active++
      pr.recentActive = false
    }
    return active >= Math.floor(this.membership.voters.size / 2) + 1
  }

  // ---- leader replication -------------------------------------------------------------------

  private appendProposal (data: Uint8Array, id: string | undefined, change: ConfChange | undefined): { index: number, term: number } {
    if (this.role !== 'leader') throw new NotLeaderError(this.leader)
    if (this.leadTransferee !== null) throw new TransferInProgressError()
    if (this.log.lastIndex() - this.log.commit >= this.maxUncommittedEntries) throw new ProposalQueueFullError()
    const index = this.log.lastIndex() + 1
    const entry: Entry = { term: this.term, index, data, ...(id !== undefined ? { id } : {}), ...(change !== undefined ? { change } : {}) }
    this.log.appendNew([entry])
    if (id !== undefined) this.appendedIds.add(id)
    this.needsBroadcast = true
    return { index, term: this.term }
  }

  /** Send what each follower lacks: new entries, or the new commit index (replication.ts). */
  flushBroadcast (): void { flushBroadcast(this) }
  /** AppendEntries to `to` as flow control allows; with `probe`, even without new entries (replication.ts). */
  sendAppend (to: NodeId, probe: boolean): void { sendAppend(this, to, probe) }
  sendSnapshotChunk (to: NodeId, pr: Progress, offset: number): void { sendSnapshotChunk(this, to, pr, offset) }
  broadcastHeartbeat (ctx: string | undefined): void { broadcastHeartbeat(this, ctx) }
  sendTimeoutNow (to: NodeId): void { this.send({ type: 'timeout-now', from: this.id, to, term: this.term }) }

  /** Commit by the quorum of matchIndex, only for an entry of the current term (§5.4.2). */
  maybeCommit (): boolean {
    const self = this.id
    const idx = committedIndex(this.membership.voters, (id) => id === self ? this.log.stable : (this.progress.get(id)?.match ?? 0))
    if (idx > this.log.commit && this.log.term(idx) === this.term) {
      this.log.commitTo(idx)
      this.needsBroadcast = true
      this.readOnly.onCommit(this)
      return true
    }
    return false
  }

  /**
   * Leader: whether this leader and `id` are by themselves a majority of the voters, with no
   * membership change pending (so the voters are the same for every entry in the log): then
   * the two holding an entry of this term on disk commits it (LeaderDurable).
   */
  pairIsQuorum (id: NodeId): boolean {
    const voters = this.membership.voters
    return this.pendingConfIndex <= this.applied && voters.size <= 3 && voters.has(this.id) && voters.has(id)
  }

  /**
   * Follower: commit what both this node and the leader hold on disk, of this term, once the
   * leader told us the two of us are a majority (LeaderDurable). Our part is what we took from
   * this leader in this term (leaderMatch) and have written (log.stable).
   */
  commitHeldByBoth (): void {
    const n = Math.min(this.leaderDurable, this.leaderMatch, this.log.stable)
    if (n > this.log.commit && this.log.term(n) === this.term) this.log.commitTo(n)
  }

  private applyConfChange (change: ConfChange): void {
    this.membership.apply(change)
    if (this.role !== 'leader') return
    if (!this.membership.isVoter(this.id)) {
      // A leader removed or demoted by a committed change steps down (dissertation §4.2.2).
      this.becomeFollower(this.term, null)
      return
    }
    for (const id of [...this.progress.keys()]) {
      if (!this.membership.isMember(id)) this.progress.delete(id)
    }
    for (const id of this.membership.members()) {
      if (id === this.id) continue
      const pr = this.progress.get(id)
      if (pr === undefined) this.progress.set(id, new Progress(this.log.lastIndex() + 1, this.maxInflight, !this.membership.isVoter(id)))
      else pr.isLearner = !this.membership.isVoter(id)
    }
    if (this.leadTransferee !== null && !this.membership.isVoter(this.leadTransferee)) this.leadTransferee = null
    this.maybeCommit()
    this.needsBroadcast = true
  }

  // ---- follower side helpers used by the role files -------------------------------------------

  handleAppend (m: Extract<Message, { type: 'append' }>): void { handleAppend(this, m) }
  handleHeartbeat (m: Extract<Message, { type: 'heartbeat' }>): void { handleHeartbeat(this, m) }
  handleSnapshotChunk (m: SnapshotChunk): void { handleSnapshotChunk(this, m) }

  send (m: Message): void {
    this.msgs.push(m)
  }

  /** A leader's message that may wait for this Ready's write (Ready.messages). */
  sendAfterPersist (m: Message): void {
    this.afterPersistMsgs.push(m)
  }

  /** A message nobody waits for: the driver may hold it briefly and drop it once a later one carries the same news. */
  sendLazy (m: Message): void {
    this.lazyMsgs.push(m)
  }
}

function sameHard (a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit
}

function sameSoft (a: SoftState, b: SoftState): boolean {
  return a.leader === b.leader && a.role === b.role && a.term === b.term
}
