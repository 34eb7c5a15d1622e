// Cheaper end of every received noise record. @libp2p/utils' LengthPrefixedDecoder (used by
// @chainsafe/libp2p-noise to split the socket's bytes into records) decodes frames in a loop
// until the length decoder throws RangeError for lack of bytes, so every socket read ends in
// a `new RangeError(...)` — and creating an Error captures a stack trace. Measured on a
// follower at one write at a time: ~5 % of its CPU. The patch guards each decoder's length
// function: with fewer bytes than a length prefix needs, it throws one preallocated RangeError
// (no stack capture), which the library catches and treats exactly as before. Idempotent; a
// no-op if the library changes shape.

import { LengthPrefixedDecoder } from '@libp2p/utils'

type LengthDecoder<T extends { byteLength: number } = { byteLength: number }> = ((data: T) => number) & { bytes?: number }

interface DecoderState {
  lengthDecoder: LengthDecoder
  decode: (buf: Uint8Array) => Generator<unknown>
}

const PATCHED = Symbol.for('flotilla.length-prefix-fix')
const GUARDED = Symbol.for('flotilla.length-prefix-fix.guarded')

/** Thrown (never created again) when a buffer is too short to hold a length prefix. */
const SHORT = new RangeError('Not enough bytes for a length prefix (expected at the end of every read)')

/** `decode` that throws the shared RangeError on a buffer too short for any length prefix. */
export function guardLengthDecoder<T extends { byteLength: number }> (decode: LengthDecoder<T>): LengthDecoder<T> {
  if ((decode as LengthDecoder<T> & { [GUARDED]?: true })[GUARDED] === true) return decode
  // A fixed-width prefix (noise's uint16 says so in `bytes`) needs that many; a varint one byte.
  const min = typeof decode.bytes === 'number' && decode.bytes > 0 ? decode.bytes : 1
  const guarded: LengthDecoder<T> & { [GUARDED]?: true } = (data) => {
    if (data.byteLength < min) throw SHORT
    return decode(data)
  }
  guarded.bytes = decode.bytes
  guarded[GUARDED] = true
  return guarded
}

export function applyLengthPrefixFix (): void {
  const proto = LengthPrefixedDecoder.prototype as unknown as DecoderState & { [PATCHED]?: true }
  const original = proto.decode
  if (typeof original !== 'function' || proto[PATCHED] === true) return
  proto.decode = function (this: DecoderState, buf: Uint8Array): Generator<unknown> {
    if (typeof this.lengthDecoder === 'function') this.lengthDecoder = guardLengthDecoder(this.lengthDecoder)
    return original.call(this, buf)
  }
  proto[PATCHED] = true
}

applyLengthPrefixFix()
