// Tunnels: a two-way byte stream between two peers over '/flotilla/tunnel/1.0.0', for the
// traffic that is neither a call nor a one-way stream — an interactive exec, a port-forward.
// The caller opens a tunnel by name with a header value; the named handler on the other peer
// accepts it with a local Duplex (a socket, a process's streams), or refuses it by throwing,
// and the caller's open() rejects with that error as an RpcError (its name, message, fields).
// After that each side is a Node Duplex whose chunks cross one for one (each write arrives as
// one chunk: message boundaries are kept). end() on one side ends the other's readable;
// destroy() with an error, a reset stream or a peer that goes away destroys both (an
// 'error' nobody listens to is not thrown: watch 'close').
// Backpressure holds end to end: a full reader pauses the libp2p stream (yamux window), a
// full stream holds the writer's callback.
//
//   caller → handler   [OPEN, name, header]
//   handler → caller   [ACCEPT] | [REFUSE, errorName, message, data?]
//   both ways          [DATA, bytes] …, then closing the writable end of the stream = end()

import { Duplex } from 'node:stream'
import type { AbortOptions, Stream } from '@libp2p/interface'
import { NetStoppedError, PeerUnreachableError, RpcError } from './errors.ts'
import { FrameDecoder } from './frames.ts'
import { FrameWriter } from './frame-writer.ts'
import type { StreamHost } from './host.ts'
import { abortable } from './rpc-stream-call.ts'
import { errorMessage } from './rpc-wire.ts'

export const TUNNEL_PROTOCOL = '/flotilla/tunnel/1.0.0'

const OPEN = 0
const ACCEPT = 1
const REFUSE = 2
const DATA = 3

/**
 * Accepts a tunnel: resolves to the local end that the tunnel's bytes go to and come from,
 * or throws to refuse it. `signal` fires when the tunnel ends or the service stops.
 */
export type TunnelHandler = (header: unknown, from: string, signal: AbortSignal) => Promise<Duplex>

export interface TunnelsOptions {
  /** Protocol id. Default: TUNNEL_PROTOCOL. */
  protocol?: string
  /** Tunnels one peer may have open to this one per connection. Default: 1024. */
  maxInboundStreams?: number
  /** Largest frame accepted or sent, in bytes. Default: 64 MiB. */
  maxFrameLength?: number
  /** How long open() waits for the handler to accept, without a signal. Default: 30000 ms. */
  openTimeout?: number
  /** Where notices go. Default: stderr with a "[net]" prefix. */
  log?: (line: string) => void
}

export interface TunnelsComponents {
  host: StreamHost
}

export class Tunnels {
  readonly protocol: string
  private readonly host: StreamHost
  private readonly handlers = new Map<string, TunnelHandler>()
  private readonly open = new Set<Stream>()
  private readonly log: (line: string) => void
  private running = false
  private stopController = new AbortController()

  constructor (components: TunnelsComponents, private readonly options: TunnelsOptions = {}) {
    this.host = components.host
    this.protocol = options.protocol ?? TUNNEL_PROTOCOL
    this.log = options.log ?? ((line: string) => { process.stderr.write(`[net] ${line}\n`) })
  }

  async start (): Promise<void> {
    if (this.running) return
    this.running = true
    this.stopController = new AbortController()
    const max = this.options.maxInboundStreams ?? 1024
    await this.host.handle(this.protocol, (stream, from) => { this.accept(stream, from) }, { maxInboundStreams: max, maxOutboundStreams: max })
  }

