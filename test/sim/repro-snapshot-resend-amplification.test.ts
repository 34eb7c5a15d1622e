// Repro (found by the simulator: with duplicating networks, messages in flight during
// InstallSnapshot grew into the thousands at --steps 10000, and past the simulator's
// "message storm" limit at --steps 20000). Kept as a regression test. Every extra
// copy of a snapshot-resp makes the leader send the chunk again, the follower answers each
// copy, and the extra copy lives on for the rest of the transfer.
//
// A duplicate is not needed: the leader's own retransmission does it. When a follower's
// answer takes longer than electionTick ticks, tickLeader() resends the chunk at `acked`
// (core.ts), the follower answers both copies, and from then on every chunk travels twice
// (step-leader.ts 'snapshot-resp' sends a chunk for every answer, even one it already
// answered). Each slow round trip adds another copy: on a slow link, where retransmits
// fire, the traffic grows without bound until the transfer ends (§7 InstallSnapshot; the
// leader should keep one chunk in flight and resend only on its timer).

import { describe, expect, it } from 'vitest'
import type { Message } from '../../raft/types.ts'
import { Harness } from '../raft/harness.ts'

describe('InstallSnapshot flow control (§7)', () => {
  it('a retransmitted chunk does not double every later chunk', () => {
    const chunks = 10
    const h = new Harness(['a', 'b', 'c'], { options: { snapshotChunkBytes: 4 } })
    h.stabilize()
    h.campaign('a')
    h.isolate('c')
    for (let i = 0; i < 3; i++) h.propose('a', `x${i}`)
    const a = h.core('a')
    const snap = a.compact(new Uint8Array(4 * chunks).fill(7))!
    h.heal()

    let sent = 0
    // Deliver until quiet, counting a's chunks to c; messages `hold` picks are returned.
    h.observe = (m) => { if (m.type === 'snapshot' && m.to === 'c') sent++ }
    const settle = (hold: (m: Message) => boolean = () => false): Message[] => h.settleHolding(hold)

    // c's first answer is slow: a retransmits the first chunk after an election timeout.
    a.tick()
    const slow = settle((m) => m.type === 'snapshot-resp' && m.from === 'c')
    expect(slow).toHaveLength(1)
    for (let i = 0; i < a.electionTick; i++) {
      a.tick()
      slow.push(...settle((m) => m.type === 'snapshot-resp' && m.from === 'c' && slow.length < 2))
    }
    expect(sent).toBe(2) // the first chunk and its retransmission
    // Both answers arrive; the rest of the transfer runs on a perfect network.
    for (const m of slow) a.step(m)
    settle()

    expect(h.core('c').log.snapshotIndex).toBe(snap.meta.index)
    // One chunk each, plus the retransmission (and at most one more spare).
    expect(sent).toBeLessThanOrEqual(chunks + 2)
  })
})
