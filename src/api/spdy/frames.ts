// SPDY/3.1 framing (SPDY Protocol Draft 3.1, section 2.2): every frame has an 8-byte header.
// A control frame starts with the control bit, the version (3) and the type, then flags and a
// 24-bit payload length; a data frame starts with a 31-bit stream ID, then flags and length.
// This module turns bytes into frames and frames into bytes; header blocks stay compressed
// here (header-compression.ts inflates them). Malformed frames throw SpdyFrameError: the
// session answers them with GOAWAY, as a session error.

export const SPDY_VERSION = 3

export const FrameType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9
} as const

/** FLAG_FIN on data, SYN_STREAM, SYN_REPLY and HEADERS frames: the sender's last frame on the stream. */
export const FLAG_FIN = 0x01
/** FLAG_UNIDIRECTIONAL on SYN_STREAM: the recipient may not send on the stream. */
export const FLAG_UNIDIRECTIONAL = 0x02

/** RST_STREAM status codes (section 2.6.3). */
export const RstStatus = {
  PROTOCOL_ERROR: 1,
  INVALID_STREAM: 2,
  REFUSED_STREAM: 3,
  UNSUPPORTED_VERSION: 4,
  CANCEL: 5,
  INTERNAL_ERROR: 6,
  FLOW_CONTROL_ERROR: 7,
  STREAM_IN_USE: 8,
  STREAM_ALREADY_CLOSED: 9,
  FRAME_TOO_LARGE: 11
} as const

/** GOAWAY status codes (section 2.6.6). */
export const GoAwayStatus = { OK: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2 } as const

/** SETTINGS IDs this implementation acts on (section 2.6.4). */
export const SETTINGS_INITIAL_WINDOW_SIZE = 7

/** The flow-control window every stream and the session start with (64 KiB). */
export const DEFAULT_WINDOW = 65536
export const MAX_WINDOW = 0x7fffffff
const MAX_LENGTH = 0xffffff

export interface SettingsEntry { flags: number, id: number, value: number }

export type Frame =
  | { type: 'data', streamId: number, flags: number, data: Buffer }
  | { type: 'syn_stream', streamId: number, associatedId: number, priority: number, slot: number, flags: number, headerBlock: Buffer }
  | { type: 'syn_reply', streamId: number, flags: number, headerBlock: Buffer }
  | { type: 'rst_stream', streamId: number, status: number }
  | { type: 'settings', flags: number, entries: SettingsEntry[] }
  | { type: 'ping', id: number }
  | { type: 'goaway', lastGoodStreamId: number, status: number }
  | { type: 'headers', streamId: number, flags: number, headerBlock: Buffer }
  | { type: 'window_update', streamId: number, delta: number }
  /** A control frame of a type SPDY/3.1 does not define: ignored, as the spec says. */
  | { type: 'unknown', frameType: number, flags: number }

/** Bytes that are not a valid SPDY/3.1 frame. */
export class SpdyFrameError extends Error {
  override readonly name = 'SpdyFrameError'
  constructor (message: string, readonly goAwayStatus: number = GoAwayStatus.PROTOCOL_ERROR) {
    super(message)
  }
}

function header (control: boolean, first: number, flags: number, length: number): Buffer {
  if (length > MAX_LENGTH) throw new RangeError(`a SPDY frame payload is at most ${MAX_LENGTH} bytes, not ${length}`)
  const b = Buffer.allocUnsafe(8 + length)
  b.writeUInt32BE(control ? (0x80000000 | (SPDY_VERSION << 16) | first) >>> 0 : first & 0x7fffffff, 0)
  b.writeUInt32BE(((flags & 0xff) << 24 | length) >>> 0, 4)
  return b
}

function control (type: number, flags: number, payload: Buffer): Buffer {
  const b = header(true, type, flags, payload.length)
  payload.copy(b, 8)
  return b
}

function words (...values: number[]): Buffer {
  const b = Buffer.allocUnsafe(4 * values.length)
  values.forEach((v, i) => { b.writeUInt32BE(v >>> 0, 4 * i) })
  return b
}

