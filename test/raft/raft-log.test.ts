// RaftLog packs the data of entries that became durable into buffers of its own: small
// batches share one slab (large enough for a mapping of its own, not a spot in the malloc
// heap), so the log holds neither the network frames the entries came in nor a small buffer
// per batch; the bytes are unchanged.

import { describe, expect, it } from 'vitest'
import { RaftLog } from '../../raft/raft-log.ts'
import type { Entry } from '../../raft/types.ts'

function entries (from: number, n: number, bytes: number): Entry[] {
  // Each entry a view into a large buffer of its own, as a network frame would hold it.
  return Array.from({ length: n }, (_, i) => ({ term: 1, index: from + i, data: new Uint8Array(1 << 16).fill(from + i).subarray(8, 8 + bytes) }))
}

describe('RaftLog packing durable entries', () => {
  it('puts small batches into one shared slab, a large batch into a buffer of its own, bytes unchanged', () => {
    const log = new RaftLog(0, 0, [], 0)
    const first = entries(1, 3, 100)
    const second = entries(4, 2, 50)
    log.appendNew(first)
    log.stableTo(first)
    log.appendNew(second)
    log.stableTo(second)
    const held = log.slice(1, 5)
    const slab = (held[0] as Entry).data.buffer
    expect(slab.byteLength).toBeGreaterThanOrEqual(128 * 1024)
    for (const e of held) {
      expect(e.data.buffer).toBe(slab)
      expect([...e.data]).toEqual(new Array(e.index <= 3 ? 100 : 50).fill(e.index))
    }
    const big = entries(6, 2, 40_000)
    log.appendNew(big)
    log.stableTo(big)
    const [a, b] = log.slice(6, 7) as [Entry, Entry]
    expect(a.data.buffer).toBe(b.data.buffer)
    expect(a.data.buffer.byteLength).toBe(80_000)
    expect([...b.data.subarray(0, 3)]).toEqual([7, 7, 7])
  })
})
