// The handler side of one inbound rpc stream. Requests run concurrently; each gets an
// AbortSignal that fires when the caller cancels or the stream dies. Responses go back on
// the same stream through a batching FrameWriter. A streaming handler's values wait for the
// stream to drain, so a slow caller slows the handler down instead of filling memory.
// When the caller closes its writable end, the session finishes what runs, then closes its own.

import type { Stream } from '@libp2p/interface'
import { FrameTooLargeError } from './errors.ts'
import { FrameDecoder } from './frames.ts'
import { FrameWriter } from './frame-writer.ts'
import {
  CANCEL, END, ERROR, ITEM, METHOD_NOT_FOUND, REQUEST, REQUEST_STREAM, RESULT,
  errorMessage, parseWire
} from './rpc-wire.ts'

/** Handles a unary call. `from` is the caller's PeerId; `signal` fires if the caller gives up. */
export type RpcHandler = (request: unknown, from: string, signal: AbortSignal) => Promise<unknown> | unknown

/** Handles a streaming call: the values it yields are the response, until it returns. */
export type RpcStreamHandler = (request: unknown, from: string, signal: AbortSignal) => AsyncIterable<unknown>

export interface RpcHandlerTable {
  readonly unary: ReadonlyMap<string, RpcHandler>
  readonly streaming: ReadonlyMap<string, RpcStreamHandler>
}

export interface RpcSessionOptions {
  /** This node's PeerId, for error messages. */
  self: string
  maxFrameLength?: number
  /** Most calls running at once on one stream; more get an RpcBusyError. */
  maxConcurrent: number
  log: (line: string) => void
}

export class RpcSession {
  private readonly running = new Map<number, AbortController>()
  private readonly writer: FrameWriter
  private callerDone = false

  constructor (
    readonly stream: Stream,
    private readonly from: string,
    private readonly handlers: RpcHandlerTable,
    private readonly options: RpcSessionOptions
  ) {
    this.writer = new FrameWriter(stream, {
      maxFrameLength: options.maxFrameLength,
      // A response too large to send still answers the call, with an error.
      onDrop: (value, reason) => {
        if (reason instanceof FrameTooLargeError && Array.isArray(value) && typeof value[1] === 'number') {
          this.writer.write(errorMessage(value[1], reason))
        }
      },
      onClose: () => {
        for (const call of this.running.values()) call.abort(new Error('the rpc stream closed'))
        this.running.clear()
      }
    })
    const decoder = new FrameDecoder({ maxFrameLength: options.maxFrameLength })
    stream.addEventListener('message', (evt) => {
      try {
        for (const value of decoder.push(evt.data)) this.receive(value)
      } catch (err) {
        this.options.log(`rpc: dropping the stream from ${from}: ${(err as Error).message}`)
        this.writer.abort(err as Error)
      }
    })
    stream.addEventListener('remoteCloseWrite', () => {
      this.callerDone = true
      this.maybeClose()
    })
  }

  /** Stops every running call and closes the stream (on rpc.stop()). */
  async close (): Promise<void> {
    for (const call of this.running.values()) call.abort(new Error('the rpc service is stopping'))
    await this.writer.close({ signal: AbortSignal.timeout(1000) })
  }

  private receive (value: unknown): void {
    const msg = parseWire(value)
    if (msg === undefined) throw new Error('malformed rpc message')
    if (msg.tag === CANCEL) {
      this.running.get(msg.id)?.abort(new Error('cancelled by the caller'))
      return
    }
    if (msg.tag !== REQUEST && msg.tag !== REQUEST_STREAM) return
    if (this.running.has(msg.id)) throw new Error(`rpc call id ${msg.id} reused while still running`)
    if (this.running.size >= this.options.maxConcurrent) {
      this.writer.write([ERROR, msg.id, 'RpcBusyError', `${this.options.self} runs ${this.running.size} calls from this peer already: retry later`])
      return
    }
    const controller = new AbortController()
    this.running.set(msg.id, controller)
    const run = msg.tag === REQUEST
      ? this.runUnary(msg.id, msg.method, msg.body, controller.signal)
      : this.runStream(msg.id, msg.method, msg.body, controller.signal)
    void run.finally(() => {
      this.running.delete(msg.id)
      this.maybeClose()
    })
  }

  private async runUnary (id: number, method: string, body: unknown, signal: AbortSignal): Promise<void> {
    const handler = this.handlers.unary.get(method)
    if (handler === undefined) {
      this.writer.write(this.notFound(id, method))
      return
    }
    try {
      const result = await handler(body, this.from, signal)
      if (!signal.aborted) this.writer.write([RESULT, id, result])
    } catch (err) {
      if (!signal.aborted) this.writer.write(errorMessage(id, err))
    }
  }

  private async runStream (id: number, method: string, body: unknown, signal: AbortSignal): Promise<void> {
    const handler = this.handlers.streaming.get(method)
    if (handler === undefined) {
      this.writer.write(this.notFound(id, method))
      return
    }
    try {
      for await (const item of handler(body, this.from, signal)) {
        if (signal.aborted) return
        this.writer.write([ITEM, id, item])
        await this.writer.drained({ signal })
      }
      if (!signal.aborted) this.writer.write([END, id])
    } catch (err) {
      if (!signal.aborted) this.writer.write(errorMessage(id, err))
    }
  }

  private notFound (id: number, method: string): unknown[] {
    return [ERROR, id, METHOD_NOT_FOUND, `${this.options.self} has no rpc handler for "${method}"`]
  }

  private maybeClose (): void {
    if (this.callerDone && this.running.size === 0) void this.writer.close({ signal: AbortSignal.timeout(1000) })
  }
}
