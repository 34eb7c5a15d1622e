// Rpc: request/response between peers over '/flotilla/rpc/1.0.0'. Unary calls to a peer share
// one long-lived stream, multiplexed by request id and written in batches, so forwarding
// many writes to the leader costs a frame each, not a stream each. A streaming call
// (callStream) gets a stream of its own, so its flow control (a slow reader pauses the
// stream) never holds up other calls. Failures are named: RpcError (the remote handler
// threw; its name, message and fields are kept), RpcTimeoutError, PeerUnreachableError
// (NotInClusterError when the cluster key did not match), NetStoppedError.

import type { AbortOptions, Stream } from '@libp2p/interface'
import { NetStoppedError, PeerUnreachableError, RpcError } from './errors.ts'
import { FrameDecoder } from './frames.ts'
import { FrameWriter } from './frame-writer.ts'
import type { StreamHost } from './host.ts'
import { RpcSession, type RpcHandler, type RpcStreamHandler } from './rpc-server.ts'
import { abortable, abortError, streamCall } from './rpc-stream-call.ts'
import { CANCEL, ERROR, REQUEST, RESULT, RPC_PROTOCOL, parseWire, type WireMessage } from './rpc-wire.ts'

export interface RpcOptions {
  /** Protocol id. Default: RPC_PROTOCOL ('/flotilla/rpc/1.0.0'). */
  protocol?: string
  /** Timeout of a unary call made without a signal, in ms. Default: 30000. */
  defaultTimeout?: number
  /** Most calls one peer may run here at once; more get an RpcError named RpcBusyError. Default: 10000. */
  maxConcurrentPerPeer?: number
  /** Values a streaming call buffers before it pauses the stream. Default: 256. */
  streamHighWaterMark?: number
  /** Largest frame accepted or sent, in bytes. Default: 64 MiB. */
  maxFrameLength?: number
  /** Where notices go (corrupt streams). Default: stderr with a "[net]" prefix. */
  log?: (line: string) => void
}

export interface RpcComponents {
  host: StreamHost
}

/** A unary call waiting for its response. */
interface PendingCall {
  readonly method: string
  /** The stream the request went out on: if it dies, so does the call. */
  readonly writer: FrameWriter
  settle: (err: Error | undefined, value?: unknown) => void
}

/** The caller's side of the shared stream to one peer. */
interface Link {
  writer: FrameWriter | undefined
  opening: Promise<FrameWriter> | undefined
  readonly calls: Map<number, PendingCall>
}

export class Rpc {
  readonly protocol: string
  private readonly host: StreamHost
  private readonly unary = new Map<string, RpcHandler>()
  private readonly streaming = new Map<string, RpcStreamHandler>()
  private readonly links = new Map<string, Link>()
  private readonly sessions = new Set<RpcSession>()
  private readonly log: (line: string) => void
  private nextId = 1
  private running = false
  private stopController = new AbortController()

  constructor (components: RpcComponents, private readonly options: RpcOptions = {}) {
    this.host = components.host
    this.protocol = options.protocol ?? RPC_PROTOCOL
    this.log = options.log ?? ((line: string) => { process.stderr.write(`[net] ${line}\n`) })
  }

  async start (): Promise<void> {
    if (this.running) return
    this.running = true
    this.stopController = new AbortController()
    await this.host.handle(this.protocol, (stream, from) => { this.accept(stream, from) }, { maxInboundStreams: 256, maxOutboundStreams: 256 })
  }

