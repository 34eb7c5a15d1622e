// Message handling of a leader: replication responses drive each follower's Progress,
// commit, snapshot transfer, read-index rounds, leadership transfer and forwarded proposals.

import type { RaftCore } from './core.ts'
import { noteSelfCommit } from './replication.ts'
import type { AppendResponse, ForwardedProposal, Message, NodeId } from './types.ts'

export function stepLeader (r: RaftCore, m: Message): void {
  switch (m.type) {
    case 'append-resp':
      onAppendResponse(r, m)
      break
    case 'heartbeat-resp': {
      const pr = r.progress.get(m.from)
      if (pr === undefined) return
      pr.recentActive = true
      pr.probeSent = false
      if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirst()
      if (pr.match < r.log.lastIndex()) r.sendAppend(m.from, true)
      if (m.ctx !== undefined) r.readOnly.ack(r, m.ctx, m.from)
      break
    }
    case 'snapshot-resp': {
      const pr = r.progress.get(m.from)
      if (pr === undefined) return
      pr.recentActive = true
      if (pr.state !== 'snapshot' || pr.snapshot === null || pr.snapshot.index !== m.snapshotIndex) return
      // One chunk in flight: only the answer to it moves the transfer on, to wherever the
      // follower says (backwards too, after it restarted: -1 starts over). Stale answers and
      // duplicates are ignored, so copies never multiply; silence is covered by the resend
      // timer in tickLeader.
      if (m.answers !== pr.snapshot.offset) return
      r.sendSnapshotChunk(m.from, pr, Math.max(0, m.offset))
      break
    }
    case 'read-index':
      r.readOnly.request(r, m.ctx, m.from)
      break
    case 'propose':
      proposeForwarded(r, m.entries, m.from)
      break
    default:
      break
  }
}

/**
 * Append forwarded proposals as our own. An id already in the log this term (appendedIds) or
 * applied (appliedId) is skipped: the follower sent it again before its copy reached it, and
 * learns the outcome from the first copy when that does. One refused (a transfer under way,
 * too many uncommitted entries) is dropped with the rest: the follower sends them again.
 */
export function proposeForwarded (r: RaftCore, entries: readonly ForwardedProposal[], from: NodeId): void {
  try {
    for (const e of entries) {
      if (r.appendedIds.has(e.id) || r.appliedId(e.id)) continue
      r.propose(e.data, e.id)
    }
  } catch {}
  // It waits for the commit of what it sent (or of the copy already here): at most the log's end.
  if (from !== r.id) r.forwardedThrough.set(from, r.log.lastIndex())
}

function onAppendResponse (r: RaftCore, m: AppendResponse): void {
  const pr = r.progress.get(m.from)
  if (pr === undefined) return
  pr.recentActive = true
  if (!m.success) {
    // Fast back-off: skip to the last index that can match, using the follower's hint.
    const probeAt = m.hintTerm > 0 ? r.log.findConflictByTerm(m.hintIndex, m.hintTerm) : m.hintIndex
    if (pr.state === 'snapshot') return
    if (pr.maybeDecrease(m.index, probeAt)) r.sendAppend(m.from, true)
    return
  }
  if (m.selfCommits === true) noteSelfCommit(r, pr, m.index)
  // A probe answered at the match we already knew (etcd does the same) still ends the probe:
  // the follower's log is found, so replication may go on without waiting for a heartbeat.
  if (pr.maybeUpdate(m.index) || (pr.state === 'probe' && m.index === pr.match)) {
    if (pr.state === 'probe') pr.becomeReplicate()
    else if (pr.state === 'snapshot' && pr.snapshot !== null && pr.match >= pr.snapshot.index) pr.becomeReplicate()
    else if (pr.state === 'replicate') pr.inflights.freeLE(m.index)
    if (r.maybeCommit()) {
      r.flushBroadcast()
    } else {
      // More entries to send, or a commit index this follower could not take before (etcd's CanBumpCommit).
      r.sendAppend(m.from, false)
    }
    if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) r.sendTimeoutNow(m.from)
  } else if (pr.state === 'snapshot' && pr.snapshot !== null && m.index >= pr.snapshot.index) {
    // The follower already had the snapshot's contents.
    pr.becomeReplicate()
    r.sendAppend(m.from, false)
  }
}