  /** Resets every open tunnel (both ends see an error). */
  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    this.stopController.abort(new NetStoppedError('The tunnel service stopped'))
    await this.host.unhandle(this.protocol)
    for (const stream of this.open) stream.abort(new NetStoppedError('The tunnel service stopped'))
    this.open.clear()
  }

  /** Serves tunnels opened with `name`. */
  handle (name: string, handler: TunnelHandler): void {
    this.handlers.set(name, handler)
  }

  unhandle (name: string): void {
    this.handlers.delete(name)
  }

  /**
   * Opens a tunnel to the peer's `name` handler. Resolves once the handler accepted; rejects
   * with RpcError (what the handler threw), PeerUnreachableError, or the signal's reason.
   * The signal bounds the opening only: end or destroy the Duplex to finish.
   */
  async connect (peerId: string, name: string, header: unknown, options: AbortOptions = {}): Promise<Duplex> {
    if (!this.running) throw new NetStoppedError()
    const signal = AbortSignal.any([options.signal ?? AbortSignal.timeout(this.options.openTimeout ?? 30_000), this.stopController.signal])
    const stream = await abortable(this.host.newStream(peerId, this.protocol, { signal }), signal, name, peerId)
    this.track(stream)
    const tunnel = new StreamDuplex(stream, this.options.maxFrameLength)
    let onAbort: (() => void) | undefined
    try {
      const reply = await new Promise<unknown[]>((resolve, reject) => {
        tunnel.onFirst = resolve
        tunnel.onFail = reject
        onAbort = () => { reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason))) }
        signal.addEventListener('abort', onAbort, { once: true })
        tunnel.writer.write([OPEN, name, header])
      })
      if (reply[0] === ACCEPT) return tunnel
      const remote = reply[0] === REFUSE ? reply : [REFUSE, 'Error', 'malformed answer to a tunnel request']
      throw new RpcError(name, peerId, String(remote[1]), String(remote[2]), isRecord(remote[3]) ? remote[3] : undefined)
    } catch (err) {
      const reason = err instanceof Error ? err : new Error(String(err))
      tunnel.destroy(reason)
      if (reason instanceof RpcError || signal.aborted) throw reason
      throw new PeerUnreachableError(peerId, `The tunnel ${name} to ${peerId} closed before it was accepted: ${reason.message}`, { cause: reason })
    } finally {
      if (onAbort !== undefined) signal.removeEventListener('abort', onAbort)
      tunnel.onFirst = undefined
      tunnel.onFail = undefined
    }
  }

  private track (stream: Stream): void {
    this.open.add(stream)
    stream.addEventListener('close', () => { this.open.delete(stream) })
  }

  private accept (stream: Stream, from: string): void {
    if (!this.running) {
      stream.abort(new NetStoppedError())
      return
    }
    this.track(stream)
    const tunnel = new StreamDuplex(stream, this.options.maxFrameLength)
    const ended = new AbortController()
    const stop = this.stopController.signal
    const signal = AbortSignal.any([ended.signal, stop])
    tunnel.once('close', () => { ended.abort(new Error('the tunnel closed')) })
    tunnel.onFail = () => {}
    tunnel.onFirst = (msg) => {
      const handler = msg[0] === OPEN && typeof msg[1] === 'string' ? this.handlers.get(msg[1]) : undefined
      if (handler === undefined) {
        const what = msg[0] === OPEN ? `no tunnel handler for "${String(msg[1])}"` : 'a tunnel must start with an OPEN message'
        tunnel.refuse(['NoSuchTunnelError', `${this.host.peerId} has ${what}`])
        return
      }
      handler(msg[2], from, signal).then((local) => {
        if (tunnel.destroyed) {
          local.destroy()
          return
        }
        tunnel.writer.write([ACCEPT])
        splice(tunnel, local)
      }, (err: unknown) => {
        const [, , name, message, data] = errorMessage(0, err)
        tunnel.refuse(data === undefined ? [name, message] : [name, message, data])
      }).catch((err: unknown) => {
        this.log(`tunnel: accepting ${String(msg[1])} from ${from} failed: ${(err as Error).message}`)
        tunnel.destroy(err as Error)
      })
    }
  }
}

/** Joins two duplexes: each one's data and end go to the other; an error on either destroys both. */
function splice (a: Duplex, b: Duplex): void {
  const fail = (err: Error): void => {
    a.destroy(err)
    b.destroy(err)
  }
  a.on('error', fail)
  b.on('error', fail)
  a.pipe(b)
  b.pipe(a)
  // Destroyed without an error (a socket reset, a closed session): the other goes too, unless both ended cleanly.
  a.once('close', () => { if (!b.destroyed && !(a.readableEnded && a.writableFinished)) b.destroy() })
  b.once('close', () => { if (!a.destroyed && !(b.readableEnded && b.writableFinished)) a.destroy() })
}

