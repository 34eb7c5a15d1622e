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

import type { ForwardedProposal } from './types.ts'

export interface Forward {
  readonly data: Uint8Array
  readonly id: string
  /** performance.now() after which the forward fails with RaftTimeoutError. */
  readonly deadline: number
  /** performance.now() of the last send. */
  sentAt: number
  /** Seen in this node's log since the last send: the timer leaves it alone (a new term does not). */
  inLog?: boolean
  readonly resolve: (r: { index: number, result: unknown, duplicateOf?: number }) => void
  readonly reject: (e: Error) => void
}

export class Forwarder {
  /** Unapplied forwards by proposal id, oldest first (Map keeps insertion order). */
  private readonly pending = new Map<string, Forward>()
  private batch: Forward[] = []
  private scheduled = false

  /**
   * @param flush sends a batch to the current leader (or proposes it here if this node leads);
   * called once per turn of the event loop with everything queued meanwhile.
   */
  constructor (private readonly flush: (entries: ForwardedProposal[]) => void) {}

  get size (): number { return this.pending.size }

  has (f: Forward): boolean { return this.pending.get(f.id) === f }

  add (f: Forward): void {
    this.pending.set(f.id, f)
    this.queue(f)
  }

  /** The forward with this id, removed; undefined if it is not ours (or settled already). */
  take (id: string): Forward | undefined {
    const f = this.pending.get(id)
    if (f !== undefined) this.pending.delete(id)
    return f
  }

  /** Forget a forward (its caller gave up). Returns whether it was pending. */
  cancel (f: Forward): boolean {
    if (this.pending.get(f.id) !== f) return false
    this.pending.delete(f.id)
    return true
  }

  /** The entry carrying `id` reached this node's log. */
  appended (id: string): void {
    const f = this.pending.get(id)
    if (f !== undefined) f.inLog = true
  }

  /**
   * Resolve every forward whose id `appliedAt` knows: its entry reached this node only inside
   * a snapshot (the node had fallen behind), so it applied, but this node saw no result of it.
   * Resolved as a duplicate of that index, like a retry whose first copy applied.
   */
  settleApplied (appliedAt: (id: string) => number | undefined): void {
    for (const [id, f] of this.pending) {
      const index = appliedAt(id)
      if (index === undefined) continue
      this.pending.delete(id)
      f.resolve({ index, result: undefined, duplicateOf: index })
    }
  }

  /** Send again every forward (a new leader or term: what the old one had not committed may be lost). */
  resendAll (now: number): void {
    for (const f of this.pending.values()) {
      f.sentAt = now
      f.inLog = false
      this.queue(f)
    }
  }

  /** Fail forwards past their deadline; send again those unapplied for `resendMs`. */
  tick (now: number, resendMs: number, timeout: () => Error): void {
    for (const f of this.pending.values()) {
      if (f.deadline <= now) {
        this.pending.delete(f.id)
        f.reject(timeout())
      } else if (f.inLog !== true && now - f.sentAt >= resendMs) {
        f.sentAt = now
        this.queue(f)
      }
    }
  }

  failAll (err: Error): void {
    for (const f of this.pending.values()) f.reject(err)
    this.pending.clear()
    this.batch = []
  }

  private queue (f: Forward): void {
    this.batch.push(f)
    if (this.scheduled) return
    this.scheduled = true
    queueMicrotask(() => {
      this.scheduled = false
      const batch = this.batch
      this.batch = []
      const entries: ForwardedProposal[] = []
      for (const x of batch) if (this.pending.get(x.id) === x) entries.push({ data: x.data, id: x.id })
      if (entries.length > 0) this.flush(entries)
    })
  }
}
