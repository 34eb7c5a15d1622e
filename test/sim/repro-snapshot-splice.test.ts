// Repro (found by the simulator: the state machine's snapshot CRC failed in ~10% of seeds):
// a follower installs a snapshot spliced from two different leaders' snapshots. Kept as a
// regression test.
//
// step-follower.ts handleSnapshotChunk continues a transfer in progress when a chunk at
// offset 0 arrives for the same snapshot index and term ("A duplicate (or a new leader
// starting over) of a transfer in progress: continue it"). A new leader's snapshot at the
// same index is the same state, but not necessarily the same bytes: snapshot data is the
// application's (compact(data)), and two replicas' encodings of one state may differ
// (metadata, map order, compression). The follower answers the new leader with the offset
// it got from the old one, the new leader sends the rest of *its* bytes, and the follower
// restores data that is neither snapshot: silent state machine corruption (§7).
// A transfer can only continue with chunks from the same leader (same term and sender).

import { describe, expect, it } from 'vitest'
import type { Message } from '../../raft/types.ts'
import { Harness } from '../raft/harness.ts'

describe('InstallSnapshot across a leader change (§7)', () => {
  it('installs one leader\'s snapshot bytes, never a splice of two', () => {
    const h = new Harness(['a', 'b', 'c'], { options: { snapshotChunkBytes: 4 } })
    h.stabilize()
    h.campaign('a')
    h.isolate('c')
    for (let i = 0; i < 3; i++) h.propose('a', `x${i}`)
    // a and b snapshot the same state at the same index; their encodings differ.
    const fromA = new Uint8Array(12).fill(0xa)
    const fromB = new Uint8Array(12).fill(0xb)
    const snapA = h.core('a').compact(fromA)!
    const snapB = h.core('b').compact(fromB)!
    expect(snapB.meta).toEqual(snapA.meta)
    h.heal()

    // Deliver everything until quiet, dropping the messages `hold` picks.
    const settle = (hold: (m: Message) => boolean = () => false): void => { h.settleHolding(hold) }

    // c gets the first two chunks of a's snapshot; the last one is lost.
    h.core('a').tick()
    settle((m) => m.type === 'snapshot' && m.from === 'a' && m.offset === 8)
    expect(h.core('c').incomingSnapshot?.received).toBe(8)

    // b takes over (as after a leadership transfer) and sends c its own snapshot.
    h.core('b').campaign(true)
    settle()
    expect(h.core('b').role).toBe('leader')
    h.tick('all', 30)

    const got = h.core('c').snapshot?.data
    expect(got).toBeDefined()
    const same = (x: Uint8Array): boolean => x.length === got?.length && x.every((v, i) => got[i] === v)
    expect(same(fromA) || same(fromB)).toBe(true)
  })
})
