// One simulated server: a RaftCore driven through the Ready contract of core.ts.
//   ready() → write to the SimDisk (completes after a random delay) and send earlyMessages
//   at once → when the write completes: send messages, restore the snapshot, apply
//   committedEntries, advance() → maybe take a snapshot (compact).
// Only one Ready is outstanding. A crash loses memory and every incomplete write; a restart
// loads the durable state, builds a new core with applied = the snapshot index and restores
// the state machine from that snapshot.

import { RaftCore, type RaftOptions, type Ready } from '../../raft/core.ts'
import type { Message, NodeId, ReadState } from '../../raft/types.ts'
import { seededRandom } from '../raft/harness.ts'
import { Violation, type Checker } from './checker.ts'
import type { SimConfig } from './config.ts'
import { SimDisk } from './disk.ts'
import type { Rng } from './rng.ts'
import { StateMachine, encodeState } from './state-machine.ts'

export type NodeStatus = 'up' | 'down' | 'gone'

/** What a node needs from the simulation around it. */
export interface NodeEnv {
  readonly config: SimConfig
  readonly rng: Rng
  readonly checker: Checker
  now (): number
  /** Longest disk write right now, in steps. */
  diskDelay (): number
  send (m: Message): void
  trace (text: string): void
  readState (node: SimNode, rs: ReadState): void
  count (what: 'snapshotsTaken' | 'snapshotsInstalled' | 'selfCommits'): void
}

export class SimNode {
  readonly id: NodeId
  readonly disk = new SimDisk()
  status: NodeStatus = 'down'
  incarnation = 0
  sm = new StateMachine()
  nextTick = 0
  /** Step at which a down node comes back (chaos phase only). */
  restartAt = Infinity
  /** It applied its own removal: a driver shuts down then (after sending that Ready's messages). */
  removedSelf = false
  private _core: RaftCore | null = null
  private outstanding: Ready | null = null
  private readonly env: NodeEnv
  private readonly bootstrap: readonly NodeId[] | undefined

  constructor (id: NodeId, env: NodeEnv, bootstrap?: readonly NodeId[]) {
    this.id = id
    this.env = env
    this.bootstrap = bootstrap
    this.disk.forgetVote = env.config.bug === 'forget-vote'
  }

  get core (): RaftCore {
    if (this._core === null) throw new Error(`${this.id} is not running`)
    return this._core
  }

  get up (): boolean {
    return this.status === 'up'
  }

  start (): void {
    const state = this.disk.load()
    this.env.checker.onLoad(this.id, state)
    const { config, rng } = this.env
    const opts: RaftOptions = {
      id: this.id,
      random: seededRandom(rng.fork()),
      applied: state.snapshot?.meta.index ?? 0,
      ...config.raft,
      ...(this.bootstrap !== undefined ? { bootstrap: this.bootstrap } : {})
    }
    this._core = new RaftCore(opts, state)
    this.sm = new StateMachine()
    if (state.snapshot !== null) {
      this.restore(state.snapshot.data, 'its own disk')
      this.env.checker.afterRestore(this.id, state.snapshot.meta, this.sm)
    }
    this.outstanding = null
    this.status = 'up'
    this.incarnation++
    this.nextTick = this.env.now() + rng.int(1, config.tickSteps.max)
  }

  /** Power loss. Returns how many incomplete writes were lost. */
  crash (): number {
    this._core = null
    this.outstanding = null
    this.status = 'down'
    return this.disk.crash()
  }

  /** Removed from the cluster and shut down for good. */
  decommission (): void {
    this.crash()
    this.status = 'gone'
  }

  /** Tick if this node's clock says so. Returns true if it ticked. */
  maybeTick (now: number): boolean {
    if (!this.up || now < this.nextTick) return false
    this.nextTick = now + this.env.rng.int(this.env.config.tickSteps.min, this.env.config.tickSteps.max)
    this.core.tick()
    this.pump()
    return true
  }

  deliver (m: Message): void {
    const before = this.core.log.commit
    this.core.step(m)
    // Beyond what the message says is committed: the follower's own decision (LeaderDurable).
    const told = m.type === 'append' || m.type === 'heartbeat' ? m.commit : before
    if (this.core.role !== 'leader' && this.core.log.commit > Math.max(before, told)) this.env.count('selfCommits')
    this.pump()
  }

