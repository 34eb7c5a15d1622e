// Message handling of a follower, and the receiver side of AppendEntries, heartbeats and
// InstallSnapshot that candidates also use once they learn of a leader.

import type { RaftCore } from './core.ts'
import { Membership } from './membership.ts'
import type { AppendRequest, Heartbeat, Message, SnapshotChunk } from './types.ts'

export function stepFollower (r: RaftCore, m: Message): void {
  switch (m.type) {
    case 'append':
      r.electionElapsed = 0
      r.leader = m.from
      handleAppend(r, m)
      break
    case 'heartbeat':
      r.electionElapsed = 0
      r.leader = m.from
      handleHeartbeat(r, m)
      break
    case 'snapshot':
      r.electionElapsed = 0
      r.leader = m.from
      handleSnapshotChunk(r, m)
      break
    case 'timeout-now':
      // Leadership transfer: campaign at once, skipping pre-vote and the leader lease.
      r.campaign(true)
      break
    case 'durable':
      r.leaderDurable = Math.max(r.leaderDurable, m.index)
      r.commitHeldByBoth()
      break
    case 'read-index-resp':
      r.readStates.push({ ctx: m.ctx, index: m.index })
      break
    case 'read-index':
      // Sent to us as if we led; we do not (any more). The requester retries.
      r.send({ type: 'read-index-resp', from: r.id, to: m.from, term: r.term, ctx: m.ctx, index: -1 })
      break
    default:
      break
  }
}

/** AppendEntries receiver (Figure 2), answering rejections with a conflict hint (§5.3). */
export function handleAppend (r: RaftCore, m: AppendRequest): void {
  const log = r.log
  if (m.durable !== undefined) r.leaderDurable = Math.max(r.leaderDurable, m.durable)
  // The leader sent a commit-index update at the match it knows: an answer would repeat that
  // match (or, below our commit index, which we may have reached by ourselves, tell it less).
  const quiet = m.commitOnly === true && m.entries.length === 0
  if (m.prevLogIndex < log.commit) {
    // Everything up to our commit index matches the leader's log already.
    if (!quiet) r.send({ type: 'append-resp', from: r.id, to: m.from, term: r.term, success: true, index: log.commit, hintIndex: 0, hintTerm: 0, selfCommits: true })
    return
  }
  const lastNew = log.maybeAppend(m.prevLogIndex, m.prevLogTerm, m.entries)
  if (lastNew !== null) {
    r.leaderMatch = Math.max(r.leaderMatch, lastNew)
    log.commitTo(Math.min(m.commit, lastNew))
    r.commitHeldByBoth()
    if (quiet) return
    r.send({ type: 'append-resp', from: r.id, to: m.from, term: r.term, success: true, index: lastNew, hintIndex: 0, hintTerm: 0, selfCommits: true })
    return
  }
  // Point the leader at the last entry that could match: at or below prevLogIndex, with a
  // term no greater than prevLogTerm. One round trip skips a whole divergent term.
  const hintIndex = log.findConflictByTerm(Math.min(m.prevLogIndex, log.lastIndex()), m.prevLogTerm)
  const hintTerm = log.term(hintIndex) ?? 0
  r.send({ type: 'append-resp', from: r.id, to: m.from, term: r.term, success: false, index: m.prevLogIndex, hintIndex, hintTerm })
}

export function handleHeartbeat (r: RaftCore, m: Heartbeat): void {
  // The leader sends min(our matchIndex, its commit), so this never exceeds our log.
  if (m.commit <= r.log.lastIndex()) r.log.commitTo(m.commit)
  r.send({ type: 'heartbeat-resp', from: r.id, to: m.from, term: r.term, ...(m.ctx !== undefined ? { ctx: m.ctx } : {}) })
}

/** InstallSnapshot receiver (§7), chunk by chunk; each chunk must continue where the last ended. */
export function handleSnapshotChunk (r: RaftCore, m: SnapshotChunk): void {
  const { meta } = m
  const reply = (offset: number): void => {
    r.send({ type: 'snapshot-resp', from: r.id, to: m.from, term: r.term, snapshotIndex: meta.index, offset, answers: m.offset })
  }
  if (meta.index <= r.log.commit) {
    // Already have it all: tell the leader where we are.
    r.incomingSnapshot = null
    r.send({ type: 'append-resp', from: r.id, to: m.from, term: r.term, success: true, index: r.log.commit, hintIndex: 0, hintTerm: 0 })
    return
  }
  if (m.offset === 0) {
    if (r.log.matchTerm(meta.index, meta.term)) {
      // Our log holds the snapshot's last entry: it matches up to there, no transfer needed.
      r.incomingSnapshot = null
      r.log.commitTo(meta.index)
      r.send({ type: 'append-resp', from: r.id, to: m.from, term: r.term, success: true, index: meta.index, hintIndex: 0, hintTerm: 0 })
      return
    }
    const inc = r.incomingSnapshot
    if (inc !== null && sameTransfer(inc, m) && inc.received > 0) {
      // A duplicate first chunk of the transfer in progress: continue it.
      reply(inc.received)
      return
    }
    r.incomingSnapshot = { meta, from: m.from, term: m.term, parts: [], received: 0 }
  }
  const inc = r.incomingSnapshot
  // Chunks only ever continue a transfer from the same leader in the same term: another
  // replica's snapshot of the same index may be encoded differently, and splicing two
  // would corrupt the state machine.
  if (inc === null || !sameTransfer(inc, m)) {
    reply(-1)
    return
  }
  if (m.offset !== inc.received) {
    reply(inc.received)
    return
  }
  inc.parts.push(m.chunk)
  inc.received += m.chunk.length
  if (!m.done) {
    reply(inc.received)
    return
  }
  const data = new Uint8Array(inc.received)
  let at = 0
  for (const part of inc.parts) {
    data.set(part, at)
    at += part.length
  }
  r.incomingSnapshot = null
  const snap = { meta, data }
  r.log.restore(meta.index, meta.term)
  r.membership = new Membership(meta.conf)
  r.snapshot = { meta, size: data.length, data }
  r.pendingSnapshot = snap
  // Sent after the snapshot is persisted (it travels in the Ready with it).
  r.send({ type: 'append-resp', from: r.id, to: m.from, term: r.term, success: true, index: meta.index, hintIndex: 0, hintTerm: 0 })
}

function sameTransfer (inc: { meta: SnapshotChunk['meta'], from: string, term: number }, m: SnapshotChunk): boolean {
  return inc.meta.index === m.meta.index && inc.meta.term === m.meta.term && inc.from === m.from && inc.term === m.term
}
