// RaftNode: the pure core run as a live node. It owns the I/O the core must not do —
// a tick timer, a Transport for messages, a LogStore for durability, a StateMachine to
// apply to — and turns proposals and reads into promises.
//
// Loop (one Ready at a time): send early messages ‖ persist (one fsync for everything that
// arrived meanwhile: group commit) → send the rest → restore/apply → advance → maybe snapshot.
// Each entry that carries a proposal id is applied at most once: the ids of recent entries
// are part of the replicated state (and of snapshots), so a retried proposal whose first copy
// committed resolves with `duplicateOf` instead of applying again.

import { EventEmitter } from 'node:events'
import { RaftCore, type RaftStatus, type Ready } from './core.ts'
import { LeadershipLostError, NotLeaderError, RaftTimeoutError, SnapshotGoneError, StoppedError } from './errors.ts'
import type { LogStore } from './log-store.ts'
import { Forwarder, type FallbackReceipt, type Forward } from './forwarding.ts'
import { HeldCommits } from './held-commits.ts'
import { RecentIds } from './recent-ids.ts'
import { packEnvelope, reservePackBuffer, unpackEnvelope } from './snapshot-envelope.ts'
import type { ConfChange, Entry, ForwardedProposal, HardState, Message, NodeId, Role, Snapshot } from './types.ts'

/** Carries messages between nodes. Best effort: Raft tolerates loss, duplication and reordering. */
export interface Transport {
  send (messages: readonly Message[]): void
  /** Start delivering messages addressed to `id` to `handler`. */
  listen (id: NodeId, handler: (m: Message) => void): void
  unlisten (id: NodeId): void
}

/** The application replicated by Raft. Calls arrive in log order, one at a time. */
export interface StateMachine {
  /** Apply committed entries (only those with data); return one result per entry for its proposer. */
  apply (entries: readonly Entry[]): unknown[] | Promise<unknown[]>
  /** Serialize the whole state (as of the last applied entry). */
  snapshot (): Uint8Array | Promise<Uint8Array>
  /** Replace the whole state with a snapshot's. */
  restore (data: Uint8Array): void | Promise<void>
  /**
   * For a state machine that keeps its applied state on disk: the last index it applied.
   * When it is at or past the log's snapshot, the node starts there instead of restoring
   * the snapshot and replaying the log from it.
   */
  readonly appliedIndex?: number
}

export interface RaftNodeOptions {
  readonly id: NodeId
  readonly store: LogStore
  readonly transport: Transport
  readonly stateMachine: StateMachine
  /** Milliseconds per tick. Default 50. */
  readonly tickMs?: number
  /** See RaftOptions. Defaults: electionTick 10, heartbeatTick 1. */
  readonly electionTick?: number
  readonly heartbeatTick?: number
  readonly maxInflight?: number
  readonly maxUncommittedEntries?: number
  readonly snapshotChunkBytes?: number
  /** Voters of a brand-new cluster (only used when the store is empty). */
  readonly bootstrap?: readonly NodeId[]
  /** Take a snapshot after this many applied entries. Default 10,000. */
  readonly snapshotEvery?: number
  /** Entries kept behind a snapshot for slow followers. Default 1,000. */
  readonly snapshotRetain?: number
  /**
   * Also wait until the entries applied since the last snapshot hold this many bytes of data
   * per byte of that snapshot. Default 0.5; 0 snapshots every `snapshotEvery` entries whatever
   * the state's size. A snapshot rewrites the whole state: with a large state, taking one every
   * `snapshotEvery` small entries costs far more memory and disk traffic than the log it
   * replaces (every snapshot passes through several state-sized buffers).
   */
  readonly snapshotLogRatio?: number
  /**
   * ...but never wait for more than this many bytes of entry data: the entries since the last
   * snapshot stay in memory (each with ~250 bytes of objects besides its data), so this bounds
   * the log's memory whatever the state's size. Default Infinity (the ratio alone decides).
   */
  readonly snapshotLogBytes?: number
  /** Proposal ids remembered for this many entries. Default 100,000. */
  readonly dedupeWindow?: number
  /** Seeded randomness for election timeouts. Default Math.random (this is the edge; the core stays pure). */
  readonly random?: () => number
  /** Default wait for proposals and reads. Default 10 s. */
  readonly timeoutMs?: number
  /** A proposal forwarded to the leader (submit) and not applied here after this long is sent again. Default 1 s. */
  readonly forwardResendMs?: number
  /**
   * Another way to hand a forwarded proposal to the leader, for leaders that drop 'propose'
   * messages (older code): used for a forward not in this node's log after
   * `forwardFallbackAfter` resends (default 2), and for every forward to a leader that took
   * one this way but not by message. Resolves once the leader has it committed.
   */
  readonly forwardFallback?: (leader: NodeId, proposal: ForwardedProposal) => Promise<FallbackReceipt>
  readonly forwardFallbackAfter?: number
  /**
   * How long a commit-index update nobody waits for may be held (Ready.lazyMessages): an
   * append to the same follower in the meantime carries it instead. 0 sends them at once.
   * Default 2 ms.
   */
  readonly lazyCommitMs?: number
}

