// The wire codec: 4-byte big-endian length-prefixed msgpack frames, batched on encode and
// decoded incrementally whatever the chunking.

import { describe, expect, it } from 'vitest'
import { FrameDecodeError, FrameTooLargeError } from '../../net/errors.ts'
import { FrameDecoder, encodeFrames } from '../../net/frames.ts'

const values: unknown[] = [
  1, 'two', null, true, -3.5, [1, [2, [3]]],
  { term: 7, entries: [{ index: 1, data: new Uint8Array([1, 2, 3]) }] },
  'x'.repeat(70_000), // spans many network-sized chunks
  { nested: { deep: { deeper: ['a', { b: 2 }] } } }
]

describe('encodeFrames / FrameDecoder', () => {
  it('round-trips many values batched into one buffer and decoded from one chunk', () => {
    const buf = encodeFrames(values)
    expect(new FrameDecoder().push(buf)).toEqual(values)
  })

  it('writes a 4-byte big-endian length before each msgpack payload', () => {
    const buf = encodeFrames(['a', 'bc'])
    // 'a' packs as a fixstr: 0xa1 0x61 (2 bytes); 'bc' as 0xa2 0x62 0x63 (3 bytes)
    expect([...buf]).toEqual([0, 0, 0, 2, 0xa1, 0x61, 0, 0, 0, 3, 0xa2, 0x62, 0x63])
  })

  it('decodes frames split at every possible byte boundary', () => {
    const small = values.filter(v => typeof v !== 'string' || v.length < 100)
    const buf = encodeFrames(small)
    for (let cut = 0; cut <= buf.byteLength; cut++) {
      const decoder = new FrameDecoder()
      const out = [...decoder.push(buf.subarray(0, cut)), ...decoder.push(buf.subarray(cut))]
      expect(out).toEqual(small)
      expect(decoder.pendingBytes).toBe(0)
    }
  })

  it('decodes a stream delivered one byte at a time, and in uneven chunks', () => {
    const buf = encodeFrames(values)
    const oneByOne = new FrameDecoder()
    const out: unknown[] = []
    for (let i = 0; i < buf.byteLength; i++) out.push(...oneByOne.push(buf.subarray(i, i + 1)))
    expect(out).toEqual(values)

    const uneven = new FrameDecoder()
    const out2: unknown[] = []
    let offset = 0
    for (let size = 1; offset < buf.byteLength; size = (size * 7 + 3) % 5000 + 1) {
      out2.push(...uneven.push(buf.subarray(offset, offset + size)))
      offset += size
    }
    expect(out2).toEqual(values)
  })

  it('accepts a chunk that is a list of buffers (libp2p Uint8ArrayList)', () => {
    const buf = encodeFrames(values)
    const parts = [buf.subarray(0, 3), buf.subarray(3, 10), buf.subarray(10)]
    expect(new FrameDecoder().push(parts)).toEqual(values)
  })

  it('holds an unfinished frame until the rest arrives', () => {
    const buf = encodeFrames([{ a: 1 }])
    const decoder = new FrameDecoder()
    expect(decoder.push(buf.subarray(0, 6))).toEqual([])
    expect(decoder.pendingBytes).toBe(6)
    expect(decoder.push(buf.subarray(6))).toEqual([{ a: 1 }])
  })

  it('copies binary values out of the chunk they arrived in', () => {
    const buf = encodeFrames([new Uint8Array([9, 8, 7])])
    const [value] = new FrameDecoder().push(buf) as [Uint8Array]
    buf.fill(0)
    expect([...value]).toEqual([9, 8, 7])
  })

  it('refuses to encode a value above the frame limit', () => {
    expect(() => encodeFrames(['x'.repeat(2000)], { maxFrameLength: 1024 })).toThrow(FrameTooLargeError)
  })

  it('fails on a declared length above the limit before buffering it, and stays failed', () => {
    const decoder = new FrameDecoder({ maxFrameLength: 1024 })
    const header = new Uint8Array([0, 1, 0, 0]) // 65536 bytes announced
    expect(() => decoder.push(header)).toThrow(FrameTooLargeError)
    expect(() => decoder.push(encodeFrames([1]))).toThrow(FrameTooLargeError)
  })

  it('names a header that announces more than 64 MiB by default', () => {
    expect(() => new FrameDecoder().push(new Uint8Array([0xff, 0xff, 0xff, 0xff])))
      .toThrow(/4294967295 bytes is larger than the limit of 67108864 bytes/)
  })

  it('fails on an empty frame and on a payload that is not msgpack', () => {
    expect(() => new FrameDecoder().push(new Uint8Array([0, 0, 0, 0]))).toThrow(FrameDecodeError)
    // 0x92 announces a 2-element array but only one element follows
    expect(() => new FrameDecoder().push(new Uint8Array([0, 0, 0, 2, 0x92, 0x01]))).toThrow(FrameDecodeError)
  })
})
