// The simulated network: every message gets a random delay in steps (so messages reorder),
// may be dropped or duplicated, and is lost if its link is cut when it arrives. Links are
// cut by partitions (a random split, one isolated node, one broken pair) until healed.
// Messages are passed by reference: the core treats received messages as read-only.

import type { Message, NodeId } from '../../raft/types.ts'
import type { Rng } from './rng.ts'

export interface NetworkFaults {
  maxDelay: number
  dropRate: number
  dupRate: number
  longDelayRate: number
  longDelay: number
}

/** What happened to a message handed to send(). */
export type SendOutcome = { readonly kind: 'queued', readonly at: number, readonly dup: boolean } | { readonly kind: 'dropped' }

export class Network {
  readonly faults: NetworkFaults
  private readonly rng: Rng
  /** Messages by the step they arrive at. */
  private readonly inflight = new Map<number, Message[]>()
  /** Directed links that drop everything ("a>b"). */
  private readonly cut = new Set<string>()
  /** A description of the current partition, for the trace. */
  partition: string | null = null
  private count = 0

  constructor (rng: Rng, faults: NetworkFaults) {
    this.rng = rng
    this.faults = { ...faults }
  }

  send (m: Message, now: number): SendOutcome {
    if (this.rng.chance(this.faults.dropRate)) return { kind: 'dropped' }
    const at = now + this.delay()
    this.enqueue(at, m)
    const dup = this.rng.chance(this.faults.dupRate)
    if (dup) this.enqueue(now + this.delay(), m)
    return { kind: 'queued', at, dup }
  }

  /** Messages arriving at `now`, in random order. */
  take (now: number): Message[] {
    const due = this.inflight.get(now)
    if (due === undefined) return []
    this.inflight.delete(now)
    this.count -= due.length
    return this.rng.shuffle(due)
  }

  /** Messages in flight. */
  get size (): number {
    return this.count
  }

  linked (from: NodeId, to: NodeId): boolean {
    return !this.cut.has(`${from}>${to}`)
  }

  /** Cut every link between the two groups, both ways. */
  split (a: readonly NodeId[], b: readonly NodeId[]): void {
    for (const x of a) {
      for (const y of b) {
        this.cut.add(`${x}>${y}`)
        this.cut.add(`${y}>${x}`)
      }
    }
    this.partition = `${[...a].sort().join(' ')} | ${[...b].sort().join(' ')}`
  }

  /** Cut one direction of one link (an asymmetric fault). */
  cutOneWay (from: NodeId, to: NodeId): void {
    this.cut.add(`${from}>${to}`)
    this.partition = `${from} -/-> ${to}`
  }

  heal (): void {
    this.cut.clear()
    this.partition = null
  }

  private delay (): number {
    if (this.rng.chance(this.faults.longDelayRate)) return this.rng.int(1, this.faults.longDelay)
    return this.rng.int(1, this.faults.maxDelay)
  }

  private enqueue (at: number, m: Message): void {
    this.count++
    const list = this.inflight.get(at)
    if (list === undefined) this.inflight.set(at, [m])
    else list.push(m)
  }
}