export interface ProposeResult {
  readonly index: number
  /** What StateMachine.apply returned for the entry. */
  readonly result: unknown
  /** Set when the proposal id was already applied at that index: nothing was applied again. */
  readonly duplicateOf?: number
}

export interface RaftNodeEvents {
  'leader:change': [leader: NodeId | null, term: number]
  'role:change': [role: Role]
  'conf:change': [change: ConfChange, index: number]
  'error': [error: Error]
}

interface PendingProposal {
  readonly term: number
  /** performance.now() after which the proposal fails with RaftTimeoutError (checked every tick). */
  readonly deadline: number
  readonly resolve: (r: ProposeResult) => void
  readonly reject: (e: Error) => void
}

/** A caller's AbortSignal, polled every tick (see watch). */
interface Watched {
  readonly signal: AbortSignal
  /** Still waiting (not settled): otherwise the watch is dropped. */
  readonly pending: () => boolean
  /** Stop waiting; false if it had settled meanwhile. */
  readonly cancel: () => boolean
  readonly reject: (e: Error) => void
}

interface PendingRead {
  readonly deadline: number
  readonly resolve: (index: number) => void
  readonly reject: (e: Error) => void
  index: number
}

export class RaftNode extends EventEmitter<RaftNodeEvents> {
  readonly id: NodeId
  private core!: RaftCore
  private readonly opts: RaftNodeOptions
  private timer: NodeJS.Timeout | null = null
  private running = false
  private stopped = false
  private loopRunning = false
  private loopAgain = false
  private readonly proposals = new Map<number, PendingProposal>()
  private readonly reads = new Map<string, PendingRead>()
  private readonly waitingApply: PendingRead[] = []
  private readonly watched = new Set<Watched>()
  private readonly forwards: Forwarder
  private readonly heldCommits: HeldCommits
  /** The leader and term the pending forwards were last sent under. */
  private forwardedTo: { leader: NodeId | null, term: number } = { leader: null, term: 0 }
  private readSeq = 0
  private readonly ids = new RecentIds()
  private lastSnapshotIndex = 0
  /** Size of the last snapshot taken or restored: the next one is packed into a buffer of about this size. */
  private lastSnapshotBytes = 0
  /** Data bytes of the entries applied since the last snapshot (see snapshotLogRatio). */
  private bytesSinceSnapshot = 0
  private leader: NodeId | null = null
  private role: Role = 'follower'
  private idle: Promise<void> = Promise.resolve()
  private durableHard: HardState = { term: 0, vote: null, commit: 0 }

  constructor (opts: RaftNodeOptions) {
    super()
    this.id = opts.id
    this.opts = opts
    const fallback = opts.forwardFallback
    this.forwards = new Forwarder({
      send: (entries) => { this.sendForwards(entries) },
      fallback: fallback === undefined ? undefined : async (p) => await this.sendForwardOtherWay(p, fallback),
      fallbackAfter: opts.forwardFallbackAfter
    })
    this.heldCommits = new HeldCommits({ delayMs: opts.lazyCommitMs ?? 2, send: (messages) => { if (this.running) this.opts.transport.send(messages) } })
  }

