// The SPDY/3 name/value header block (section 2.6.10), before compression: a 32-bit count of
// pairs, then for each a 32-bit length and the name, a 32-bit length and the value. Names are
// lowercase and unique; one name with several values joins them with NUL bytes.

import { SpdyFrameError } from './frames.ts'

/** Header names (lowercase) to their values. */
export type SpdyHeaders = Map<string, string[]>

/** The uncompressed block of `headers`. */
export function encodeHeaderBlock (headers: Record<string, string | string[]> | SpdyHeaders): Buffer {
  const entries = headers instanceof Map ? [...headers] : Object.entries(headers)
  const parts: Buffer[] = [u32(entries.length)]
  for (const [name, value] of entries) {
    const n = Buffer.from(name.toLowerCase(), 'utf8')
    const v = Buffer.from(Array.isArray(value) ? value.join('\0') : value, 'utf8')
    parts.push(u32(n.length), n, u32(v.length), v)
  }
  return Buffer.concat(parts)
}

function u32 (n: number): Buffer {
  const b = Buffer.allocUnsafe(4)
  b.writeUInt32BE(n)
  return b
}

/** The headers of one uncompressed block; throws SpdyFrameError if it is malformed or has bytes after it. */
export function decodeHeaderBlock (block: Buffer): SpdyHeaders {
  let at = 0
  const read = (what: string): Buffer => {
    if (at + 4 > block.length) throw new SpdyFrameError(`a header block ends inside the length of ${what}`)
    const len = block.readUInt32BE(at)
    at += 4
    if (at + len > block.length) throw new SpdyFrameError(`a header block ends inside ${what} (${len} bytes)`)
    const b = block.subarray(at, at + len)
    at += len
    return b
  }
  if (block.length < 4) throw new SpdyFrameError('a header block shorter than its 4-byte count')
  const count = block.readUInt32BE(0)
  at = 4
  // Each pair takes at least 8 bytes: a larger count is a lie, not a reason to allocate.
  if (count > (block.length - 4) / 8) throw new SpdyFrameError(`a header block claims ${count} headers in ${block.length} bytes`)
  const headers: SpdyHeaders = new Map()
  for (let i = 0; i < count; i++) {
    const name = read('a header name').toString('utf8')
    if (name === '') throw new SpdyFrameError('a header with an empty name')
    const value = read(`the value of header ${name}`).toString('utf8')
    const key = name.toLowerCase()
    if (headers.has(key)) throw new SpdyFrameError(`header ${key} appears twice in one block`)
    headers.set(key, value.split('\0'))
  }
  if (at !== block.length) throw new SpdyFrameError(`${block.length - at} bytes after the last header of a block`)
  return headers
}
