// The deterministic cluster simulator. One seed fixes everything (test/sim/config.ts); time
// is a step counter; the only randomness is the seeded Rng. A run has two phases:
//   chaos    — crashes and restarts, partitions, a lossy, duplicating, reordering network,
//              slow disks, client proposals (some retried with the same id), reads,
//              membership changes and leadership transfers;
//   liveness — partitions healed, no message lost, every node up, delays within Raft's
//              timing requirement (duplicates and reordering go on): a new proposal must
//              be applied on every member within 20 × electionTick ticks (plus one round
//              trip per snapshot chunk), and every read given a read index must be served.
// The Checker runs after every step; the first violation ends the run with the trace.

import type { Message, NodeId, ReadState } from '../../raft/types.ts'
import { FINAL, clientActions, faultActions, livenessClient, type Counters } from './actions.ts'
import { Checker, Violation, type NodeView } from './checker.ts'
import { configFor, type ConfigOverrides, type SimConfig } from './config.ts'
import { Network } from './network.ts'
import { SimNode, type NodeEnv } from './node.ts'
import { Rng } from './rng.ts'
import { Trace } from './trace.ts'

export { Violation } from './checker.ts'

export interface SimResult {
  readonly seed: number
  readonly config: SimConfig
  readonly ok: boolean
  /** What broke, or null. */
  readonly violation: string | null
  /** The last events before the end, oldest first. */
  readonly trace: string[]
  /** Steps run (chaos and liveness). */
  readonly steps: number
  readonly counters: Counters & { readonly committed: number, readonly maxTerm: number }
}

/** More messages in flight than this means a feedback loop, not load. */
const MAX_IN_FLIGHT = 5_000

interface ReadRequest {
  readonly node: NodeId
  readonly incarnation: number
  /** Highest index applied anywhere when the read was issued. */
  readonly threshold: number
}

interface ReadWait {
  readonly node: NodeId
  readonly incarnation: number
  readonly ctx: string
  readonly index: number
}

export class Simulator {
  readonly config: SimConfig
  readonly rng: Rng
  readonly network: Network
  readonly checker = new Checker()
  readonly trace: Trace
  readonly nodes = new Map<NodeId, SimNode>()
  readonly reads = new Map<string, ReadRequest>()
  readWaits: ReadWait[] = []
  readonly counters: Counters = { proposals: 0, reads: 0, readsServed: 0, crashes: 0, partitions: 0, confChanges: 0, transfers: 0, snapshotsTaken: 0, snapshotsInstalled: 0, forwarded: 0, selfCommits: 0, maxInFlight: 0 }
  now = 0
  phase: 'chaos' | 'liveness' = 'chaos'
  partitionUntil = 0
  /** Longest disk write, in steps. */
  diskDelay: number
  /** Liveness phase: where FINAL was last proposed. */
  finalAttempt: { node: NodeId, term: number } | null = null
  private readonly env: NodeEnv
  /** Nodes that were members of the committed configuration. */
  private readonly everMember = new Set<NodeId>()

  constructor (config: SimConfig, traceSize = 200) {
    this.config = config
    this.rng = new Rng(config.seed)
    this.diskDelay = config.disk.maxDelay
    this.network = new Network(this.rng, config.net)
    this.trace = new Trace(traceSize)
    this.env = {
      config,
      rng: this.rng,
      checker: this.checker,
      now: () => this.now,
      send: (m) => { this.send(m) },
      trace: (text) => { this.trace.add(this.now, text) },
      diskDelay: () => this.diskDelay,
      readState: (node, rs) => { this.onReadState(node, rs) },
      count: (what) => { this.counters[what]++ }
    }
    this.checker.onConfCommitted = (e) => {
      const m = this.checker.membership
      this.trace.add(this.now, `committed ${e.change?.type ?? '?'} ${e.change?.node ?? '?'} at ${e.index}: voters ${[...m.voters].sort().join(' ')}; learners ${[...m.learners].sort().join(' ') || '-'}`)
    }
    const ids = Array.from({ length: config.nodes }, (_, i) => `n${i + 1}`)
    for (const id of ids) this.addNode(id, ids).start()
  }

  addNode (id: NodeId, bootstrap?: readonly NodeId[]): SimNode {
    const node = new SimNode(id, this.env, bootstrap)
    this.nodes.set(id, node)
    return node
  }