/** The bytes of `frame` (its header block, if any, already compressed). */
export function encodeFrame (frame: Frame): Buffer {
  switch (frame.type) {
    case 'data': {
      const b = header(false, frame.streamId, frame.flags, frame.data.length)
      frame.data.copy(b, 8)
      return b
    }
    case 'syn_stream': {
      const fixed = Buffer.allocUnsafe(10)
      fixed.writeUInt32BE(frame.streamId & 0x7fffffff, 0)
      fixed.writeUInt32BE(frame.associatedId & 0x7fffffff, 4)
      fixed.writeUInt8((frame.priority & 0x7) << 5, 8)
      fixed.writeUInt8(frame.slot & 0xff, 9)
      return control(FrameType.SYN_STREAM, frame.flags, Buffer.concat([fixed, frame.headerBlock]))
    }
    case 'syn_reply':
      return control(FrameType.SYN_REPLY, frame.flags, Buffer.concat([words(frame.streamId & 0x7fffffff), frame.headerBlock]))
    case 'headers':
      return control(FrameType.HEADERS, frame.flags, Buffer.concat([words(frame.streamId & 0x7fffffff), frame.headerBlock]))
    case 'rst_stream':
      return control(FrameType.RST_STREAM, 0, words(frame.streamId & 0x7fffffff, frame.status))
    case 'settings': {
      const b = Buffer.allocUnsafe(4 + 8 * frame.entries.length)
      b.writeUInt32BE(frame.entries.length, 0)
      frame.entries.forEach((e, i) => {
        b.writeUInt32BE(((e.flags & 0xff) << 24 | (e.id & 0xffffff)) >>> 0, 4 + 8 * i)
        b.writeUInt32BE(e.value >>> 0, 8 + 8 * i)
      })
      return control(FrameType.SETTINGS, frame.flags, b)
    }
    case 'ping':
      return control(FrameType.PING, 0, words(frame.id))
    case 'goaway':
      return control(FrameType.GOAWAY, 0, words(frame.lastGoodStreamId & 0x7fffffff, frame.status))
    case 'window_update':
      return control(FrameType.WINDOW_UPDATE, 0, words(frame.streamId & 0x7fffffff, frame.delta & 0x7fffffff))
    case 'unknown':
      return control(frame.frameType, frame.flags, Buffer.alloc(0))
  }
}

function expectLength (what: string, length: number, wanted: number): void {
  if (length !== wanted) throw new SpdyFrameError(`a ${what} frame has a ${wanted}-byte payload, not ${length}`)
}