  /** Complete the disk writes due now and carry on with the Ready pipeline. */
  completeWrites (now: number): void {
    for (const w of this.disk.complete(now)) {
      if (w.kind === 'ready') {
        if (w.rd.hardState !== null) this.env.checker.onDurable(this.id, this.disk.hardState, this.disk.lastIndex())
        this.finishReady(w.rd)
      }
    }
    this.pump()
  }

  /** Take Readies while there is work and none is outstanding. */
  pump (): void {
    while (this.up && this.outstanding === null && this.core.hasReady()) {
      const rd = this.core.ready()
      this.outstanding = rd
      // Lazy commit updates travel like any message here (a driver may hold them a moment).
      for (const m of [...rd.earlyMessages, ...rd.lazyMessages]) this.env.send(m)
      if (this.env.config.bug === 'ack-before-persist') for (const m of rd.messages) this.env.send(m)
      for (const rs of rd.readStates) this.env.readState(this, rs)
      if (rd.snapshot === null && rd.entries.length === 0 && rd.hardState === null) {
        // Nothing to persist: no write, no wait (a driver skips the fsync).
        this.finishReady(rd)
        continue
      }
      const w = this.disk.write({ kind: 'ready', rd, at: this.env.now() + this.env.rng.int(0, this.env.diskDelay()) })
      if (w.at > this.env.now()) return
      this.disk.complete(w.at)
      if (rd.hardState !== null) this.env.checker.onDurable(this.id, this.disk.hardState, this.disk.lastIndex())
      this.finishReady(rd)
    }
  }

  private finishReady (rd: Ready): void {
    if (this.outstanding !== rd || !this.up) return
    const { checker } = this.env
    if (this.env.config.bug !== 'ack-before-persist') for (const m of rd.messages) this.env.send(m)
    if (rd.snapshot !== null) {
      this.restore(rd.snapshot.data, `the leader's snapshot ${rd.snapshot.meta.index}/t${rd.snapshot.meta.term}`)
      checker.afterRestore(this.id, rd.snapshot.meta, this.sm)
      this.env.count('snapshotsInstalled')
      this.env.trace(`${this.id} restored snapshot ${rd.snapshot.meta.index}/t${rd.snapshot.meta.term}`)
    }
    for (const e of rd.committedEntries) {
      checker.beforeApply(this.id, e, this.sm.appliedIndex)
      this.sm.apply(e)
      checker.afterApply(this.id, this.sm)
      if (e.change?.type === 'remove' && e.change.node === this.id) this.removedSelf = true
    }
    const before = this.core.log.commit
    this.core.advance(rd)
    if (this.core.role !== 'leader' && this.core.log.commit > before) this.env.count('selfCommits')
    this.outstanding = null
    this.maybeCompact()
  }

  private restore (data: Uint8Array, from: string): void {
    try {
      this.sm.restore(data)
    } catch (err) {
      throw new Violation(`Snapshot: ${this.id} cannot restore ${from}: ${err instanceof Error ? err.message : String(err)}`)
    }
  }

  /** Snapshot the state machine once enough entries were applied past the last snapshot. */
  private maybeCompact (): void {
    const core = this.core
    const { every, retain } = this.env.config.snapshot
    // compact() snapshots at `applied`; it must not run while a received snapshot waits in
    // the core (its log was already replaced, so `applied` is behind the log's start).
    if (core.pendingSnapshot !== null || core.applied < core.log.snapshotIndex) return
    if (core.applied - core.log.snapshotIndex < every) return
    const origin = `${this.id}@${this.env.now()}`
    const data = this.env.config.bug === 'empty-snapshot' ? encodeState(core.applied, [], origin) : this.sm.encode(origin)
    const through = Math.max(core.log.snapshotIndex, core.applied - retain)
    const snap = core.compact(data, through)
    if (snap === null) return
    this.env.count('snapshotsTaken')
    this.env.trace(`${this.id} snapshot at ${snap.meta.index}/t${snap.meta.term} (${data.length} bytes), log kept from ${core.log.firstIndex}`)
    this.disk.write({ kind: 'compact', snapshot: snap, through: Math.min(through, core.log.stable), at: this.env.now() + this.env.rng.int(0, this.env.diskDelay()) })
    if (this.env.diskDelay() === 0) this.disk.complete(this.env.now())
  }
}
