// The noise record splitter ends every read by asking its length decoder for a prefix that is
// not there yet, which throws; with the fix it stops without asking. Frames must come out
// exactly as without it.

import { LengthPrefixedDecoder } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it, vi } from 'vitest'
import { prefixBytes } from '../../net/length-prefix-fix.ts'

/** What the decoder hands a length decoder (a Uint8ArrayList of @libp2p/utils' own copy). */
interface Bytes { length: number, byteLength: number, getUint16: (at: number) => number }

const uint16 = Object.assign((data: Bytes | Uint8Array): number => {
  if (data.length < 2) throw new RangeError('Could not decode int16BE')
  return data instanceof Uint8Array ? (data[0] as number) << 8 | (data[1] as number) : data.getUint16(0)
}, { bytes: 2 })

function record (body: number[]): number[] {
  return [body.length >> 8, body.length & 0xff, ...body]
}

function splitter (): LengthPrefixedDecoder {
  return new LengthPrefixedDecoder({ lengthDecoder: uint16 as (data: unknown) => number, encodingLength: () => 2 })
}

describe('length prefix fix', () => {
  it('frames split across reads of every size come out whole and in order', () => {
    const wire = Uint8Array.from([...record([1, 2, 3]), ...record([]), ...record(Array.from({ length: 300 }, (_, i) => i & 0xff)), ...record([9])])
    for (const size of [1, 2, 3, 7, wire.length]) {
      const d = splitter()
      const out: number[][] = []
      for (let at = 0; at < wire.length; at += size) {
        for (const frame of d.decode(wire.subarray(at, at + size))) out.push([...(frame as { subarray: () => Uint8Array }).subarray()])
      }
      expect(out.map((f) => f.length)).toEqual([3, 300, 1])
      expect(out[0]).toEqual([1, 2, 3])
      expect(out[2]).toEqual([9])
    }
  })

  it('a read that ends on a record boundary creates no RangeError', () => {
    const created = vi.fn()
    const Original = globalThis.RangeError
    globalThis.RangeError = new Proxy(Original, { construct (target, args: [string?]) { created(); return new target(...args) } })
    try {
      const d = splitter()
      for (let i = 0; i < 5; i++) expect([...d.decode(Uint8Array.from(record([i])))]).toHaveLength(1)
    } finally {
      globalThis.RangeError = Original
    }
    expect(created).not.toHaveBeenCalled()
  })

  it('a varint prefix split across reads is waited for; an over-long frame is refused as before', () => {
    const varint = new LengthPrefixedDecoder({ maxDataLength: 1000 })
    const body = Array.from({ length: 200 }, (_, i) => i & 0xff)
    const wire = Uint8Array.from([0xc8, 0x01, ...body]) // 200 as a varint: two bytes
    expect([...varint.decode(wire.subarray(0, 1))]).toHaveLength(0)
    const frames = [...varint.decode(wire.subarray(1))]
    expect(frames.map((f) => (f as { byteLength: number }).byteLength)).toEqual([200])
    expect(() => [...new LengthPrefixedDecoder({ maxDataLength: 10 }).decode(Uint8Array.from([20, ...body.slice(0, 20)]))]).toThrow('Invalid message length')
    expect(prefixBytes(uint16)).toBe(2)
    expect(prefixBytes(() => 0)).toBe(1)
  })
})