  upNodes (): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.up)
  }

  /** The running leader with the highest term, if any. */
  leader (): SimNode | null {
    let best: SimNode | null = null
    for (const n of this.nodes.values()) {
      if (n.up && n.core.role === 'leader' && (best === null || n.core.term > best.core.term)) best = n
    }
    return best
  }

  run (): SimResult {
    let violation: string | null = null
    try {
      while (this.now < this.config.steps) this.step()
      this.heal()
      const ticks = 20 * this.config.raft.electionTick
      // InstallSnapshot is stop-and-wait: allow one round trip per chunk on top.
      const chunks = Math.ceil((this.largestSnapshot() + 64) / this.config.raft.snapshotChunkBytes)
      const deadline = this.now + ticks * this.config.tickSteps.max + chunks * (2 * this.network.faults.maxDelay + 1)
      while (!this.settled()) {
        if (this.now >= deadline) {
          throw new Violation(`Liveness: ${ticks} ticks (plus ${chunks} snapshot chunk round trips) after healing every fault, ${this.unsettled()}`)
        }
        this.step()
      }
    } catch (err) {
      violation = err instanceof Violation ? err.message : `Unexpected exception: ${err instanceof Error ? err.stack ?? err.message : String(err)}`
    }
    let maxTerm = 0
    for (const n of this.nodes.values()) if (n.up) maxTerm = Math.max(maxTerm, n.core.term)
    return {
      seed: this.config.seed,
      config: this.config,
      ok: violation === null,
      violation,
      trace: this.trace.lines(),
      steps: this.now,
      counters: { ...this.counters, committed: this.checker.committedIndex, maxTerm }
    }
  }

  step (): void {
    this.now++
    if (this.phase === 'chaos') {
      faultActions(this)
      clientActions(this)
    } else {
      livenessClient(this)
    }
    const ticked: NodeId[] = []
    for (const n of this.nodes.values()) if (n.maybeTick(this.now)) ticked.push(n.id)
    if (ticked.length > 0) this.trace.add(this.now, `tick ${ticked.join(' ')}`)
    for (const m of this.network.take(this.now)) this.deliver(m)
    for (const n of this.rng.shuffle(this.upNodes())) n.completeWrites(this.now)
    for (const n of this.nodes.values()) if (n.up) n.pump()
    if (this.network.size > this.counters.maxInFlight) this.counters.maxInFlight = this.network.size
    if (this.network.size > MAX_IN_FLIGHT) {
      throw new Violation(`Message storm: ${this.network.size} messages in flight (a few hundred is normal): something answers every message with more than one`)
    }
    this.check()
  }

  /**
   * End of chaos: heal partitions, stop dropping messages, restart every node, and shut
   * down removed nodes that never learned of their removal (an operator's clean-up; a
   * removed leader still finishing its own removal is left to shut itself down). Raft promises progress only when broadcastTime ≪ electionTimeout (§5.6),
   * so message and disk delays are cut to an eighth of the shortest election timeout
   * (stragglers to half of it). Duplicates and reordering go on: they must not stall Raft.
   */
  heal (): void {
    this.phase = 'liveness'
    this.network.heal()
    const budget = Math.max(1, Math.floor(this.config.raft.electionTick * this.config.tickSteps.min / 8))
    const net = this.network.faults
    Object.assign(net, { dropRate: 0, maxDelay: Math.min(net.maxDelay, budget), longDelay: Math.min(net.longDelay, 4 * budget) })
    this.diskDelay = Math.min(this.diskDelay, budget)
    const m = this.checker.membership
    for (const n of this.nodes.values()) {
      const removed = this.everMember.has(n.id) && !m.isMember(n.id)
      if (removed && !(n.up && n.core.role === 'leader')) this.retire(n.id)
    }
    for (const n of this.nodes.values()) if (n.status === 'down') n.start()
    this.trace.add(this.now, `heal: partitions healed, no more losses, all nodes up (${[...this.nodes.values()].filter((n) => n.up).map((n) => n.id).join(' ')}), voters ${[...this.checker.membership.voters].join(' ')}`)
  }

  private largestSnapshot (): number {
    let bytes = 0
    for (const n of this.nodes.values()) {
      const size = n.up ? n.core.snapshot?.size : n.disk.snapshot?.data.length
      bytes = Math.max(bytes, size ?? 0)
    }
    return bytes
  }

  /** Liveness phase done: every member applied the final proposal and every read was served. */
  settled (): boolean {
    return this.phase === 'liveness' && this.unsettled() === ''
  }

  private unsettled (): string {
    const m = this.checker.membership
    const lagging = m.members().filter((id) => {
      const n = this.nodes.get(id)
      return n === undefined || !n.up || !n.sm.has(FINAL)
    })
    if (lagging.length > 0) {
      const what = lagging.map((id) => `${id} (${m.isVoter(id) ? 'voter' : 'learner'}${this.describe(id)})`).join(', ')
      return `the final proposal has not been applied on ${what}`
    }
    const reads = this.readWaits.filter((w) => m.isMember(w.node))
    if (reads.length > 0) return `reads still wait on ${reads.map((w) => `${w.node}:${w.ctx}@${w.index}`).join(', ')}`
    return ''
  }

  private describe (id: NodeId): string {
    const n = this.nodes.get(id)
    if (n === undefined || !n.up) return ', not running'
    const s = n.core.status()
    return `, ${s.role} t${s.term} leader=${s.leader ?? '-'} commit=${s.commit} applied=${s.applied} last=${s.lastIndex}`
  }

  private send (m: Message): void {
    const out = this.network.send(m, this.now)
    if (out.kind === 'dropped') this.trace.add(this.now, 'lost', m)
    else if (out.dup) this.trace.add(this.now, 'duplicated', m)
  }

  private deliver (m: Message): void {
    const to = this.nodes.get(m.to)
    if (to === undefined || !to.up) {
      this.trace.add(this.now, `drop (${m.to} down)`, m)
    } else if (!this.network.linked(m.from, m.to)) {
      this.trace.add(this.now, 'drop (partition)', m)
    } else {
      this.trace.add(this.now, 'deliver', m)
      to.deliver(m)
    }
  }

  /** A ReadState reached the client on `node`: check it, then wait for `node` to apply it. */
  onReadState (node: SimNode, rs: ReadState): void {
    const req = this.reads.get(rs.ctx)
    if (req === undefined || req.node !== node.id || req.incarnation !== node.incarnation) return
    this.reads.delete(rs.ctx)
    if (rs.index < 0) {
      this.trace.add(this.now, `read ${rs.ctx} on ${node.id}: retry (-1)`)
      return
    }
    let commitNow = 0
    for (const n of this.nodes.values()) if (n.up) commitNow = Math.max(commitNow, n.core.log.commit)
    this.checker.onReadState(node.id, rs.ctx, rs.index, req.threshold, commitNow)
    this.trace.add(this.now, `read ${rs.ctx} on ${node.id}: index ${rs.index} (issued after ${req.threshold} was acknowledged)`)
    this.readWaits.push({ node: node.id, incarnation: node.incarnation, ctx: rs.ctx, index: rs.index })
  }

  private check (): void {
    const views: NodeView[] = []
    for (const n of this.nodes.values()) if (n.up) views.push({ id: n.id, incarnation: n.incarnation, core: n.core, sm: n.sm })
    for (const id of this.checker.checkNodes(views)) {
      this.trace.add(this.now, `${id} became leader of term ${this.nodes.get(id)?.core.term ?? '?'}`)
    }
    if (this.readWaits.length > 0) {
      this.readWaits = this.readWaits.filter((w) => {
        const n = this.nodes.get(w.node)
        if (n === undefined || !n.up || n.incarnation !== w.incarnation) return false
        if (n.sm.appliedIndex < w.index) return true
        this.counters.readsServed++
        return false
      })
    }
    const m = this.checker.membership
    for (const n of this.nodes.values()) {
      if (m.isMember(n.id)) this.everMember.add(n.id)
      else if (n.removedSelf && n.status !== 'gone') this.retire(n.id)
    }
  }

  /** Shut down a node removed from the cluster, for good. */
  private retire (id: NodeId): void {
    const n = this.nodes.get(id)
    if (n === undefined || n.status === 'gone' || this.checker.membership.isMember(id)) return
    n.decommission()
    this.trace.add(this.now, `${id} removed from the cluster: shut down${n.removedSelf ? ' (it applied its removal)' : ''}`)
  }
}

export function runSeed (seed: number, overrides: ConfigOverrides = {}, traceSize = 200): SimResult {
  return new Simulator(configFor(seed, overrides), traceSize).run()
}
