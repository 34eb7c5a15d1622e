// What the leader knows of one follower's log (Figure 2 "Volatile state on leaders": nextIndex,
// matchIndex), plus the flow-control state that decides what to send next:
//   probe     — one AppendEntries at a time, until the follower's log position is found;
//   replicate — optimistic pipelining, bounded by `inflights`;
//   snapshot  — the follower is behind the compacted log and receives InstallSnapshot chunks.
// Invariant: match < next.

import { Inflights } from './inflights.ts'

export type ProgressState = 'probe' | 'replicate' | 'snapshot'

export interface SnapshotTransfer {
  readonly index: number
  /** Offset of the one chunk in flight; only an answer to it moves the transfer on. */
  offset: number
  /** Tick count when the last chunk was sent, to resend after silence. */
  sentAt: number
}

export class Progress {
  match = 0
  next: number
  state: ProgressState = 'probe'
  /** In probe state: a probe is out and unanswered; wait for a response or a heartbeat response. */
  probeSent = false
  /** Heard from since the last check-quorum round (§6.2 of the dissertation). */
  recentActive = false
  snapshot: SnapshotTransfer | null = null
  /** The commit index last sent to this follower (or that it commits by itself, see LeaderDurable). */
  sentCommit = 0
  /** The leader's durable index last sent to this follower (AppendRequest.durable, LeaderDurable). */
  sentDurable = 0
  readonly inflights: Inflights

  constructor (next: number, maxInflight: number, public isLearner: boolean) {
    this.next = next
    this.inflights = new Inflights(maxInflight)
  }

  /** Can the leader send entries now? */
  paused (): boolean {
    switch (this.state) {
      case 'probe': return this.probeSent
      case 'replicate': return this.inflights.full()
      case 'snapshot': return true
    }
  }

  becomeProbe (): void {
    // After a snapshot, resume right after it; otherwise right after what is known to match.
    const after = this.state === 'snapshot' && this.snapshot !== null ? Math.max(this.match, this.snapshot.index) : this.match
    this.state = 'probe'
    this.snapshot = null
    this.probeSent = false
    this.next = after + 1
    this.inflights.reset()
  }

  becomeReplicate (): void {
    this.state = 'replicate'
    this.snapshot = null
    this.probeSent = false
    this.next = this.match + 1
    this.inflights.reset()
  }

  becomeSnapshot (index: number, now: number): void {
    this.state = 'snapshot'
    this.probeSent = false
    this.inflights.reset()
    this.snapshot = { index, offset: 0, sentAt: now }
  }

  /** A successful AppendEntries response up to `index`. Returns false if it was stale. */
  maybeUpdate (index: number): boolean {
    let updated = false
    if (index > this.match) {
      this.match = index
      updated = true
      this.probeSent = false
    }
    this.next = Math.max(this.next, index + 1)
    return updated
  }

  /** Entries up to `last` were just sent optimistically. */
  sentEntries (last: number, count: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = last + 1
        this.inflights.add(last)
      }
    } else if (this.state === 'probe') {
      this.probeSent = true
    }
  }

  /**
   * The follower rejected AppendEntries at `rejected`; `probeAt` is the leader's estimate of
   * the last index that can match (from the follower's conflict hint). Returns false if stale.
   */
  maybeDecrease (rejected: number, probeAt: number): boolean {
    if (this.state === 'replicate') {
      // Stale if the rejection is for something already matched.
      if (rejected <= this.match) return false
      this.becomeProbe()
      this.next = Math.max(this.match + 1, Math.min(rejected, probeAt + 1))
      return true
    }
    // In probe, only the rejection of the probe we sent (next - 1) counts.
    if (this.next - 1 !== rejected) return false
    this.next = Math.max(this.match + 1, Math.min(rejected, probeAt + 1))
    this.probeSent = false
    return true
  }
}
