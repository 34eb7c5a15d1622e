// Message handling of a candidate and a pre-candidate (§5.2, §9.6).

import type { RaftCore } from './core.ts'
import type { Message } from './types.ts'

export function stepCandidate (r: RaftCore, m: Message): void {
  switch (m.type) {
    case 'append':
    case 'heartbeat':
    case 'snapshot':
      // A leader exists in our term (§5.2: "If AppendEntries RPC received from new leader: convert to follower").
      r.becomeFollower(m.term, m.from)
      if (m.type === 'append') r.handleAppend(m)
      else if (m.type === 'heartbeat') r.handleHeartbeat(m)
      else r.handleSnapshotChunk(m)
      break
    case 'vote-resp':
    case 'prevote-resp': {
      const expected = r.role === 'pre-candidate' ? 'prevote-resp' : 'vote-resp'
      if (m.type !== expected) return
      r.votes.set(m.from, m.granted)
      r.tallyVotes()
      break
    }
    case 'read-index':
      r.send({ type: 'read-index-resp', from: r.id, to: m.from, term: r.term, ctx: m.ctx, index: -1 })
      break
    default:
      break
  }
}
