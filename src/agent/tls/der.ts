// ASN.1 DER, as much as X.509 certificates need (ITU-T X.690): encoders for the few universal
// types a certificate uses, and a reader that walks one level of TLVs. Every encoder returns
// the complete TLV; lengths are definite and minimal, as DER requires.

/** A DER input that cannot be read. */
export class DerError extends Error {
  override readonly name = 'DerError'
}

export function tlv (tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content])
}

function encodeLength (n: number): Buffer {
  if (n < 0x80) return Buffer.from([n])
  const bytes: number[] = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

export function sequence (...items: Buffer[]): Buffer { return tlv(0x30, Buffer.concat(items)) }
export function set (...items: Buffer[]): Buffer { return tlv(0x31, Buffer.concat(items)) }
export function octetString (content: Buffer): Buffer { return tlv(0x04, content) }
export function utf8String (text: string): Buffer { return tlv(0x0c, Buffer.from(text, 'utf8')) }
export function boolean (value: boolean): Buffer { return tlv(0x01, Buffer.from([value ? 0xff : 0x00])) }
/** `[n] EXPLICIT`: the whole TLV of `inner` inside a constructed context tag. */
export function explicit (n: number, inner: Buffer): Buffer { return tlv(0xa0 | n, inner) }
/** `[n] IMPLICIT` of a primitive type: `content` under a primitive context tag. */
export function implicit (n: number, content: Buffer): Buffer { return tlv(0x80 | n, content) }

/** INTEGER from unsigned big-endian bytes (a 0x00 is prepended when the top bit is set, leading zeros are dropped). */
export function unsignedInteger (bytes: Buffer): Buffer {
  let start = 0
  while (start < bytes.length - 1 && bytes[start] === 0) start++
  const body = bytes.length === 0 ? Buffer.from([0]) : bytes.subarray(start)
  return tlv(0x02, ((body[0] ?? 0) & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), body]) : body)
}

export function smallInteger (n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new RangeError(`smallInteger takes 0..2^31-1, not ${n}`)
  const bytes: number[] = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256)
  return unsignedInteger(Buffer.from(bytes))
}

/** BIT STRING holding whole bytes (a signature, a public key): zero unused bits. */
export function bitString (content: Buffer): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([0]), content]))
}

/**
 * A NamedBitList BIT STRING (keyUsage): bit 0 is the most significant bit of the first byte,
 * and DER drops trailing zero bits, counting the unused ones in the first content byte.
 */
export function namedBits (bits: readonly number[]): Buffer {
  const highest = Math.max(...bits)
  if (bits.length === 0 || highest < 0) return tlv(0x03, Buffer.from([0]))
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1)
  for (const b of bits) bytes[b >> 3] = (bytes[b >> 3] ?? 0) | (0x80 >> (b & 7))
  const unused = 7 - (highest & 7)
  return tlv(0x03, Buffer.concat([Buffer.from([unused]), bytes]))
}

/** OBJECT IDENTIFIER from dotted form ('2.5.29.17'). */
export function oid (dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number)
  const [a, b, ...rest] = arcs
  if (a === undefined || b === undefined || arcs.some((n) => !Number.isInteger(n) || n < 0)) throw new RangeError(`not an OID: ${dotted}`)
  const out = [...base128(a * 40 + b)]
  for (const n of rest) out.push(...base128(n))
  return tlv(0x06, Buffer.from(out))
}

function base128 (n: number): number[] {
  const out = [n & 0x7f]
  for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) out.unshift(0x80 | (v & 0x7f))
  return out
}

/**
 * A certificate's Time (RFC 5280 §4.1.2.5): UTCTime YYMMDDHHMMSSZ through 2049,
 * GeneralizedTime YYYYMMDDHHMMSSZ from 2050 on. Milliseconds are dropped.
 */
export function time (date: Date): Buffer {
  const year = date.getUTCFullYear()
  const pad = (n: number): string => String(n).padStart(2, '0')
  const rest = `${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`
  if (year >= 1950 && year < 2050) return tlv(0x17, Buffer.from(`${pad(year % 100)}${rest}`, 'ascii'))
  if (year < 0 || year > 9999) throw new RangeError(`a certificate time must be in years 0000–9999, not ${year}`)
  return tlv(0x18, Buffer.from(`${String(year).padStart(4, '0')}${rest}`, 'ascii'))
}

/** One TLV as read: its tag, its content, and the whole encoding. */
export interface Tlv {
  tag: number
  content: Buffer
  whole: Buffer
}

/** The TLVs that follow one another in `input` (the content of a SEQUENCE, say). */
export function readAll (input: Buffer): Tlv[] {
  const out: Tlv[] = []
  for (let at = 0; at < input.length;) {
    const item = readAt(input, at)
    out.push(item)
    at += item.whole.length
  }
  return out
}

function readAt (input: Buffer, at: number): Tlv {
  const tag = input[at]
  const first = input[at + 1]
  if (tag === undefined || first === undefined) throw new DerError('truncated TLV header')
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not supported')
  let length = first
  let header = 2
  if (first & 0x80) {
    const count = first & 0x7f
    if (count === 0 || count > 4) throw new DerError('unsupported length encoding')
    length = 0
    for (let i = 0; i < count; i++) {
      const b = input[at + 2 + i]
      if (b === undefined) throw new DerError('truncated length')
      length = length * 256 + b
    }
    header += count
  }
  const end = at + header + length
  if (end > input.length) throw new DerError('content runs past the end of the input')
  return { tag, content: input.subarray(at + header, end), whole: input.subarray(at, end) }
}

/** The single TLV `input` must consist of. */
export function readOne (input: Buffer): Tlv {
  const item = readAt(input, 0)
  if (item.whole.length !== input.length) throw new DerError('trailing bytes after the TLV')
  return item
}