  /** Fails calls in flight with NetStoppedError, cancels running handlers, closes every stream. */
  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    this.stopController.abort(new NetStoppedError())
    await this.host.unhandle(this.protocol)
    const closing: Array<Promise<void>> = []
    for (const link of this.links.values()) {
      failCalls(link, new NetStoppedError('The rpc service stopped before the response arrived'))
      if (link.writer !== undefined) closing.push(link.writer.close({ signal: AbortSignal.timeout(1000) }))
    }
    this.links.clear()
    for (const session of this.sessions) closing.push(session.close())
    this.sessions.clear()
    await Promise.all(closing)
  }

  /** Serves unary calls to `method`. What the handler throws reaches the caller as an RpcError. */
  handle (method: string, handler: RpcHandler): void {
    this.unary.set(method, handler)
  }

  /** Serves streaming calls to `method`: each value the handler yields reaches the caller in order. */
  handleStream (method: string, handler: RpcStreamHandler): void {
    this.streaming.set(method, handler)
  }

  unhandle (method: string): void {
    this.unary.delete(method)
    this.streaming.delete(method)
  }

  /** Calls `method` on the peer. Without a signal the call times out after `defaultTimeout`. */
  async call (peerId: string, method: string, request: unknown, options: AbortOptions = {}): Promise<unknown> {
    if (!this.running) throw new NetStoppedError()
    const signal = options.signal ?? AbortSignal.timeout(this.options.defaultTimeout ?? 30_000)
    const link = this.linkTo(peerId)
    if (signal.aborted) throw abortError(signal, method, peerId)
    const writer = await abortable(this.writerFor(peerId, link), signal, method, peerId)
    const id = this.nextId++
    let resolve!: (value: unknown) => void
    let reject!: (err: Error) => void
    const promise = new Promise<unknown>((res, rej) => { resolve = res; reject = rej })
    const onAbort = (): void => {
      if (link.calls.delete(id)) writer.write([CANCEL, id])
      reject(abortError(signal, method, peerId))
    }
    link.calls.set(id, {
      method,
      writer,
      settle: (err, value) => {
        signal.removeEventListener('abort', onAbort)
        if (err === undefined) resolve(value)
        else reject(err instanceof RpcRemoteFailure ? new RpcError(method, peerId, err.remoteName, err.message, err.data) : err)
      }
    })
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
    if (!writer.write([REQUEST, id, method, request])) {
      // The stream died between opening and this write; its close already failed the others.
      link.calls.delete(id)
      signal.removeEventListener('abort', onAbort)
      reject(new PeerUnreachableError(peerId, `The connection to ${peerId} closed before ${method} was sent`))
    }
    return await promise
  }

  /** Calls a streaming `method` on the peer and yields its values until it ends. Breaking out cancels it. */
  async * callStream (peerId: string, method: string, request: unknown, options: AbortOptions = {}): AsyncGenerator<unknown, void, undefined> {
    if (!this.running) throw new NetStoppedError()
    const signal = options.signal === undefined ? this.stopController.signal : AbortSignal.any([options.signal, this.stopController.signal])
    const stream = await abortable(this.host.newStream(peerId, this.protocol, { signal }), signal, method, peerId)
    yield * streamCall(stream, peerId, method, request, {
      signal,
      highWaterMark: this.options.streamHighWaterMark ?? 256,
      maxFrameLength: this.options.maxFrameLength
    })
  }

  private linkTo (peerId: string): Link {
    let link = this.links.get(peerId)
    if (link === undefined) {
      link = { writer: undefined, opening: undefined, calls: new Map() }
      this.links.set(peerId, link)
    }
    return link
  }

  /** The open writer of the peer's shared stream; concurrent callers share one dial. */
  private async writerFor (peerId: string, link: Link): Promise<FrameWriter> {
    if (link.writer?.open === true) return link.writer
    link.opening ??= this.openLink(peerId, link).finally(() => { link.opening = undefined })
    return await link.opening
  }

  private async openLink (peerId: string, link: Link): Promise<FrameWriter> {
    const stream = await this.host.newStream(peerId, this.protocol, { signal: this.stopController.signal })
    if (!this.running) {
      stream.abort(new NetStoppedError())
      throw new NetStoppedError()
    }
    const writer: FrameWriter = new FrameWriter(stream, {
      maxFrameLength: this.options.maxFrameLength,
      onDrop: (value, reason) => {
        const id: unknown = Array.isArray(value) && value[0] === REQUEST ? value[1] : undefined
        const call = typeof id === 'number' ? link.calls.get(id) : undefined
        if (call !== undefined) {
          link.calls.delete(id as number)
          call.settle(reason)
        }
      },
      onClose: () => {
        if (link.writer === writer) link.writer = undefined
        failCalls(link, new PeerUnreachableError(peerId, `The connection to ${peerId} closed before the response arrived`), writer)
      }
    })
    const decoder = new FrameDecoder({ maxFrameLength: this.options.maxFrameLength })
    stream.addEventListener('message', (evt) => {
      try {
        for (const value of decoder.push(evt.data)) settle(link, parseWire(value))
      } catch (err) {
        this.log(`rpc: dropping the stream to ${peerId}: ${(err as Error).message}`)
        writer.abort(err as Error)
      }
    })
    // The handler side closed its end (it is stopping): no response will come on this stream.
    stream.addEventListener('remoteCloseWrite', () => { void writer.close({ signal: AbortSignal.timeout(1000) }) })
    link.writer = writer
    return writer
  }

  private accept (stream: Stream, from: string): void {
    if (!this.running) {
      stream.abort(new NetStoppedError())
      return
    }
    const session = new RpcSession(stream, from, { unary: this.unary, streaming: this.streaming }, {
      self: this.host.peerId,
      maxFrameLength: this.options.maxFrameLength,
      maxConcurrent: this.options.maxConcurrentPerPeer ?? 10_000,
      log: this.log
    })
    this.sessions.add(session)
    stream.addEventListener('close', () => { this.sessions.delete(session) })
  }
}

/** A remote ERROR before it is turned into an RpcError (which needs the method and peer). */
class RpcRemoteFailure extends Error {
  constructor (readonly remoteName: string, message: string, readonly data: Record<string, unknown> | undefined) {
    super(message)
  }
}

function settle (link: Link, msg: WireMessage | undefined): void {
  if (msg === undefined) throw new Error('malformed rpc message')
  if (msg.tag !== RESULT && msg.tag !== ERROR) return
  const call = link.calls.get(msg.id)
  if (call === undefined) return // cancelled or timed out meanwhile
  link.calls.delete(msg.id)
  if (msg.tag === RESULT) call.settle(undefined, msg.body)
  else call.settle(new RpcRemoteFailure(msg.name, msg.message, msg.data))
}

/** Fails the link's calls (only those sent on `writer`, if given). */
function failCalls (link: Link, err: Error, writer?: FrameWriter): void {
  const failed: PendingCall[] = []
  for (const [id, call] of link.calls) {
    if (writer !== undefined && call.writer !== writer) continue
    link.calls.delete(id)
    failed.push(call)
  }
  for (const call of failed) call.settle(err)
}
