// DER encoding (ITU-T X.690) of the pieces certificates use: lengths, INTEGER signs, OIDs,
// named bit strings, and the UTCTime / GeneralizedTime switch of RFC 5280 §4.1.2.5.

import { describe, expect, it } from 'vitest'
import { DerError, namedBits, oid, readAll, readOne, sequence, smallInteger, time, tlv, unsignedInteger } from '../../../../src/agent/tls/der.ts'

const hex = (b: Buffer): string => b.toString('hex')

describe('DER', () => {
  it('uses the short length form below 128 bytes and the long form from 128 on', () => {
    expect(hex(tlv(0x04, Buffer.alloc(127))).slice(0, 4)).toBe('047f')
    expect(hex(tlv(0x04, Buffer.alloc(128))).slice(0, 6)).toBe('048180')
    expect(hex(tlv(0x04, Buffer.alloc(300))).slice(0, 8)).toBe('0482012c')
  })

  it('encodes INTEGERs minimally and positive', () => {
    expect(hex(smallInteger(2))).toBe('020102')
    expect(hex(smallInteger(0))).toBe('020100')
    expect(hex(smallInteger(128))).toBe('02020080')
    expect(hex(unsignedInteger(Buffer.from([0, 0, 0x7f])))).toBe('02017f')
    expect(hex(unsignedInteger(Buffer.from([0xff])))).toBe('020200ff')
  })

  it('encodes OIDs with base-128 arcs (X.690 §8.19)', () => {
    expect(hex(oid('2.5.29.17'))).toBe('0603551d11')
    expect(hex(oid('1.2.840.10045.4.3.2'))).toBe('06082a8648ce3d040302')
  })

  it('encodes named bits with trailing zero bits dropped (keyUsage)', () => {
    expect(hex(namedBits([0]))).toBe('03020780') // digitalSignature
    expect(hex(namedBits([5, 6]))).toBe('03020106') // keyCertSign | cRLSign
    expect(hex(namedBits([8]))).toBe('0303070080')
  })

  it('writes UTCTime through 2049 and GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)', () => {
    expect(time(new Date('2049-12-31T23:59:59.900Z'))).toEqual(Buffer.concat([Buffer.from([0x17, 13]), Buffer.from('491231235959Z')]))
    expect(time(new Date('2050-01-01T00:00:00Z'))).toEqual(Buffer.concat([Buffer.from([0x18, 15]), Buffer.from('20500101000000Z')]))
    expect(time(new Date('2026-03-04T05:06:07Z')).subarray(2).toString()).toBe('260304050607Z')
  })

  it('reads back what it wrote, and refuses truncated input', () => {
    const seq = sequence(smallInteger(5), tlv(0x04, Buffer.alloc(200, 1)))
    const [a, b] = readAll(readOne(seq).content)
    expect(a?.tag).toBe(0x02)
    expect(a?.content).toEqual(Buffer.from([5]))
    expect(b?.content.length).toBe(200)
    expect(() => readOne(seq.subarray(0, seq.length - 1))).toThrow(DerError)
    expect(() => readOne(Buffer.concat([seq, Buffer.from([0])]))).toThrow(DerError)
  })
})
