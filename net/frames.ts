// The wire codec: msgpack values in frames of a 4-byte big-endian length and that many bytes.
// Streams do not keep message boundaries, so every protocol writes frames. The encoder packs
// many values into one buffer (one stream.send, one yamux frame, one noise record per batch);
// the decoder is incremental: a frame may be split across chunks, a chunk may hold many.
// Frames above `maxFrameLength` are refused on both sides: the stream is then corrupt or
// hostile and must be aborted.

import { Packr } from 'msgpackr'
import { FrameDecodeError, FrameTooLargeError } from './errors.ts'

/** Default upper bound of one frame's payload: 64 MiB. */
export const DEFAULT_MAX_FRAME_LENGTH = 64 * 1024 * 1024

const HEADER_LENGTH = 4

/**
 * useRecords: false — a record extension could not be decoded without shared state.
 * copyBuffers: true — a decoded binary value must not pin the (much larger) network chunk
 * it arrived in, e.g. a Raft entry kept in memory.
 */
const packr = new Packr({ useRecords: false, copyBuffers: true })

/** A chunk as streams deliver it: one Uint8Array or a list of them (libp2p's Uint8ArrayList). */
export type Chunk = Uint8Array | Iterable<Uint8Array>

export interface FrameCodecOptions {
  /** Largest payload of one frame, in bytes. Default: DEFAULT_MAX_FRAME_LENGTH (64 MiB). */
  maxFrameLength?: number
}

/** Packs one value; throws FrameTooLargeError when it is above the limit. */
export function packValue (value: unknown, maxFrameLength = DEFAULT_MAX_FRAME_LENGTH): Uint8Array {
  const packed = packr.pack(value)
  if (packed.byteLength > maxFrameLength) throw new FrameTooLargeError(packed.byteLength, maxFrameLength)
  return packed
}

/** Frames already packed values into one buffer. */
export function framePacked (packed: readonly Uint8Array[]): Uint8Array {
  let total = 0
  for (const p of packed) total += HEADER_LENGTH + p.byteLength
  const out = new Uint8Array(total)
  const view = new DataView(out.buffer)
  let offset = 0
  for (const p of packed) {
    view.setUint32(offset, p.byteLength)
    out.set(p, offset + HEADER_LENGTH)
    offset += HEADER_LENGTH + p.byteLength
  }
  return out
}

/** Encodes values into one buffer of consecutive frames. Throws FrameTooLargeError for a value above the limit. */
export function encodeFrames (values: readonly unknown[], options: FrameCodecOptions = {}): Uint8Array {
  const max = options.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH
  return framePacked(values.map(v => packValue(v, max)))
}

/**
 * Incremental frame decoder. `push(chunk)` returns the values completed by that chunk, in
 * order. After it threw (FrameTooLargeError, FrameDecodeError) the decoder stays failed:
 * the caller must abort the stream.
 */
export class FrameDecoder {
  private readonly maxFrameLength: number
  private readonly header = new Uint8Array(HEADER_LENGTH)
  private headerFill = 0
  /** The frame being filled when it spans chunks; null between frames. */
  private frame: Uint8Array | null = null
  private frameFill = 0
  private failure: Error | null = null

  constructor (options: FrameCodecOptions = {}) {
    this.maxFrameLength = options.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH
  }

  /** Bytes of an unfinished frame held between chunks (0 at a frame boundary). */
  get pendingBytes (): number {
    return this.headerFill + (this.frame === null ? 0 : HEADER_LENGTH + this.frameFill)
  }

  push (chunk: Chunk): unknown[] {
    if (this.failure !== null) throw this.failure
    const out: unknown[] = []
    try {
      if (chunk instanceof Uint8Array) this.pushBytes(chunk, out)
      else for (const part of chunk) this.pushBytes(part, out)
    } catch (err) {
      this.failure = err instanceof Error ? err : new FrameDecodeError(String(err))
      throw this.failure
    }
    return out
  }

  private pushBytes (bytes: Uint8Array, out: unknown[]): void {
    let offset = 0
    while (offset < bytes.byteLength) {
      if (this.frame !== null) {
        const n = Math.min(this.frame.byteLength - this.frameFill, bytes.byteLength - offset)
        this.frame.set(bytes.subarray(offset, offset + n), this.frameFill)
        this.frameFill += n
        offset += n
        if (this.frameFill === this.frame.byteLength) {
          const frame = this.frame
          this.frame = null
          this.frameFill = 0
          out.push(this.unpack(frame))
        }
        continue
      }
      let length: number
      if (this.headerFill === 0 && bytes.byteLength - offset >= HEADER_LENGTH) {
        // Fast path: the whole header is in this chunk.
        length = readUint32(bytes, offset)
        offset += HEADER_LENGTH
      } else {
        const n = Math.min(HEADER_LENGTH - this.headerFill, bytes.byteLength - offset)
        this.header.set(bytes.subarray(offset, offset + n), this.headerFill)
        this.headerFill += n
        offset += n
        if (this.headerFill < HEADER_LENGTH) return
        this.headerFill = 0
        length = readUint32(this.header, 0)
      }
      if (length > this.maxFrameLength) throw new FrameTooLargeError(length, this.maxFrameLength)
      if (length === 0) throw new FrameDecodeError('An empty frame holds no value: the stream is corrupt')
      if (bytes.byteLength - offset >= length) {
        // Fast path: the whole payload is in this chunk; decode it in place.
        out.push(this.unpack(bytes.subarray(offset, offset + length)))
        offset += length
      } else {
        this.frame = new Uint8Array(length)
        this.frameFill = 0
      }
    }
  }

  private unpack (payload: Uint8Array): unknown {
    try {
      return packr.unpack(payload)
    } catch (err) {
      throw new FrameDecodeError(`A frame of ${payload.byteLength} bytes is not a valid msgpack value: ${(err as Error).message}`)
    }
  }
}

function readUint32 (bytes: Uint8Array, offset: number): number {
  // Indexes are in range: callers checked that 4 bytes are there.
  return ((bytes[offset]! << 24) >>> 0) + (bytes[offset + 1]! << 16) + (bytes[offset + 2]! << 8) + bytes[offset + 3]!
}
