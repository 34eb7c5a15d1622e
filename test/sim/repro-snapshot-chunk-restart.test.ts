// Repro (found by the simulator, as a liveness failure): an InstallSnapshot transfer that
// stalls forever. Kept as a regression test.
//
// The leader keeps the highest offset the follower acknowledged (`acked`) and ignores every
// snapshot-resp with a lower offset as stale (step-leader.ts, 'snapshot-resp':
// `if (m.offset >= 0 && offset < pr.snapshot.acked) return`). But the follower's received
// offset can legitimately go back within the transfer of one snapshot, and then it keeps
// asking for its lower offset while the leader keeps resending from `acked`:
//   1. a duplicated or late chunk at offset 0 restarts the follower's transfer
//      (step-follower.ts handleSnapshotChunk: `if (m.offset === 0) ... received: 0`);
//   2. the follower restarts mid-transfer (incomingSnapshot is memory only); the leader
//      starts over after the -1, then an acknowledgement sent before the restart arrives
//      and pushes `acked` past what the follower has;
//   3. (seen in the simulator too) a late chunk of an older snapshot (meta.index <= commit)
//      sets incomingSnapshot = null, which leads to case 2.
// The follower never catches up: a liveness bug (§7 InstallSnapshot). Neither retransmit
// (after electionTick of silence, from `acked`) nor new heartbeats get it out.

import { describe, expect, it } from 'vitest'
import type { Message } from '../../raft/types.ts'
import { Harness } from '../raft/harness.ts'

describe('InstallSnapshot completes despite a follower going back (§7)', () => {
  it('after a duplicated first chunk', () => {
    const h = new Harness(['a', 'b', 'c'], { options: { snapshotChunkBytes: 4 } })
    h.stabilize()
    h.campaign('a')
    h.isolate('c')
    for (let i = 0; i < 3; i++) h.propose('a', `x${i}`)
    const a = h.core('a')
    const snap = a.compact(new Uint8Array(12).fill(7))! // 3 chunks of 4 bytes; c must get it
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

  it('after the follower restarts mid-transfer while an acknowledgement is in flight', () => {
    const h = new Harness(['a', 'b', 'c'], { options: { snapshotChunkBytes: 4 } })
    h.stabilize()
    h.campaign('a')
    h.isolate('c')
    for (let i = 0; i < 3; i++) h.propose('a', `x${i}`)
    const a = h.core('a')
    const snap = a.compact(new Uint8Array(12).fill(7))!
    h.heal()

    const settle = (hold: (m: Message) => boolean = () => false): Message[] => h.settleHolding(hold)
    const snapResp = (offset: number) => (m: Message): boolean => m.type === 'snapshot-resp' && m.from === 'c' && m.offset === offset

    a.tick()
    const [ack8] = settle(snapResp(8)) // chunks at 0 and 4 arrive; c's "send me 8" is delayed
    expect(ack8).toBeDefined()
    h.restart('c') // c loses the half-received snapshot
    // a hears nothing for an election timeout and resends from 4; c answers -1; a starts
    // over at 0. Hold c's answers to the restarted transfer.
    let held: Message[] = []
    for (let i = 0; i < 2 * a.electionTick && held.length === 0; i++) {
      a.tick()
      held = settle(snapResp(4))
    }
    expect(held.length).toBeGreaterThan(0)
    h.core('a').step(ack8 as Message) // the old acknowledgement arrives: a jumps to 8
    settle()
    for (const m of held) h.core('a').step(m)

    h.tick('all', 100)
    expect(h.core('c').log.snapshotIndex).toBeGreaterThanOrEqual(snap.meta.index)
    expect(h.core('c').log.commit).toBe(a.log.commit)
  })
})
