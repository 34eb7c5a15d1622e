// The snapshot envelope: round trip, and the memory property RaftNode relies on — after a
// snapshot is packed, msgpackr no longer packs small values into a buffer the snapshot grew
// (every Raft entry packed afterwards would keep such a buffer alive).

import { Packr } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { RecentIds } from '../../raft/recent-ids.ts'
import { packEnvelope, releasePackBuffer, reservePackBuffer, unpackEnvelope } from '../../raft/snapshot-envelope.ts'

const BIG = 8 * 2 ** 20

describe('snapshot envelope', () => {
  it('round-trips the state machine bytes and the ids', () => {
    const sm = new Uint8Array([1, 2, 3, 250])
    const ids = new RecentIds()
    ids.add('a', 1)
    ids.add('b', 2)
    const env = unpackEnvelope(packEnvelope({ sm, ids: ids.encode() }))
    expect(new Uint8Array(env.sm)).toEqual(sm)
    const back = new RecentIds()
    back.restore(env.ids)
    expect([back.get('a'), back.get('b'), back.size]).toEqual([1, 2, 2])
  })

  it('reads the ids of a snapshot written before they were hashed ([id, index] pairs)', () => {
    const old = new Packr({ useRecords: false }).pack({ sm: new Uint8Array([9]), ids: [['a', 1], ['b', 2]] })
    const back = new RecentIds()
    back.restore(unpackEnvelope(old).ids)
    expect([back.get('a'), back.get('b')]).toEqual([1, 2])
  })

  it('writes the bytes msgpackr writes for { sm, ids }, whatever the size of sm (bin8, bin16, bin32)', () => {
    const packr = new Packr({ useRecords: false })
    for (const n of [0, 5, 255, 256, 65_535, 65_536, 300_000]) {
      const sm = new Uint8Array(n).map((_, i) => i & 0xff)
      const ids = new Uint8Array(48).map((_, i) => i)
      expect(Buffer.from(packEnvelope({ sm, ids })).equals(packr.pack({ sm, ids }))).toBe(true)
    }
  })

  it('returns bytes in a buffer of their own, and later small packs do not land in a big buffer', () => {
    const other = new Packr({ useRecords: false })
    const data = packEnvelope({ sm: new Uint8Array(BIG).fill(7), ids: new Uint8Array(0) })
    expect(data.byteOffset).toBe(0)
    expect(data.buffer.byteLength).toBe(data.byteLength)
    expect(other.pack({ small: 1 }).buffer.byteLength).toBeLessThan(2 ** 20)
  })

  it('reservePackBuffer makes a large pack land in one buffer of that size', () => {
    const other = new Packr({ useRecords: false })
    reservePackBuffer(BIG + 65_536)
    const packed = other.pack({ big: new Uint8Array(BIG) })
    expect(packed.buffer.byteLength).toBe(BIG + 65_536)
    releasePackBuffer()
  })

  it('releasePackBuffer lets go of a buffer another large pack grew', () => {
    const other = new Packr({ useRecords: false })
    other.pack({ big: new Uint8Array(BIG) })
    expect(other.pack({ small: 1 }).buffer.byteLength).toBeGreaterThan(BIG)
    releasePackBuffer()
    expect(other.pack({ small: 1 }).buffer.byteLength).toBeLessThan(2 ** 20)
  })
})
