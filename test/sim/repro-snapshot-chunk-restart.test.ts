// Repro (found by the simulator, seed 269 at 5000 steps): a duplicated or late InstallSnapshot
// chunk at offset 0 restarts the follower's transfer of the same snapshot (step-follower.ts
// handleSnapshotChunk: `if (m.offset === 0) ... incomingSnapshot = { ..., received: 0 }`), so
// the follower's received offset goes back. The leader treats every snapshot-resp below its
// `acked` offset as stale (step-leader.ts, 'snapshot-resp'), keeps resending from `acked`,
// and the follower keeps asking for its lower offset: the transfer never ends and the
// follower never catches up (a liveness bug; §7 InstallSnapshot).

import { describe, expect, it } from 'vitest'
import type { Message } from '../../raft/types.ts'
import { Harness } from '../raft/harness.ts'

describe('InstallSnapshot with a duplicated first chunk (§7)', () => {
  it('still completes the transfer', () => {
    const h = new Harness(['a', 'b', 'c'], { options: { snapshotChunkBytes: 4 } })
    h.stabilize()
    h.campaign('a')
    h.isolate('c')
    for (let i = 0; i < 3; i++) h.propose('a', `x${i}`)
    const a = h.core('a')
    const snap = a.compact(new Uint8Array(12).fill(7)) // 3 chunks of 4 bytes; c must get it
    h.heal()

    const take = (): Message[] => { h.processReadies(); return h.queue.splice(0) }
    const deliver = (ms: Message[]): void => { for (const m of ms) h.core(m.to).step(m) }
    const isChunk = (m: Message, offset: number): boolean => m.type === 'snapshot' && m.to === 'c' && m.offset === offset

    // A heartbeat round makes a notice c is behind its log and start the snapshot.
    a.tick()
    let chunk0: Message | undefined
    for (let i = 0; i < 6 && chunk0 === undefined; i++) {
      const ms = take()
      chunk0 = ms.find((m) => isChunk(m, 0))
      deliver(ms)
    }
    expect(chunk0).toBeDefined()
    const ack4 = take() // c acknowledges 4 bytes
    deliver(ack4) // a sends the chunk at offset 4
    const chunk4 = take()
    expect(chunk4.some((m) => isChunk(m, 4))).toBe(true)
    deliver(chunk4)
    const ack8 = take() // c acknowledges 8 bytes
    // The network delivers a duplicate of the first chunk now: c starts over at 4 bytes.
    deliver([chunk0 as Message])
    const ackBack = take()
    deliver(ack8) // a sends the last chunk at offset 8
    deliver(ackBack) // "stale" for a: ignored
    deliver(take())

    // From here on the network is perfect.
    h.tick('all', 100)
    expect(h.core('c').log.snapshotIndex).toBeGreaterThanOrEqual(snap.meta.index)
    expect(h.core('c').log.commit).toBe(a.log.commit)
  })
})
