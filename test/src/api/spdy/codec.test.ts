// The SPDY/3.1 codec: frames round-trip through encodeFrame and FrameDecoder (also when the
// bytes arrive one at a time), malformed frames are refused, and header blocks compressed with
// the SPDY/3 dictionary are read back by an independent zlib inflate primed with the same
// dictionary (SPDY Protocol Draft 3, section 2.6.10.1).

import { adler32 } from './adler32.ts'
import { constants, deflateSync, inflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { SPDY3_DICTIONARY } from '../../../../src/api/spdy/dictionary.ts'
import { encodeFrame, FLAG_FIN, FrameDecoder, SpdyFrameError, type Frame } from '../../../../src/api/spdy/frames.ts'
import { decodeHeaderBlock, encodeHeaderBlock } from '../../../../src/api/spdy/header-block.ts'
import { HeaderCompressor, HeaderDecompressor } from '../../../../src/api/spdy/header-compression.ts'

const FRAMES: Frame[] = [
  { type: 'data', streamId: 5, flags: FLAG_FIN, data: Buffer.from('hello') },
  { type: 'data', streamId: 0x7fffffff, flags: 0, data: Buffer.alloc(0) },
  { type: 'syn_stream', streamId: 1, associatedId: 0, priority: 7, slot: 0, flags: FLAG_FIN, headerBlock: Buffer.from([1, 2, 3]) },
  { type: 'syn_reply', streamId: 3, flags: 0, headerBlock: Buffer.from([9, 9]) },
  { type: 'headers', streamId: 3, flags: FLAG_FIN, headerBlock: Buffer.alloc(0) },
  { type: 'rst_stream', streamId: 7, status: 5 },
  { type: 'settings', flags: 1, entries: [{ flags: 1, id: 7, value: 1 << 20 }, { flags: 0, id: 4, value: 100 }] },
  { type: 'ping', id: 0xffffffff },
  { type: 'goaway', lastGoodStreamId: 9, status: 1 },
  { type: 'window_update', streamId: 0, delta: 0x7fffffff }
]

describe('SPDY/3 dictionary', () => {
  it('is the 1423 bytes of the spec, with the Adler-32 that zlib headers name', () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423)
    expect(adler32(SPDY3_DICTIONARY)).toBe(0xe3c6a7c2)
    expect(SPDY3_DICTIONARY.subarray(0, 11)).toEqual(Buffer.from('\0\0\0\x07options', 'latin1'))
    expect(SPDY3_DICTIONARY.subarray(-6).toString('latin1')).toBe('enq=0.')
  })
})

describe('frames', () => {
  it('round-trip, whole and one byte at a time', () => {
    const bytes = Buffer.concat(FRAMES.map(encodeFrame))
    expect(new FrameDecoder().push(bytes)).toEqual(FRAMES)
    const d = new FrameDecoder()
    const got: Frame[] = []
    for (const b of bytes) got.push(...d.push(Buffer.from([b])))
    expect(got).toEqual(FRAMES)
    expect(d.pending).toBe(0)
  })

  it('lays out a control frame as the spec does', () => {
    expect(encodeFrame({ type: 'rst_stream', streamId: 3, status: 5 })).toEqual(Buffer.from([0x80, 3, 0, 3, 0, 0, 0, 8, 0, 0, 0, 3, 0, 0, 0, 5]))
    expect(encodeFrame({ type: 'data', streamId: 1, flags: FLAG_FIN, data: Buffer.from('x') })).toEqual(Buffer.from([0, 0, 0, 1, 1, 0, 0, 1, 0x78]))
  })

  it('skips control frames of unknown types', () => {
    const bytes = Buffer.from([0x80, 3, 0, 5, 0, 0, 0, 2, 0xaa, 0xbb])
    expect(new FrameDecoder().push(bytes)).toEqual([{ type: 'unknown', frameType: 5, flags: 0 }])
  })

  it.each([
    ['another version', Buffer.from([0x80, 2, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1]), /SPDY version 2/],
    ['a PING of the wrong size', Buffer.from([0x80, 3, 0, 6, 0, 0, 0, 5, 0, 0, 0, 1, 0]), /PING frame has a 4-byte payload, not 5/],
    ['data for stream 0', Buffer.from([0, 0, 0, 0, 0, 0, 0, 1, 0]), /stream 0/],
    ['a SYN_STREAM for stream 0', encodeFrame({ type: 'syn_stream', streamId: 0, associatedId: 0, priority: 0, slot: 0, flags: 0, headerBlock: Buffer.alloc(0) }), /stream 0/],
    ['a short SYN_STREAM', Buffer.from([0x80, 3, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1]), /at least 10 bytes/],
    ['an RST_STREAM with status 0', Buffer.from([0x80, 3, 0, 3, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0]), /status 0/],
    ['SETTINGS whose count disagrees with its length', Buffer.from([0x80, 3, 0, 4, 0, 0, 0, 4, 0, 0, 0, 1]), /SETTINGS \(1 entries\)/],
    ['a WINDOW_UPDATE of 0', Buffer.from([0x80, 3, 0, 9, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0]), /delta of 0/]
  ])('refuses %s', (_what, bytes, message) => {
    expect(() => new FrameDecoder().push(bytes)).toThrow(message)
  })

  it('refuses a frame larger than its limit from the header alone', () => {
    const d = new FrameDecoder(1000)
    expect(() => d.push(Buffer.from([0, 0, 0, 1, 0, 0, 0x10, 0]))).toThrow(SpdyFrameError)
  })
})