/**
 * One end of a tunnel as a Node Duplex over a libp2p stream: object mode, each chunk one
 * DATA frame. Until the handshake is done, control messages go to onFirst.
 */
class StreamDuplex extends Duplex {
  readonly writer: FrameWriter
  onFirst: ((msg: unknown[]) => void) | undefined
  onFail: ((err: Error) => void) | undefined
  private paused = false

  constructor (private readonly stream: Stream, maxFrameLength: number | undefined) {
    super({ objectMode: true, allowHalfOpen: true })
    // A peer that resets the stream must never be an uncaught error of this process: users
    // see 'error' if they listen, and 'close' with `destroyed` in any case.
    this.on('error', () => {})
    this.writer = new FrameWriter(stream, { maxFrameLength })
    const decoder = new FrameDecoder({ maxFrameLength })
    stream.addEventListener('message', (evt) => {
      let values: unknown[]
      try {
        values = decoder.push(evt.data)
      } catch (err) {
        this.destroy(err as Error)
        return
      }
      for (const value of values) this.receive(value)
    })
    stream.addEventListener('remoteCloseWrite', () => {
      if (this.onFirst !== undefined) this.onFail?.(new Error('the other side closed the tunnel'))
    })
    // 'end', not 'remoteCloseWrite': a paused stream may still hold data sent before the close.
    stream.addEventListener('end', () => { this.push(null) })
    stream.addEventListener('close', (evt) => {
      // A paused stream still holds what arrived before a clean close: take it first.
      if (evt.error === undefined && stream.readStatus === 'paused') stream.resume()
      const err = evt.error ?? (this.readableEnded || this.onFirst === undefined ? undefined : new Error('the tunnel closed'))
      if (this.onFirst !== undefined) this.onFail?.(err ?? new Error('the tunnel closed'))
      if (err !== undefined) this.destroy(err)
      else if (!this.readableEnded) this.push(null)
    })
  }

  /** Answers the OPEN with a refusal and closes. */
  refuse (answer: unknown[]): void {
    this.writer.write([REFUSE, ...answer])
    void this.writer.close({ signal: AbortSignal.timeout(1000) })
  }

  private receive (value: unknown): void {
    if (!Array.isArray(value)) {
      this.destroy(new Error('malformed tunnel message'))
      return
    }
    const first = this.onFirst
    if (first !== undefined) {
      // Cleared first: DATA in the same chunk as ACCEPT is data.
      this.onFirst = undefined
      this.onFail = undefined
      first(value)
      return
    }
    if (value[0] !== DATA || !(value[1] instanceof Uint8Array)) {
      this.destroy(new Error('malformed tunnel message'))
      return
    }
    const bytes = Buffer.isBuffer(value[1]) ? value[1] : Buffer.from(value[1].buffer, value[1].byteOffset, value[1].byteLength)
    if (!this.push(bytes) && !this.paused && this.stream.readStatus === 'readable') {
      this.paused = true
      this.stream.pause()
    }
  }

  override _read (): void {
    if (this.paused) {
      this.paused = false
      this.stream.resume()
    }
  }

  override _write (chunk: unknown, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    if (!(bytes instanceof Uint8Array)) {
      done(new TypeError('a tunnel carries bytes: write Buffers or strings'))
      return
    }
    if (!this.writer.write([DATA, bytes])) {
      done(new Error('the tunnel is closed'))
      return
    }
    // Let the batch go out, then hold the next write while the stream is full.
    queueMicrotask(() => { this.writer.drained().then(() => { done() }, (err: unknown) => { done(err as Error) }) })
  }

  override _final (done: (err?: Error | null) => void): void {
    this.writer.close({ signal: AbortSignal.timeout(10_000) }).then(() => { done() }, (err: unknown) => { done(err as Error) })
  }

  override _destroy (err: Error | null, done: (err?: Error | null) => void): void {
    if (this.stream.status === 'open' || this.stream.status === 'closing') {
      if (err !== null || !(this.readableEnded && this.writableFinished)) this.stream.abort(err ?? new Error('the tunnel was destroyed'))
    }
    done(err)
  }
}

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
}
