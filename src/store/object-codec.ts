// Stored objects kept encoded: an object as its msgpack bytes held in a one-byte string (one
// character per byte; common words as two-byte tokens, msgpack-words.ts), and the store
// snapshot written from such strings without decoding them.
//
// Why: a deep-frozen object decoded by msgpackr costs ~560 heap bytes for a small ConfigMap
// (three objects with spare property slots, a property array, and a string per value); its
// msgpack bytes in a flat one-byte string cost ~250. For kinds the roles seldom read
// (ConfigMaps, Secrets: read when a container starts) the store keeps that form and decodes
// on read, ~2-3 µs per object. A string, not a Uint8Array: a typed array per object costs
// ~200 bytes of its own (view, ArrayBuffer, backing store) and a malloc.
//
// The snapshot (encodeSnapshot's msgpack { appliedIndex, objects }) is assembled from each
// object's bytes: msgpack of an array is its header and then the items' own encodings, so the
// bytes are the ones msgpackr writes for the whole value (a test checks it), old snapshots
// read as before, and no object is decoded to write one.

import { Packr } from 'msgpackr'
import { deepFreeze } from './deep.ts'
import { compact, expand, expandedLength, expandInto } from './msgpack-words.ts'
import type { KObject } from './types.ts'

const packr = new Packr({ useRecords: false })

/** The object's msgpack bytes as a one-byte string, common words as tokens (msgpack-words.ts). */
export function encodeObject (obj: KObject): string {
  return compact(packr.pack(obj))
}

/** The object encodeObject encoded, deep-frozen (a new copy on every call). */
export function decodeObject (encoded: string): KObject {
  return deepFreeze(packr.unpack(expand(encoded)) as KObject)
}

/** msgpack header of an array of `n` items (fixarray, array16, array32). */
function arrayHeader (n: number): number[] {
  if (n < 16) return [0x90 | n]
  if (n < 0x10000) return [0xdc, n >> 8, n & 0xff]
  return [0xdd, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]
}

/**
 * msgpack of { appliedIndex, objects } (the store snapshot), `objects` given as objects or as
 * encodeObject strings, in one buffer of exactly its size.
 */
export function packSnapshot (appliedIndex: number, objects: ReadonlyArray<KObject | string>): Uint8Array {
  // The map with an empty array packs as …"objects" 0x90: that last byte becomes the real header.
  const head = packr.pack({ appliedIndex, objects: [] })
  // msgpackr's views stay valid: it never writes over bytes it handed out.
  const items = objects.map((o) => typeof o === 'string' ? o : packr.pack(o))
  const header = arrayHeader(items.length)
  let size = head.length - 1 + header.length
  for (const item of items) size += typeof item === 'string' ? expandedLength(item) : item.length
  const out = Buffer.allocUnsafeSlow(size)
  out.set(head.subarray(0, head.length - 1), 0)
  let at = head.length - 1
  out.set(header, at)
  at += header.length
  for (const item of items) {
    if (typeof item === 'string') {
      at += expandInto(item, out, at)
    } else {
      out.set(item, at)
      at += item.length
    }
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}
