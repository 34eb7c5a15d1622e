// MessageChannel: best-effort, one-way delivery of values to peers — the Raft transport.
// Each peer gets one long-lived outbound stream, opened on the first send and re-opened
// after it fails (a SIGKILLed peer looks like a clean close), with backoff while the peer
// stays unreachable. send() never throws and never waits: values queue per peer (bounded,
// oldest dropped first — Raft tolerates loss), go out batched (one stream.send per tick, or
// per drain under load), and arrive in order per stream through onMessage handlers.
// Closing is two-sided: whoever is done closes its writable end, the other side follows.

import type { Stream } from '@libp2p/interface'
import { FrameDecoder } from './frames.ts'
import { FrameWriter } from './frame-writer.ts'
import type { StreamHost } from './host.ts'

export const RAFT_PROTOCOL = '/flotilla/raft/1.0.0'

export interface MessageChannelOptions {
  /** Protocol id. Default: RAFT_PROTOCOL ('/flotilla/raft/1.0.0'). */
  protocol?: string
  /** Most values queued per peer; beyond it the oldest are dropped. Default: 8192. */
  maxQueuedPerPeer?: number
  /** First delay before re-dialing an unreachable peer, in ms; it doubles per failure. Default: 50. */
  minReconnectDelay?: number
  /** Longest delay between re-dials, in ms. Default: 1000. */
  maxReconnectDelay?: number
  /** Largest frame accepted or sent, in bytes. Default: 64 MiB. */
  maxFrameLength?: number
  /** Where notices go (peer unreachable / back, corrupt streams). Default: stderr with a "[net]" prefix. */
  log?: (line: string) => void
}

export interface MessageChannelComponents {
  host: StreamHost
}

export type MessageHandler = (from: string, value: unknown) => void

export interface MessageChannelStats {
  /** Values handed to a stream. */
  sent: number
  /** Values delivered to handlers. */
  received: number
  /** Values dropped: queue full, peer unreachable or stream closed before they were written. */
  dropped: number
}

/** Per-peer outbound state. Invariant: `writer` is open, or `pending` holds what waits for the next one. */
interface Outbox {
  writer: FrameWriter | undefined
  pending: unknown[]
  opening: boolean
  failures: number
  retry: ReturnType<typeof setTimeout> | undefined
}

export class MessageChannel {
  readonly protocol: string
  private readonly host: StreamHost
  private readonly maxQueued: number
  private readonly minDelay: number
  private readonly maxDelay: number
  private readonly maxFrameLength: number | undefined
  private readonly log: (line: string) => void
  private readonly outboxes = new Map<string, Outbox>()
  private readonly inbound = new Set<Stream>()
  private readonly handlers = new Set<MessageHandler>()
  private readonly counters: MessageChannelStats = { sent: 0, received: 0, dropped: 0 }
  private running = false
  private stopController = new AbortController()

  constructor (components: MessageChannelComponents, options: MessageChannelOptions = {}) {
    this.host = components.host
    this.protocol = options.protocol ?? RAFT_PROTOCOL
    this.maxQueued = options.maxQueuedPerPeer ?? 8192
    this.minDelay = options.minReconnectDelay ?? 50
    this.maxDelay = options.maxReconnectDelay ?? 1000
    this.maxFrameLength = options.maxFrameLength
    this.log = options.log ?? ((line: string) => { process.stderr.write(`[net] ${line}\n`) })
  }

  get stats (): MessageChannelStats {
    return { ...this.counters }
  }

  async start (): Promise<void> {
    if (this.running) return
    this.running = true
    this.stopController = new AbortController()
    await this.host.handle(this.protocol, (stream, from) => { this.accept(stream, from) })
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    this.stopController.abort()
    await this.host.unhandle(this.protocol)
    const closing: Array<Promise<void>> = []
    for (const outbox of this.outboxes.values()) {
      clearTimeout(outbox.retry)
      this.counters.dropped += outbox.pending.length
      if (outbox.writer !== undefined) closing.push(outbox.writer.close({ signal: AbortSignal.timeout(1000) }))
    }
    this.outboxes.clear()
    for (const stream of this.inbound) closing.push(closeStream(stream))
    this.inbound.clear()
    await Promise.all(closing)
  }

  /** Drops a peer's queue and closes its stream (e.g. it left the cluster). Sending to it again reopens one. */
  async forget (peerId: string): Promise<void> {
    const outbox = this.outboxes.get(peerId)
    if (outbox === undefined) return
    this.outboxes.delete(peerId)
    clearTimeout(outbox.retry)
    this.counters.dropped += outbox.pending.length
    await outbox.writer?.close({ signal: AbortSignal.timeout(1000) })
  }

