// Linearizable reads without writing to the log: ReadIndex (dissertation §6.4).
//
// The leader records its commit index for each request, then proves it is still the leader
// by a heartbeat round acknowledged by a majority; requests are answered in order. A leader
// that has not yet committed an entry of its own term does not know the full commit index,
// so requests wait until it has. Requests from followers are answered with read-index-resp.
// A follower may commit, and acknowledge, entries the leader has not yet seen committed
// (LeaderDurable): a read's index is then the highest durable index the leader has told any
// follower, and its answer waits until the leader has committed that far.

import { hasQuorum } from './quorum.ts'
import type { RaftCore } from './core.ts'
import type { NodeId } from './types.ts'

interface PendingRead {
  readonly ctx: string
  readonly requester: NodeId
  index: number
  /** The heartbeat round this request rides on. */
  round: string
}

export class ReadOnly {
  /** Requests waiting for the leader's first commit in its term. */
  private waitingForCommit: Array<{ ctx: string, requester: NodeId }> = []
  /** Requests waiting for a quorum of heartbeat acknowledgements, in arrival order. */
  private pending: PendingRead[] = []
  /** Requests confirmed by a quorum, waiting for the commit index to reach theirs. */
  private confirmed: PendingRead[] = []
  private readonly acks = new Map<string, Set<NodeId>>()
  private seq = 0

  request (r: RaftCore, ctx: string, requester: NodeId): void {
    if (r.leadTransferee !== null) {
      answer(r, ctx, requester, -1)
      return
    }
    if (r.log.term(r.log.commit) !== r.term) {
      this.waitingForCommit.push({ ctx, requester })
      return
    }
    // Everything a follower may have committed by itself is at or below r.durableSent.
    const index = Math.max(r.log.commit, r.durableSent)
    if (r.membership.voters.size === 1 && r.membership.isVoter(r.id)) {
      answer(r, ctx, requester, index)
      return
    }
    const round = `${r.term}.${++this.seq}`
    this.pending.push({ ctx, requester, index, round })
    this.acks.set(round, new Set([r.id]))
    r.broadcastHeartbeat(round)
  }

  /** A heartbeat response carrying `round` from `from`. */
  ack (r: RaftCore, round: string, from: NodeId): void {
    const acks = this.acks.get(round)
    if (acks === undefined) return
    acks.add(from)
    if (!hasQuorum(r.membership.voters, acks)) return
    // Leadership at this round is confirmed; so it is for every earlier request too.
    const upTo = this.pending.findIndex((p) => p.round === round)
    if (upTo < 0) return
    const done = this.pending.splice(0, upTo + 1)
    for (const p of done) {
      this.acks.delete(p.round)
      if (p.index <= r.log.commit) answer(r, p.ctx, p.requester, p.index)
      else this.confirmed.push(p)
    }
  }

  /** The leader committed: requests waiting for its first commit in this term can go. */
  onCommit (r: RaftCore): void {
    if (this.confirmed.length > 0) {
      const ready = this.confirmed.filter((p) => p.index <= r.log.commit)
      this.confirmed = this.confirmed.filter((p) => p.index > r.log.commit)
      for (const p of ready) answer(r, p.ctx, p.requester, p.index)
    }
    if (this.waitingForCommit.length === 0 || r.log.term(r.log.commit) !== r.term) return
    const waiting = this.waitingForCommit
    this.waitingForCommit = []
    for (const w of waiting) this.request(r, w.ctx, w.requester)
  }

  /** Leadership is lost: every request fails so the caller retries elsewhere. */
  failAll (r: RaftCore): void {
    for (const w of this.waitingForCommit) answer(r, w.ctx, w.requester, -1)
    for (const p of [...this.pending, ...this.confirmed]) answer(r, p.ctx, p.requester, -1)
    this.waitingForCommit = []
    this.pending = []
    this.confirmed = []
    this.acks.clear()
  }
}

function answer (r: RaftCore, ctx: string, requester: NodeId, index: number): void {
  if (requester === r.id) r.readStates.push({ ctx, index })
  else r.send({ type: 'read-index-resp', from: r.id, to: requester, term: r.term, ctx, index })
}