  /** Load from the store, restore the state machine, and start ticking. */
  async start (): Promise<void> {
    if (this.running) return
    const state = await this.opts.store.load()
    const snapIndex = state.snapshot?.meta.index ?? 0
    const smApplied = this.opts.stateMachine.appliedIndex ?? -1
    let applied = snapIndex
    if (state.snapshot !== null) {
      // The dedupe ids as of the snapshot; the state machine only if its own state is older.
      await this.restoreEnvelope(state.snapshot, smApplied < snapIndex)
      this.lastSnapshotIndex = snapIndex
    }
    const lastIndex = state.entries.at(-1)?.index ?? snapIndex
    let hardState = state.hardState
    if (smApplied > snapIndex) {
      applied = Math.min(smApplied, lastIndex)
      // The commit index is written without fsync; what the state machine applied was committed.
      if (applied > hardState.commit) hardState = { ...hardState, commit: applied }
    }
    this.durableHard = hardState
    this.core = new RaftCore({
      id: this.id,
      random: this.opts.random ?? Math.random,
      ...pick(this.opts, ['electionTick', 'heartbeatTick', 'maxInflight', 'maxUncommittedEntries', 'snapshotChunkBytes', 'bootstrap']),
      applied,
      appliedId: (id) => this.ids.get(id) !== undefined
    }, { ...state, hardState })
    // The store holds the snapshot: chunks for followers are read from it, not kept in memory.
    if (state.snapshot !== null) this.core.releaseSnapshotData(snapIndex)
    // Ids of entries the state machine applied before the restart, past the snapshot.
    for (let i = snapIndex + 1; i <= this.core.applied; i++) {
      const e = this.core.log.entry(i)
      if (e === undefined) continue
      this.rememberId(e)
      this.bytesSinceSnapshot += e.data.length
    }
    this.running = true
    this.opts.transport.listen(this.id, (m) => { this.onMessage(m) })
    this.timer = setInterval(() => { this.onTick() }, this.opts.tickMs ?? 50)
    this.timer.unref?.()
    this.kick()
  }