  /** Registers a handler for incoming values; returns a function that unregisters it. */
  onMessage (handler: MessageHandler): () => void {
    this.handlers.add(handler)
    return () => { this.handlers.delete(handler) }
  }

  /** Queues values for the peer. Best effort: never throws, drops (and counts) what it cannot deliver. */
  send (peerId: string, values: readonly unknown[]): void {
    if (!this.running) {
      this.counters.dropped += values.length
      return
    }
    let outbox = this.outboxes.get(peerId)
    if (outbox === undefined) {
      outbox = { writer: undefined, pending: [], opening: false, failures: 0, retry: undefined }
      this.outboxes.set(peerId, outbox)
    }
    if (outbox.writer?.open === true) {
      for (const value of values) outbox.writer.write(value)
      this.counters.sent += values.length
      return
    }
    for (const value of values) outbox.pending.push(value) // no spread: a burst may exceed the argument limit
    const excess = outbox.pending.length - this.maxQueued
    if (excess > 0) {
      outbox.pending.splice(0, excess)
      this.counters.dropped += excess
    }
    this.open(peerId, outbox)
  }

  /** Opens the peer's stream unless that is under way or waiting for its backoff. */
  private open (peerId: string, outbox: Outbox): void {
    if (outbox.opening || outbox.retry !== undefined || !this.running) return
    outbox.opening = true
    this.host.newStream(peerId, this.protocol, { signal: this.stopController.signal }).then((stream) => {
      outbox.opening = false
      if (!this.running || this.outboxes.get(peerId) !== outbox) {
        stream.abort(new Error('message channel stopped'))
        return
      }
      if (outbox.failures > 0) this.log(`message channel: ${peerId} is reachable again`)
      outbox.failures = 0
      const writer: FrameWriter = new FrameWriter(stream, {
        maxQueued: this.maxQueued,
        maxFrameLength: this.maxFrameLength,
        onDrop: () => { this.counters.dropped++ },
        onClose: () => {
          if (outbox.writer === writer) outbox.writer = undefined
          if (outbox.pending.length > 0) this.open(peerId, outbox)
        }
      })
      // The remote side never writes on this stream: its closing means it is done with it.
      stream.addEventListener('remoteCloseWrite', () => { void writer.close({ signal: AbortSignal.timeout(1000) }) })
      outbox.writer = writer
      const pending = outbox.pending
      outbox.pending = []
      for (const value of pending) {
        if (writer.write(value)) this.counters.sent++
        else this.counters.dropped++
      }
    }, (err: unknown) => {
      outbox.opening = false
      if (!this.running) return
      if (outbox.failures++ === 0) {
        this.log(`message channel: cannot reach ${peerId} (${(err as Error).message}); retrying while there is traffic for it`)
      }
      const delay = Math.min(this.maxDelay, this.minDelay * 2 ** (outbox.failures - 1))
      outbox.retry = setTimeout(() => {
        outbox.retry = undefined
        if (outbox.pending.length > 0) this.open(peerId, outbox)
      }, delay)
      outbox.retry.unref?.()
    })
  }

  private accept (stream: Stream, from: string): void {
    if (!this.running) {
      stream.abort(new Error('message channel stopped'))
      return
    }
    this.inbound.add(stream)
    const decoder = new FrameDecoder({ maxFrameLength: this.maxFrameLength })
    stream.addEventListener('message', (evt) => {
      let values: unknown[]
      try {
        values = decoder.push(evt.data)
      } catch (err) {
        this.log(`message channel: dropping the stream from ${from}: ${(err as Error).message}`)
        stream.abort(err as Error)
        return
      }
      for (const value of values) this.deliver(from, value)
    })
    stream.addEventListener('remoteCloseWrite', () => { void closeStream(stream) })
    stream.addEventListener('close', () => { this.inbound.delete(stream) })
  }

  private deliver (from: string, value: unknown): void {
    this.counters.received++
    for (const handler of this.handlers) {
      try {
        handler(from, value)
      } catch (err) {
        this.log(`message channel: a message handler threw: ${(err as Error).stack ?? String(err)}`)
      }
    }
  }
}

/** Closes our writable end (the remote sees remoteCloseWrite), or resets the stream if that stalls. */
async function closeStream (stream: Stream): Promise<void> {
  try {
    await stream.close({ signal: AbortSignal.timeout(1000) })
  } catch (err) {
    stream.abort(err as Error)
  }
}
