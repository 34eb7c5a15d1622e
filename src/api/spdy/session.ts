// The server side of one SPDY/3.1 connection (SPDY Protocol Draft 3.1): reads frames from the
// transport, keeps the streams the peer opens, answers PING, honours RST_STREAM, GOAWAY,
// SETTINGS and WINDOW_UPDATE, and writes this side's frames. The peer opens streams (odd IDs,
// increasing); this side never does. A malformed frame or header block is a session error:
// GOAWAY with PROTOCOL_ERROR, then the connection closes. Frames for streams that are gone are
// answered with RST_STREAM (never opened) or dropped (closed since).
//
// Flow control: data handed on to a stream's reader is acknowledged with WINDOW_UPDATE frames
// (per stream and, as 3.1 adds, for the session). Incoming data is bounded by pausing the
// transport while a stream's reader is full or the streams together hold too much. Outgoing
// data waits for the transport to drain, and for the peer's windows once the peer shows it
// keeps them (it sent SETTINGS or a WINDOW_UPDATE): kubectl's SPDY library (spdystream)
// neither sends WINDOW_UPDATE nor checks windows, so waiting on windows it never opens would
// stall every transfer after 64 KiB.

import { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import {
  DEFAULT_WINDOW, encodeFrame, FLAG_FIN, FLAG_UNIDIRECTIONAL, FrameDecoder, GoAwayStatus, MAX_WINDOW,
  RstStatus, SETTINGS_INITIAL_WINDOW_SIZE, SpdyFrameError, type Frame
} from './frames.ts'
import { decodeHeaderBlock, encodeHeaderBlock } from './header-block.ts'
import { HeaderCompressor, HeaderDecompressor } from './header-compression.ts'
import { SpdyStream, type StreamOwner } from './stream.ts'

export interface SpdySessionOptions {
  /** Largest frame payload accepted from the peer. Default 1 MiB. */
  maxFramePayload?: number
  /** Largest data frame this side sends. Default 64 KiB. */
  maxDataFrame?: number
  /** Acknowledge received data once this much is consumed. Default 32 KiB. */
  windowUpdateThreshold?: number
  /** Streams open at once; more are refused with REFUSED_STREAM. Default 1000. */
  maxStreams?: number
  /**
   * Bytes queued to a peer that does not read. Data waits for the transport to drain, so only
   * answers to the peer's own frames (PING, RST_STREAM) can pile up: past this, the peer is
   * flooding without reading and the session ends. Default 16 MiB.
   */
  maxUnsent?: number
  /** Bytes received and not yet read, over all streams, before the transport pauses. Default 4 MiB. */
  maxBuffered?: number
}

export interface SpdySessionEvents {
  /** A stream the peer opened: the listener replies (stream.reply()) or resets it. */
  stream: [stream: SpdyStream]
  /** The session ended; `error` says why when it was not a clean close. */
  close: [error?: Error]
}

/** Frames waiting for their turn (header frames wait on the inflater). */
const MAX_QUEUED_FRAMES = 64

export class SpdySession extends EventEmitter<SpdySessionEvents> implements StreamOwner {
  readonly streams = new Map<number, SpdyStream>()
  private readonly decoder: FrameDecoder
  private readonly inflater = new HeaderDecompressor()
  private readonly deflater = new HeaderCompressor()
  private readonly maxDataFrame: number
  private readonly updateThreshold: number
  private readonly maxStreams: number
  private readonly maxUnsent: number
  private readonly maxBuffered: number
  /** The streams' unread bytes together were above maxBuffered at the last count. */
  private overBudget = false
  /** The highest stream ID the peer has opened. */
  private lastPeerStreamId = 0
  private readonly queue: Frame[] = []
  private pumping = false
  private readonly blocked = new Set<SpdyStream>()
  private paused = false
  private goingAway = false
  private ended = false
  /** Send-side windows: kept always, waited on only once the peer shows it keeps them. */
  private peerFlowControl = false
  private initialSendWindow = DEFAULT_WINDOW
  private sessionSendWindow = DEFAULT_WINDOW
  private sessionUnacked = 0
  /** Writers waiting for the transport to drain or a window to open. */
  private waiters: Array<() => void> = []
  private drainHooked = false

  constructor (private readonly transport: Duplex, options: SpdySessionOptions = {}) {
    super()
    this.decoder = new FrameDecoder(options.maxFramePayload ?? 1 << 20)
    this.maxDataFrame = options.maxDataFrame ?? 64 * 1024
    this.updateThreshold = options.windowUpdateThreshold ?? 32 * 1024
    this.maxStreams = options.maxStreams ?? 1000
    this.maxUnsent = options.maxUnsent ?? 16 << 20
    this.maxBuffered = options.maxBuffered ?? 4 << 20
    transport.on('data', (chunk: Buffer) => { this.onBytes(chunk) })
    transport.on('end', () => { this.end() })
    transport.on('close', () => { this.end() })
    transport.on('error', (err: Error) => { this.end(err) })
  }

  /** Feeds bytes that arrived before the session took the transport (an upgrade's head). */
  unshift (head: Buffer): void {
    if (head.length > 0) this.onBytes(head)
  }

  /** True once the session has ended. */
  get closed (): boolean { return this.ended }

  /** Ends the session now: every stream closes, the transport is destroyed. */
  destroy (err?: Error): void {
    this.end(err)
  }

  // ---- input ----

  private onBytes (chunk: Buffer): void {
    if (this.ended) return
    let frames: Frame[]
    try {
      frames = this.decoder.push(chunk)
    } catch (err) {
      this.fail(err)
      return
    }
    for (const f of frames) this.queue.push(f)
    this.updateFlow()
    void this.pump()
  }

  /** Handles queued frames in order; a header frame waits for its block to inflate. */
  private async pump (): Promise<void> {
    if (this.pumping) return
    this.pumping = true
    try {
      while (!this.ended) {
        const f = this.queue.shift()
        if (f === undefined) break
        if (f.type === 'syn_stream' || f.type === 'syn_reply' || f.type === 'headers') {
          const block = decodeHeaderBlock(await this.inflater.inflate(f.headerBlock))
          if (this.ended) break
          if (f.type === 'syn_stream') this.onSynStream(f, block)
          else this.onHeaders(f.streamId, f.type, f.flags)
        } else {
          this.onFrame(f)
        }
        this.updateFlow()
      }
    } catch (err) {
      this.fail(err)
    } finally {
      this.pumping = false
    }
  }

  private onSynStream (f: Extract<Frame, { type: 'syn_stream' }>, headers: Map<string, string[]>): void {
    const id = f.streamId
    if (id % 2 === 0 || id <= this.lastPeerStreamId) {
      // Section 2.3.2: the client's IDs are odd and increase; anything else breaks the session.
      throw new SpdyFrameError(`SYN_STREAM ${id} after ${this.lastPeerStreamId}: a client's stream IDs are odd and increasing`)
    }
    this.lastPeerStreamId = id
    if (this.goingAway) return // Section 2.6.6: streams after GOAWAY are ignored.
    if ((f.flags & FLAG_UNIDIRECTIONAL) !== 0 || this.streams.size >= this.maxStreams) {
      this.write(encodeFrame({ type: 'rst_stream', streamId: id, status: RstStatus.REFUSED_STREAM }))
      return
    }
    const stream = new SpdyStream(id, headers, this, this.initialSendWindow)
    this.streams.set(id, stream)
    if ((f.flags & FLAG_FIN) !== 0) this.remoteFin(stream)
    this.emit('stream', stream)
    if (this.listenerCount('stream') === 0) stream.reset(RstStatus.REFUSED_STREAM)
  }

  private onHeaders (id: number, type: 'syn_reply' | 'headers', flags: number): void {
    const stream = this.streams.get(id)
    if (stream === undefined || type === 'syn_reply') {
      // This side opens no streams, so no SYN_REPLY is ever due; HEADERS need an open stream.
      if (id > this.lastPeerStreamId || type === 'syn_reply') this.resetUnknown(id, type === 'syn_reply' ? RstStatus.PROTOCOL_ERROR : RstStatus.INVALID_STREAM)
      stream?.reset(RstStatus.PROTOCOL_ERROR)
      return
    }
    if ((flags & FLAG_FIN) !== 0) this.remoteFin(stream)
  }

  private onFrame (f: Frame): void {
    switch (f.type) {
      case 'data': {
        const stream = this.streams.get(f.streamId)
        this.sessionUnacked += f.data.length
        if (stream === undefined || stream.remoteFinished || stream.destroyed) {
          // Never opened: INVALID_STREAM (section 2.2.2). Closed since (a reset crossing data
          // in flight): dropped quietly.
          if (f.streamId > this.lastPeerStreamId) this.resetUnknown(f.streamId, RstStatus.INVALID_STREAM)
          else if (stream !== undefined && !stream.destroyed) stream.reset(RstStatus.STREAM_ALREADY_CLOSED)
          this.ackSession()
          return
        }
        if (f.data.length > 0) {
          stream.unacked += f.data.length
          if (!stream.push(f.data)) this.blocked.add(stream)
          else this.ack(stream)
          if (this.unread() > this.maxBuffered) this.overBudget = true
        }
        if ((f.flags & FLAG_FIN) !== 0) this.remoteFin(stream)
        return
      }
      case 'rst_stream':
        this.streams.get(f.streamId)?.peerReset()
        return
      case 'settings':
        for (const e of f.entries) {
          if (e.id !== SETTINGS_INITIAL_WINDOW_SIZE) continue
          if (e.value > MAX_WINDOW) throw new SpdyFrameError(`SETTINGS_INITIAL_WINDOW_SIZE ${e.value} is above 2^31-1`)
          const delta = e.value - this.initialSendWindow
          this.initialSendWindow = e.value
          for (const s of this.streams.values()) s.sendWindow += delta
          this.peerFlowControl = true
          this.wake()
        }
        return
      case 'ping':
        // Section 2.6.5: the client's PINGs have odd IDs and are echoed; this side sends none.
        if (f.id % 2 === 1) this.write(encodeFrame(f))
        return
      case 'goaway':
        this.goingAway = true
        if (this.streams.size === 0) this.closeTransport()
        return
      case 'window_update': {
        this.peerFlowControl = true
        if (f.streamId === 0) {
          this.sessionSendWindow += f.delta
          if (this.sessionSendWindow > MAX_WINDOW) throw new SpdyFrameError('the session\'s send window grew above 2^31-1')
        } else {
          const stream = this.streams.get(f.streamId)
          if (stream === undefined) return
          stream.sendWindow += f.delta
          if (stream.sendWindow > MAX_WINDOW) stream.reset(RstStatus.FLOW_CONTROL_ERROR)
        }
        this.wake()
        return
      }
      case 'unknown':
        return
      default:
        throw new SpdyFrameError(`unexpected ${f.type} frame`)
    }
  }

  private remoteFin (stream: SpdyStream): void {
    if (stream.remoteFinished) return
    stream.remoteFinished = true
    stream.push(null)
  }

  private resetUnknown (id: number, status: number): void {
    this.write(encodeFrame({ type: 'rst_stream', streamId: id, status }))
  }

  /** Pauses the transport while a reader is full or frames pile up behind the inflater. */
  private updateFlow (): void {
    const stop = this.blocked.size > 0 || this.overBudget || this.queue.length > MAX_QUEUED_FRAMES
    if (stop && !this.paused) {
      this.paused = true
      this.transport.pause()
    } else if (!stop && this.paused && !this.ended) {
      this.paused = false
      this.transport.resume()
    }
  }

  /** WINDOW_UPDATE for what a stream's reader took, once there is enough of it. */
  private ack (stream: SpdyStream): void {
    if (stream.unacked >= this.updateThreshold && !stream.remoteFinished) {
      this.write(encodeFrame({ type: 'window_update', streamId: stream.id, delta: stream.unacked }))
      stream.unacked = 0
    }
    this.ackSession()
  }

  private ackSession (): void {
    if (this.sessionUnacked >= this.updateThreshold) {
      this.write(encodeFrame({ type: 'window_update', streamId: 0, delta: this.sessionUnacked }))
      this.sessionUnacked = 0
    }
  }

  // ---- output (StreamOwner) ----

  async sendReply (stream: SpdyStream, headers: Record<string, string>): Promise<void> {
    if (this.ended) return
    const block = await this.deflater.deflate(encodeHeaderBlock(headers))
    // The deflater's blocks go out in the order it made them: nothing awaits in between.
    this.write(encodeFrame({ type: 'syn_reply', streamId: stream.id, flags: 0, headerBlock: block }))
  }

  async sendData (stream: SpdyStream, data: Buffer, fin: boolean): Promise<void> {
    let at = 0
    do {
      if (this.ended || stream.destroyed) return
      let n = Math.min(data.length - at, this.maxDataFrame)
      if (this.peerFlowControl && n > 0) {
        const open = Math.min(stream.sendWindow, this.sessionSendWindow)
        if (open <= 0) {
          await this.waitForRoom()
          continue
        }
        n = Math.min(n, open)
      }
      const last = at + n === data.length
      stream.sendWindow -= n
      this.sessionSendWindow -= n
      const ok = this.write(encodeFrame({ type: 'data', streamId: stream.id, flags: fin && last ? FLAG_FIN : 0, data: data.subarray(at, at + n) }))
      at += n
      if (!ok) await this.waitForRoom()
    } while (at < data.length)
  }

  sendReset (stream: SpdyStream, status: number): void {
    this.write(encodeFrame({ type: 'rst_stream', streamId: stream.id, status }))
  }

  readResumed (stream: SpdyStream): void {
    if (this.blocked.delete(stream)) {
      this.ack(stream)
      this.updateFlow()
    }
  }

  dataTaken (): void {
    if (this.overBudget && this.unread() <= this.maxBuffered) {
      this.overBudget = false
      this.updateFlow()
    }
  }

  /** Bytes received on all streams and not read yet. */
  private unread (): number {
    let n = 0
    for (const s of this.streams.values()) n += s.readableLength
    return n
  }

  streamClosed (stream: SpdyStream): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id)
    this.blocked.delete(stream)
    if (this.overBudget && this.unread() <= this.maxBuffered) this.overBudget = false
    this.updateFlow()
    if (this.goingAway && this.streams.size === 0) this.closeTransport()
  }

  private write (frame: Buffer): boolean {
    if (this.ended || !this.transport.writable) return true
    const ok = this.transport.write(frame)
    if (this.transport.writableLength > this.maxUnsent) this.end(new Error(`the peer left more than ${this.maxUnsent} bytes unread`))
    return ok
  }

  /** Resolves when the transport drains, a window opens, or the session ends. */
  private async waitForRoom (): Promise<void> {
    if (this.ended) return
    await new Promise<void>((resolve) => {
      this.waiters.push(resolve)
      if (!this.drainHooked) {
        this.drainHooked = true
        this.transport.once('drain', () => {
          this.drainHooked = false
          this.wake()
        })
      }
    })
  }

  private wake (): void {
    const w = this.waiters
    this.waiters = []
    for (const resolve of w) resolve()
  }

  // ---- ending ----

  /** A session error: GOAWAY with the error's status, then the connection closes. */
  private fail (err: unknown): void {
    if (this.ended) return
    const status = err instanceof SpdyFrameError ? err.goAwayStatus : GoAwayStatus.INTERNAL_ERROR
    this.write(encodeFrame({ type: 'goaway', lastGoodStreamId: this.lastPeerStreamId, status }))
    this.closeTransport()
    this.end(err instanceof Error ? err : new Error(String(err)))
  }

  /** Ends this side of the transport, and destroys it if the peer does not close soon. */
  private closeTransport (): void {
    if (!this.transport.destroyed && !this.transport.writableEnded) this.transport.end()
    setTimeout(() => { this.transport.destroy() }, 2000).unref()
  }

  private end (err?: Error): void {
    if (this.ended) return
    this.ended = true
    this.queue.length = 0
    for (const s of [...this.streams.values()]) s.peerReset()
    this.streams.clear()
    this.inflater.close()
    this.deflater.close()
    this.wake()
    this.closeTransport()
    this.emit('close', err)
  }
}
