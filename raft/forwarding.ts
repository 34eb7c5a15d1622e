// Proposals a follower forwards to its leader (etcd's MsgProp), tracked by proposal id. The
// leader answers nothing: the entry reaches this node's log like any other, and the proposal
// resolves when this node applies it, matched by its id. That costs one message on the Raft
// stream per batch of forwards instead of a request and a response per write, and the
// follower answers its client as soon as its own replica has the write.
//
// A propose message can be lost (a stream re-opened, a leader that stepped down, a full
// proposal queue), so a forward is sent again when the leader or the term changes, and when
// it has neither reached this node's log nor applied within `resendMs`: the dedupe of
// proposal ids makes a second copy a no-op.
//
// A leader running older code drops 'propose' messages it does not know. With a `fallback`
// (the agent's rpc forward-proposal), a forward still not in the log after `fallbackAfter`
// timer resends goes that way instead; once a fallback lands a proposal the propose messages
// never did (the leader did not have it yet), every forward to that leader takes the fallback
// until the leader or term changes, so a rolling upgrade costs one slow write per leadership,
// not a hung write each.
//
// Two callers may submit the same id while it is pending (a retry racing the first try): the
// second joins the first, and both settle with the entry that carries the id.

import type { ForwardedProposal } from './types.ts'

/** One caller waiting for a forwarded proposal. */
export interface Forward {
  readonly data: Uint8Array
  readonly id: string
  /** performance.now() after which this caller fails with RaftTimeoutError. */
  readonly deadline: number
  readonly resolve: (r: ForwardOutcome) => void
  readonly reject: (e: Error) => void
}

export interface ForwardOutcome {
  readonly index: number
  readonly result: unknown
  readonly duplicateOf?: number
}

/** Where a fallback delivered a proposal: the leader's index, and duplicateOf if the leader had it already. */
export interface FallbackReceipt {
  readonly index: number
  readonly duplicateOf?: number
}

export interface ForwarderOptions {
  /**
   * Sends a batch to the current leader (or proposes it here if this node leads); called once
   * per turn of the event loop with everything queued meanwhile.
   */
  readonly send: (entries: ForwardedProposal[]) => void
  /**
   * Delivers one proposal to the current leader another way; resolves once the leader took it
   * (null: it could not be sent, e.g. no leader), rejects when that failed. Default: none,
   * everything goes by `send`.
   */
  readonly fallback?: (p: ForwardedProposal) => Promise<FallbackReceipt | null>
  /** Timer resends by `send` after which a forward goes by `fallback`. Default 2. */
  readonly fallbackAfter?: number
}

/** One proposal id in flight, and everyone waiting for it. */
interface Slot {
  readonly id: string
  /** The first caller's data: the id is the dedupe key, so only one copy can ever apply. */
  readonly data: Uint8Array
  readonly waiters: Forward[]
  /** performance.now() of the last send. */
  sentAt: number
  /** Seen in this node's log (or taken by the leader through the fallback) since the last send: the timer leaves it alone (a new term does not). */
  inLog: boolean
  /** Timer resends since the last leader or term change. */
  resends: number
  /** A fallback delivery is under way: the timer does not start another. */
  inFallback: boolean
}

export class Forwarder {
  /** Unapplied proposals by id, oldest first (Map keeps insertion order). */
  private readonly pending = new Map<string, Slot>()
  private batch = new Set<Slot>()
  private scheduled = false
  /** The current leader took a fallback proposal that its propose messages never delivered. */
  private viaFallback = false
  /** Counts leader and term changes: a fallback answer from an older leadership says nothing about this one. */
  private epoch = 0
  private readonly fallbackAfter: number

  constructor (private readonly opts: ForwarderOptions) {
    this.fallbackAfter = opts.fallbackAfter ?? 2
  }

  /** Proposal ids pending. */
  get size (): number { return this.pending.size }

  /** Whether this caller still waits. */
  has (f: Forward): boolean { return this.pending.get(f.id)?.waiters.includes(f) === true }