function decodeControl (type: number, flags: number, p: Buffer): Frame {
  switch (type) {
    case FrameType.SYN_STREAM: {
      if (p.length < 10) throw new SpdyFrameError(`a SYN_STREAM frame has at least 10 bytes of payload, not ${p.length}`)
      const streamId = p.readUInt32BE(0) & 0x7fffffff
      if (streamId === 0) throw new SpdyFrameError('SYN_STREAM for stream 0')
      return { type: 'syn_stream', streamId, associatedId: p.readUInt32BE(4) & 0x7fffffff, priority: p.readUInt8(8) >> 5, slot: p.readUInt8(9), flags, headerBlock: p.subarray(10) }
    }
    case FrameType.SYN_REPLY:
    case FrameType.HEADERS: {
      const what = type === FrameType.SYN_REPLY ? 'SYN_REPLY' : 'HEADERS'
      if (p.length < 4) throw new SpdyFrameError(`a ${what} frame has at least 4 bytes of payload, not ${p.length}`)
      const streamId = p.readUInt32BE(0) & 0x7fffffff
      if (streamId === 0) throw new SpdyFrameError(`${what} for stream 0`)
      return { type: type === FrameType.SYN_REPLY ? 'syn_reply' : 'headers', streamId, flags, headerBlock: p.subarray(4) }
    }
    case FrameType.RST_STREAM: {
      expectLength('RST_STREAM', p.length, 8)
      const streamId = p.readUInt32BE(0) & 0x7fffffff
      const status = p.readUInt32BE(4)
      if (streamId === 0 || status === 0) throw new SpdyFrameError(`RST_STREAM with stream ${streamId} and status ${status}`)
      return { type: 'rst_stream', streamId, status }
    }
    case FrameType.SETTINGS: {
      if (p.length < 4) throw new SpdyFrameError(`a SETTINGS frame has at least 4 bytes of payload, not ${p.length}`)
      const n = p.readUInt32BE(0)
      expectLength(`SETTINGS (${n} entries)`, p.length, 4 + 8 * n)
      const entries: SettingsEntry[] = []
      for (let i = 0; i < n; i++) {
        const w = p.readUInt32BE(4 + 8 * i)
        entries.push({ flags: w >>> 24, id: w & 0xffffff, value: p.readUInt32BE(8 + 8 * i) })
      }
      return { type: 'settings', flags, entries }
    }
    case FrameType.PING:
      expectLength('PING', p.length, 4)
      return { type: 'ping', id: p.readUInt32BE(0) }
    case FrameType.GOAWAY:
      expectLength('GOAWAY', p.length, 8)
      return { type: 'goaway', lastGoodStreamId: p.readUInt32BE(0) & 0x7fffffff, status: p.readUInt32BE(4) }
    case FrameType.WINDOW_UPDATE: {
      expectLength('WINDOW_UPDATE', p.length, 8)
      const delta = p.readUInt32BE(4) & 0x7fffffff
      if (delta === 0) throw new SpdyFrameError('WINDOW_UPDATE with a delta of 0')
      return { type: 'window_update', streamId: p.readUInt32BE(0) & 0x7fffffff, delta }
    }
    default:
      return { type: 'unknown', frameType: type, flags }
  }
}

/**
 * Cuts a byte stream into frames. Frames whose payload is larger than `maxPayload` are refused
 * before their bytes are buffered, so a peer cannot make the decoder hold more than that.
 */
export class FrameDecoder {
  private buffered: Buffer[] = []
  private size = 0

  constructor (private readonly maxPayload = 1 << 20) {}

  /** Adds bytes and returns the frames now complete; throws SpdyFrameError on a malformed frame. */
  push (chunk: Buffer): Frame[] {
    if (chunk.length > 0) {
      this.buffered.push(chunk)
      this.size += chunk.length
    }
    const frames: Frame[] = []
    while (this.size >= 8) {
      const head = this.peek(8)
      const first = head.readUInt32BE(0)
      const flags = head.readUInt8(4)
      const length = head.readUInt32BE(4) & 0xffffff
      if (length > this.maxPayload) throw new SpdyFrameError(`a frame of ${length} bytes is larger than the ${this.maxPayload} this server accepts`)
      if ((first & 0x80000000) !== 0) {
        const version = (first >>> 16) & 0x7fff
        if (version !== SPDY_VERSION) throw new SpdyFrameError(`SPDY version ${version} is not spoken here: only SPDY/3.1`)
      } else if ((first & 0x7fffffff) === 0) {
        throw new SpdyFrameError('a data frame for stream 0')
      }
      if (this.size < 8 + length) break
      const whole = this.take(8 + length)
      const payload = whole.subarray(8)
      frames.push((first & 0x80000000) !== 0
        ? decodeControl(first & 0xffff, flags, payload)
        : { type: 'data', streamId: first & 0x7fffffff, flags, data: payload })
    }
    return frames
  }

  /** Bytes held for a frame not yet complete. */
  get pending (): number { return this.size }

  private peek (n: number): Buffer {
    if ((this.buffered[0]?.length ?? 0) < n) this.buffered = [Buffer.concat(this.buffered)]
    return this.buffered[0] as Buffer
  }

  private take (n: number): Buffer {
    const first = this.peek(n)
    const out = first.subarray(0, n)
    if (first.length === n) this.buffered.shift()
    else this.buffered[0] = first.subarray(n)
    this.size -= n
    return out
  }
}
