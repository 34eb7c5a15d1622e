// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum zlib, PNG and
// Ethernet use. The level log store prefixes every value with it so a damaged record is
// detected on load. crc32 of the ASCII bytes "123456789" is 0xCBF43926.

import * as zlib from 'node:zlib'

const TABLE: Uint32Array = buildTable()
/** zlib's native crc32 (Node >= 20.15), several times faster than the table below. */
const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32

function buildTable (): Uint32Array {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) {
      c = (c & 1) !== 0 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1
    }
    table[n] = c >>> 0
  }
  return table
}

/** The CRC-32 of `bytes` as an unsigned 32-bit integer. */
export function crc32 (bytes: Uint8Array): number {
  return native !== undefined ? native(bytes) >>> 0 : crc32Table(bytes)
}

/** The portable implementation, also used to check the native one in tests. */
export function crc32Table (bytes: Uint8Array): number {
  let c = 0xFFFFFFFF
  for (let i = 0; i < bytes.length; i++) {
    // Both indexes are in range by construction: bytes[i] for i < length, and (x & 0xFF) < 256.
    c = TABLE[(c ^ bytes[i]!) & 0xFF]! ^ (c >>> 8)
  }
  return (c ^ 0xFFFFFFFF) >>> 0
}