describe('header blocks', () => {
  it('round-trip names (lowercased) and multiple values', () => {
    const block = encodeHeaderBlock({ StreamType: 'data', port: '80', requestid: ['1', '2'] })
    expect([...decodeHeaderBlock(block)]).toEqual([['streamtype', ['data']], ['port', ['80']], ['requestid', ['1', '2']]])
  })

  it.each([
    ['a truncated value', Buffer.concat([encodeHeaderBlock({ a: 'bcd' }).subarray(0, 13)]), /ends inside/],
    ['a duplicate name', Buffer.concat([Buffer.from([0, 0, 0, 2]), encodeHeaderBlock({ a: '1' }).subarray(4), encodeHeaderBlock({ a: '2' }).subarray(4)]), /twice/],
    ['bytes after the last header', Buffer.concat([encodeHeaderBlock({ a: '1' }), Buffer.from([0])]), /after the last header/],
    ['a count larger than the block', Buffer.from([0xff, 0xff, 0xff, 0xff]), /claims/],
    ['an empty name', Buffer.from([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]), /empty name/]
  ])('refuses %s', (_what, block, message) => {
    expect(() => decodeHeaderBlock(block)).toThrow(message)
  })
})

describe('header compression', () => {
  it('writes one zlib stream with the dictionary that an independent inflate reads block by block', async () => {
    const c = new HeaderCompressor()
    const blocks = [
      encodeHeaderBlock({ streamtype: 'error', port: '8080', requestid: '0' }),
      encodeHeaderBlock({}),
      encodeHeaderBlock({ streamtype: 'data', port: '8080', requestid: '0' })
    ]
    const compressed: Buffer[] = []
    for (const b of blocks) compressed.push(await c.deflate(b))
    c.close()
    // The zlib header names the dictionary by its Adler-32 (RFC 1950: FDICT, then DICTID).
    const first = compressed[0] as Buffer
    expect((first[1] as number) & 0x20).toBe(0x20)
    expect(first.readUInt32BE(2)).toBe(0xe3c6a7c2)
    // The second header block after the first is shorter than it: the context carries over.
    expect((compressed[2] as Buffer).length).toBeLessThan(first.length)
    let seen = 0
    for (let i = 0; i < blocks.length; i++) {
      const upTo = Buffer.concat(compressed.slice(0, i + 1))
      const all = inflateSync(upTo, { dictionary: SPDY3_DICTIONARY, finishFlush: constants.Z_SYNC_FLUSH })
      expect(all.subarray(seen)).toEqual(blocks[i])
      seen = all.length
    }
  })

  it('reads blocks another zlib wrote with the dictionary, in order, and then refuses garbage', async () => {
    const raw = [encodeHeaderBlock({ port: '80' }), encodeHeaderBlock({ port: '81' })]
    const stream = deflateSync(Buffer.concat(raw), { dictionary: SPDY3_DICTIONARY, finishFlush: constants.Z_SYNC_FLUSH })
    const d = new HeaderDecompressor()
    const cut = 9
    const a = await d.inflate(stream.subarray(0, cut))
    const b = await d.inflate(stream.subarray(cut))
    expect(Buffer.concat([a, b])).toEqual(Buffer.concat(raw))
    await expect(d.inflate(Buffer.from('not deflate at all, no'))).rejects.toThrow(SpdyFrameError)
    await expect(d.inflate(Buffer.alloc(1))).rejects.toThrow(SpdyFrameError)
    d.close()
  })

  it('refuses a block whose zlib header names another dictionary', async () => {
    const other = deflateSync(encodeHeaderBlock({ a: 'b' }), { dictionary: Buffer.from('not the spdy dictionary'), finishFlush: constants.Z_SYNC_FLUSH })
    const d = new HeaderDecompressor()
    await expect(d.inflate(other)).rejects.toThrow(/does not inflate/)
    d.close()
  })
})