  /** Forward `f` (sent at `now`); a caller with an id already pending joins it instead of sending again. */
  add (f: Forward, now: number): void {
    const joined = this.pending.get(f.id)
    if (joined !== undefined) {
      joined.waiters.push(f)
      return
    }
    const slot: Slot = { id: f.id, data: f.data, waiters: [f], sentAt: now, inLog: false, resends: 0, inFallback: false }
    this.pending.set(f.id, slot)
    this.queue(slot)
  }

  /** The entry carrying `id` applied here: settle everyone waiting for it. Returns whether anyone was. */
  resolve (id: string, outcome: ForwardOutcome): boolean {
    const slot = this.pending.get(id)
    if (slot === undefined) return false
    this.pending.delete(id)
    for (const f of slot.waiters) f.resolve(outcome)
    return true
  }

  /** Forget a caller (it gave up). Returns whether it was waiting. */
  cancel (f: Forward): boolean {
    const slot = this.pending.get(f.id)
    const i = slot?.waiters.indexOf(f) ?? -1
    if (slot === undefined || i < 0) return false
    slot.waiters.splice(i, 1)
    if (slot.waiters.length === 0) this.pending.delete(f.id)
    return true
  }

  /** The entry carrying `id` reached this node's log. */
  appended (id: string): void {
    const slot = this.pending.get(id)
    if (slot !== undefined) slot.inLog = true
  }

  /**
   * Resolve every forward whose id `appliedAt` knows: its entry reached this node only inside
   * a snapshot (the node had fallen behind), so it applied, but this node saw no result of it.
   * Resolved as a duplicate of that index, like a retry whose first copy applied.
   */
  settleApplied (appliedAt: (id: string) => number | undefined): void {
    for (const id of [...this.pending.keys()]) {
      const index = appliedAt(id)
      if (index !== undefined) this.resolve(id, { index, result: undefined, duplicateOf: index })
    }
  }

  /** Send again every forward (a new leader or term: what the old one had not committed may be lost). */
  resendAll (now: number): void {
    this.epoch++
    this.viaFallback = false
    for (const slot of this.pending.values()) {
      slot.sentAt = now
      slot.inLog = false
      slot.resends = 0
      this.queue(slot)
    }
  }

  /** Fail callers past their deadline; send again what is unapplied for `resendMs`. */
  tick (now: number, resendMs: number, timeout: () => Error): void {
    for (const slot of [...this.pending.values()]) {
      for (const f of slot.waiters.filter((w) => w.deadline <= now)) {
        this.cancel(f)
        f.reject(timeout())
      }
      if (this.pending.get(slot.id) !== slot) continue
      if (!slot.inLog && !slot.inFallback && now - slot.sentAt >= resendMs) {
        slot.sentAt = now
        slot.resends++
        this.queue(slot)
      }
    }
  }

  failAll (err: Error): void {
    for (const slot of this.pending.values()) for (const f of slot.waiters) f.reject(err)
    this.pending.clear()
    this.batch.clear()
  }

  private queue (slot: Slot): void {
    this.batch.add(slot)
    if (this.scheduled) return
    this.scheduled = true
    queueMicrotask(() => {
      this.scheduled = false
      const batch = this.batch
      this.batch = new Set()
      const entries: ForwardedProposal[] = []
      for (const s of batch) {
        if (this.pending.get(s.id) !== s) continue
        if (this.opts.fallback !== undefined && (this.viaFallback || s.resends >= this.fallbackAfter)) this.sendByFallback(s)
        else entries.push({ data: s.data, id: s.id })
      }
      if (entries.length > 0) this.opts.send(entries)
    })
  }

  private sendByFallback (slot: Slot): void {
    const fallback = this.opts.fallback
    if (fallback === undefined || slot.inFallback) return
    slot.inFallback = true
    const epoch = this.epoch
    fallback({ data: slot.data, id: slot.id }).then((receipt) => {
      slot.inFallback = false
      if (receipt === null || this.pending.get(slot.id) !== slot) return
      // The leader committed it (it answers after applying): it reaches this log in time.
      slot.inLog = true
      // It had not had it from the propose messages: this leader does not take them.
      if (receipt.duplicateOf === undefined && epoch === this.epoch) this.viaFallback = true
    }, () => {
      // Unreachable, or the leader refused (it stepped down): the timer tries again.
      slot.inFallback = false
    })
  }
}