  /** Stop ticking and receiving; pending proposals and reads fail with StoppedError. */
  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.running = false
    if (this.timer !== null) clearInterval(this.timer)
    this.heldCommits.clear()
    this.opts.transport.unlisten(this.id)
    await this.idle
    this.failAll(new StoppedError())
  }

  /**
   * Replicate `data` and apply it. Resolves after it is committed and applied here, with the
   * state machine's result. Fails fast with NotLeaderError (with a leader hint) on a follower.
   */
  async propose (data: Uint8Array, opts: { id?: string, signal?: AbortSignal } = {}): Promise<ProposeResult> {
    this.assertRunning()
    const at = this.core.propose(data, opts.id)
    return await this.track(at, opts.signal)
  }

  /**
   * Replicate `data` and apply it, from any node: proposed here when this node leads, else
   * forwarded to the leader (forwarding.ts). Resolves once this node applied it, with the
   * state machine's result here. The id is required: a forward is matched by it, and sent
   * again after a loss. Fails with NotLeaderError only while no leader is known.
   */
  async submit (data: Uint8Array, opts: { id: string, signal?: AbortSignal }): Promise<ProposeResult> {
    this.assertRunning()
    // Applied here already (a retry): the leader would drop a forward of it, and no entry would come.
    const seen = this.ids.get(opts.id)
    if (seen !== undefined) return { index: seen, result: undefined, duplicateOf: seen }
    if (this.core.role === 'leader') return await this.propose(data, opts)
    if (this.core.leader === null) throw new NotLeaderError(null)
    const { promise, resolve, reject } = withResolvers<ProposeResult>()
    const f: Forward = { data, id: opts.id, deadline: this.deadline(), resolve, reject }
    this.forwards.add(f, performance.now())
    this.watch(opts.signal, () => this.forwards.has(f), () => this.forwards.cancel(f), reject)
    return await promise
  }

  async proposeConfChange (change: ConfChange, opts: { id?: string, signal?: AbortSignal } = {}): Promise<ProposeResult> {
    this.assertRunning()
    const at = this.core.proposeConfChange(change, opts.id)
    return await this.track(at, opts.signal)
  }

  /**
   * Wait until this node's state machine is at least as new as the cluster's commit index at
   * the time of the call; a read of local state afterwards is linearizable. Works on followers
   * (they ask the leader). Resolves with the read index.
   */
  async readIndex (opts: { signal?: AbortSignal } = {}): Promise<number> {
    this.assertRunning()
    const ctx = `${this.id}/${++this.readSeq}`
    const { promise, resolve, reject } = withResolvers<number>()
    this.core.readIndex(ctx)
    const r: PendingRead = { deadline: this.deadline(), resolve, reject, index: -1 }
    this.reads.set(ctx, r)
    this.kick()
    this.watch(opts.signal, () => this.reads.get(ctx) === r || this.waitingApply.includes(r), () => {
      const i = this.waitingApply.indexOf(r)
      if (i >= 0) this.waitingApply.splice(i, 1)
      return this.reads.delete(ctx) || i >= 0
    }, reject)
    return await promise
  }

  transferLeadership (to: NodeId): void {
    this.assertRunning()
    this.core.transferLeadership(to)
    this.kick()
  }

  status (): RaftStatus {
    this.assertRunning()
    return this.core.status()
  }

  get isLeader (): boolean { return this.role === 'leader' }
  get leaderId (): NodeId | null { return this.leader }

  // ---- internals ---------------------------------------------------------------------------

  private assertRunning (): void {
    if (this.stopped) throw new StoppedError()
    if (!this.running) throw new StoppedError('The Raft node is not started: call start() first')
  }

  private async track (at: { index: number, term: number }, signal?: AbortSignal): Promise<ProposeResult> {
    const { promise, resolve, reject } = withResolvers<ProposeResult>()
    const p: PendingProposal = { term: at.term, deadline: this.deadline(), resolve, reject }
    this.proposals.set(at.index, p)
    this.kick()
    this.watch(signal, () => this.proposals.get(at.index) === p, () => {
      if (this.proposals.get(at.index) !== p) return false
      this.proposals.delete(at.index)
      return true
    }, reject)
    return await promise
  }

  /** A batch of forwards to the current leader; proposed here if that is us; kept for a resend while no leader is known. */
  private sendForwards (entries: ForwardedProposal[]): void {
    if (!this.running) return
    const { role, leader, term } = this.core
    if (role === 'leader') {
      // Refused (a transfer, a full queue): the resend timer tries again.
      this.core.proposeForwarded(entries)
      this.kick()
      return
    }
    if (leader === null) return
    this.opts.transport.send([{ type: 'propose', from: this.id, to: leader, term, entries }])
  }

  /** A forward by the fallback; null when there is no leader to send it to (or it is us: proposed here). */
  private async sendForwardOtherWay (p: ForwardedProposal, fallback: NonNullable<RaftNodeOptions['forwardFallback']>): Promise<FallbackReceipt | null> {
    const { role, leader } = this.core
    if (role === 'leader' || leader === null) {
      this.sendForwards([p])
      return null
    }
    return await fallback(leader, p)
  }

  private deadline (): number {
    return performance.now() + (this.opts.timeoutMs ?? 10_000)
  }

  /**
   * The default timeout is a deadline checked on every tick (no timer per request: at tens of
   * thousands of proposals per second, per-request AbortSignals cost more than Raft itself).
   * A caller's own signal is polled on the same tick, for the same reason (an 'abort' listener
   * per request cost more than the proposal): an abort takes effect within one tick.
   */
  private watch (signal: AbortSignal | undefined, pending: () => boolean, cancel: () => boolean, reject: (e: Error) => void): void {
    if (signal === undefined) return
    const w: Watched = { signal, pending, cancel, reject }
    if (signal.aborted) this.abortWatched(w)
    else this.watched.add(w)
  }

  private abortWatched (w: Watched): void {
    if (w.cancel()) w.reject(new RaftTimeoutError())
  }

  /** Fail proposals and reads whose deadline passed. Proposals are kept in index order, so the oldest come first. */
  private expire (): void {
    const now = performance.now()
    for (const w of this.watched) {
      if (w.signal.aborted) {
        this.watched.delete(w)
        this.abortWatched(w)
      } else if (!w.pending()) {
        this.watched.delete(w)
      }
    }
    for (const [index, p] of this.proposals) {
      if (p.deadline > now) break
      this.proposals.delete(index)
      p.reject(new RaftTimeoutError())
    }
    for (const [ctx, r] of this.reads) {
      if (r.deadline > now) continue
      this.reads.delete(ctx)
      r.reject(new RaftTimeoutError())
    }
    for (let i = this.waitingApply.length - 1; i >= 0; i--) {
      const r = this.waitingApply[i] as PendingRead
      if (r.deadline > now) continue
      this.waitingApply.splice(i, 1)
      r.reject(new RaftTimeoutError())
    }
    if (this.forwards.size > 0) this.forwards.tick(now, this.opts.forwardResendMs ?? 1_000, () => new RaftTimeoutError())
  }

  private onMessage (m: Message): void {
    if (!this.running) return
    try {
      this.core.step(m)
    } catch (err) {
      this.emit('error', err as Error)
    }
    this.kick()
  }

  private onTick (): void {
    if (!this.running) return
    this.expire()
    this.core.tick()
    this.kick()
  }

  /** Run the Ready loop soon, once, however many inputs arrived. */
  private kick (): void {
    if (this.loopRunning) {
      this.loopAgain = true
      return
    }
    this.loopRunning = true
    this.idle = new Promise<void>((resolve) => {
      setImmediate(() => {
        this.loop().catch((err: unknown) => { this.emit('error', err as Error) }).finally(() => {
          this.loopRunning = false
          resolve()
          if (this.loopAgain && this.running) {
            this.loopAgain = false
            this.kick()
          }
        })
      })
    })
  }

  private async loop (): Promise<void> {
    while (this.running && this.core.hasReady()) {
      this.loopAgain = false
      const rd = this.core.ready()
      if (this.forwards.size > 0) for (const e of rd.entries) if (e.id !== undefined) this.forwards.appended(e.id)
      this.heldCommits.hold(rd.lazyMessages)
      if (rd.earlyMessages.length > 0) {
        this.heldCommits.supersede(rd.earlyMessages)
        this.opts.transport.send(rd.earlyMessages)
      }
      if (rd.snapshot !== null || rd.entries.length > 0 || rd.hardState !== null) {
        // Only new entries, a snapshot, or a new term or vote must be on disk before the
        // messages go out; a commit index alone is re-learnt after a crash (etcd's MustSync).
        const hs = rd.hardState
        const sync = rd.snapshot !== null || rd.entries.length > 0 || (hs !== null && (hs.term !== this.durableHard.term || hs.vote !== this.durableHard.vote))
        const saving = this.opts.store.save({
          ...(rd.snapshot !== null ? { snapshot: rd.snapshot } : {}),
          ...(rd.entries.length > 0 ? { entries: rd.entries } : {}),
          ...(hs !== null ? { hardState: hs } : {})
        }, { sync })
        // Nothing below depends on a commit-index-only write: let it land in the background
        // (the store keeps writes in order).
        if (sync) await saving
        else saving.catch((err: unknown) => { this.emit('error', err as Error) })
        if (hs !== null) this.durableHard = hs
      }
      if (!this.running) return
      if (rd.messages.length > 0) {
        this.heldCommits.supersede(rd.messages)
        this.opts.transport.send(rd.messages)
      }
      this.readSnapshotChunks(rd)
      if (rd.snapshot !== null) {
        await this.restoreEnvelope(rd.snapshot)
        if (this.forwards.size > 0) this.forwards.settleApplied((id) => this.ids.get(id))
        this.lastSnapshotIndex = rd.snapshot.meta.index
        this.bytesSinceSnapshot = 0
        this.core.releaseSnapshotData(rd.snapshot.meta.index)
      }
      await this.applyEntries(rd)
      this.handleReadStates(rd)
      this.core.advance(rd)
      this.handleSoftState()
      this.releaseReads()
      await this.maybeSnapshot()
    }
  }

  /**
   * InstallSnapshot chunks come from the log store's copy of the snapshot (the core let go of
   * its bytes). Off the loop: a read that fails or finds a newer snapshot sends nothing, and
   * the core's resend timer asks again.
   */
  private readSnapshotChunks (rd: Ready): void {
    for (const read of rd.snapshotReads) {
      this.opts.store.readSnapshot(read.index, read.offset, read.length).then((chunk) => {
        if (!this.running) return
        this.core.sendSnapshotChunkData(read.to, read.index, read.offset, chunk)
        this.kick()
      }, (err: unknown) => {
        if (!(err instanceof SnapshotGoneError) && this.running) this.emit('error', new Error(`Reading snapshot ${read.index} for ${read.to} failed: ${(err as Error).message}`, { cause: err }))
      })
    }
  }

  private async applyEntries (rd: Ready): Promise<void> {
    if (rd.committedEntries.length === 0) return
    const toApply: Entry[] = []
    const outcome = new Map<number, { duplicateOf?: number }>()
    for (const e of rd.committedEntries) {
      this.bytesSinceSnapshot += e.data.length
      if (e.change !== undefined) {
        this.emit('conf:change', e.change, e.index)
        this.rememberId(e)
        continue
      }
      if (e.data.length === 0 && e.id === undefined) continue // a leader's no-op
      const seen = e.id !== undefined ? this.ids.get(e.id) : undefined
      if (seen !== undefined) {
        outcome.set(e.index, { duplicateOf: seen })
        continue
      }
      this.rememberId(e)
      toApply.push(e)
    }
    const results = toApply.length > 0 ? await this.opts.stateMachine.apply(toApply) : []
    const byIndex = new Map<number, unknown>()
    toApply.forEach((e, i) => byIndex.set(e.index, results[i]))
    for (const e of rd.committedEntries) {
      if (e.id !== undefined && this.forwards.size > 0) {
        const dup = outcome.get(e.index)?.duplicateOf
        this.forwards.resolve(e.id, { index: e.index, result: byIndex.get(e.index), ...(dup !== undefined ? { duplicateOf: dup } : {}) })
      }
      const p = this.proposals.get(e.index)
      if (p === undefined) continue
      this.proposals.delete(e.index)
      if (p.term !== e.term) {
        p.reject(new LeadershipLostError())
        continue
      }
      const dup = outcome.get(e.index)?.duplicateOf
      p.resolve({ index: e.index, result: byIndex.get(e.index), ...(dup !== undefined ? { duplicateOf: dup } : {}) })
    }
    this.evictIds(rd.committedEntries[rd.committedEntries.length - 1]?.index ?? 0)
  }

  private rememberId (e: Entry): void {
    if (e.id === undefined) return
    this.ids.add(e.id, e.index)
  }

  /** Deterministic eviction by log index, so every node remembers the same ids. */
  private evictIds (appliedIndex: number): void {
    this.ids.evictThrough(appliedIndex - (this.opts.dedupeWindow ?? 100_000))
  }

  private handleReadStates (rd: Ready): void {
    for (const rs of rd.readStates) {
      const r = this.reads.get(rs.ctx)
      if (r === undefined) continue
      this.reads.delete(rs.ctx)
      if (rs.index < 0) {
        r.reject(new NotLeaderError(this.core.leader, 'The leader changed while serving the read: retry'))
        continue
      }
      r.index = rs.index
      this.waitingApply.push(r)
    }
  }

  private releaseReads (): void {
    if (this.waitingApply.length === 0) return
    const applied = this.core.applied
    for (let i = this.waitingApply.length - 1; i >= 0; i--) {
      const r = this.waitingApply[i] as PendingRead
      if (r.index <= applied) {
        this.waitingApply.splice(i, 1)
        r.resolve(r.index)
      }
    }
  }

  private handleSoftState (): void {
    const { leader, role, term } = this.core
    if (role !== this.role) {
      const wasLeader = this.role === 'leader'
      this.role = role
      this.emit('role:change', role)
      if (wasLeader) {
        // Proposals in flight may still commit under the next leader; callers retry with the same id.
        for (const p of this.proposals.values()) p.reject(new LeadershipLostError())
        this.proposals.clear()
      }
    }
    if (leader !== this.leader) {
      this.leader = leader
      this.emit('leader:change', leader, term)
    }
    if (leader !== null && (leader !== this.forwardedTo.leader || term !== this.forwardedTo.term)) {
      this.forwardedTo = { leader, term }
      // What the old leader (or term) had not committed may be lost; copies of what it had are skipped by id.
      if (this.forwards.size > 0) this.forwards.resendAll(performance.now())
      if (this.reads.size > 0) this.askReadsAgain()
    }
  }

  /**
   * Ask the current leader again for every read index not answered yet: the old leader (or
   * term) may never answer (killed, or it stepped down with the request), and a follower does
   * not resend by itself, so the read would wait for its deadline. An answer from either
   * leader is a valid read point (each confirmed its leadership after the request); the
   * first settles the read, a later one finds nothing waiting.
   */
  private askReadsAgain (): void {
    for (const [ctx, r] of [...this.reads]) {
      try {
        this.core.readIndex(ctx)
      } catch (err) {
        this.reads.delete(ctx)
        r.reject(err as Error)
      }
    }
    this.kick()
  }

  private async maybeSnapshot (): Promise<void> {
    const every = this.opts.snapshotEvery ?? 10_000
    const applied = this.core.applied
    if (applied - this.lastSnapshotIndex < every) return
    const logBytes = Math.min((this.opts.snapshotLogRatio ?? 0.5) * this.lastSnapshotBytes, this.opts.snapshotLogBytes ?? Infinity)
    if (this.bytesSinceSnapshot < logBytes) return
    const ids = this.ids.encode()
    // The store packs its state (with msgpackr) into one buffer of about the last snapshot's
    // size instead of growing one step by step (snapshot-envelope.ts).
    reservePackBuffer(this.lastSnapshotBytes * 1.25 + 65_536)
    const sm = await this.opts.stateMachine.snapshot()
    const data = packEnvelope({ sm, ids })
    this.lastSnapshotBytes = data.length
    const retain = this.opts.snapshotRetain ?? 1_000
    const through = Math.max(this.lastSnapshotIndex, applied - retain)
    // The core may have applied more meanwhile only through advance(), which runs in this loop.
    const snap = this.core.compact(data, through)
    if (snap === null) return
    this.lastSnapshotIndex = snap.meta.index
    this.bytesSinceSnapshot = 0
    await this.opts.store.compact(snap, Math.min(through, snap.meta.index))
    // Durable now: the core reads chunks for followers from the store instead of holding them.
    this.core.releaseSnapshotData(snap.meta.index)
  }

  private async restoreEnvelope (snap: Snapshot, restoreStateMachine = true): Promise<void> {
    if (snap.data.length === 0) return
    const env = unpackEnvelope(snap.data)
    this.lastSnapshotBytes = snap.data.length
    if (restoreStateMachine) await this.opts.stateMachine.restore(new Uint8Array(env.sm))
    this.ids.restore(env.ids)
  }

  private failAll (err: Error): void {
    for (const p of this.proposals.values()) p.reject(err)
    this.proposals.clear()
    for (const r of this.reads.values()) r.reject(err)
    this.reads.clear()
    for (const r of this.waitingApply) r.reject(err)
    this.waitingApply.length = 0
    this.forwards.failAll(err)
    this.watched.clear()
  }
}

function withResolvers<T> (): { promise: Promise<T>, resolve: (v: T) => void, reject: (e: Error) => void } {
  let resolve!: (v: T) => void
  let reject!: (e: Error) => void
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

function pick<T extends object, K extends keyof T> (obj: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {}
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k]
  return out
}
