// The caller's side of a streaming rpc call, on a stream of its own: it sends one
// REQUEST_STREAM, half-closes, and yields ITEMs until END (or throws on ERROR). Its flow
// control is the stream's: past `highWaterMark` unread values the stream is paused, so a slow
// reader slows the handler (yamux window) instead of filling memory. Leaving early resets the
// stream, which aborts the handler's signal on the other side.

import type { Stream } from '@libp2p/interface'
import { PeerUnreachableError, RpcError, RpcTimeoutError } from './errors.ts'
import { FrameDecoder } from './frames.ts'
import { FrameWriter } from './frame-writer.ts'
import { END, ERROR, ITEM, REQUEST_STREAM, parseWire } from './rpc-wire.ts'

export interface StreamCallOptions {
  signal: AbortSignal
  highWaterMark: number
  maxFrameLength?: number
}

export async function * streamCall (stream: Stream, peerId: string, method: string, request: unknown, options: StreamCallOptions): AsyncGenerator<unknown, void, undefined> {
  const { signal, highWaterMark } = options
  const items: unknown[] = []
  let head = 0 // items before it were yielded
  let ended = false
  let failure: Error | undefined
  let wake: (() => void) | undefined
  const decoder = new FrameDecoder({ maxFrameLength: options.maxFrameLength })
  stream.addEventListener('message', (evt) => {
    try {
      for (const value of decoder.push(evt.data)) {
        const msg = parseWire(value)
        if (msg?.tag === ITEM) items.push(msg.body)
        else if (msg?.tag === END) ended = true
        else if (msg?.tag === ERROR) failure = new RpcError(method, peerId, msg.name, msg.message, msg.data)
      }
    } catch (err) {
      failure = err as Error
    }
    if (items.length - head >= highWaterMark && stream.readStatus === 'readable') stream.pause()
    wake?.()
  })
  stream.addEventListener('close', (evt) => {
    // A paused stream still holds what arrived before the close (maybe END): take it first.
    if (evt.error === undefined && stream.readStatus === 'paused') stream.resume()
    failure ??= evt.error ?? (ended ? undefined : new PeerUnreachableError(peerId, `The stream of ${method} on ${peerId} closed before the call ended`))
    wake?.()
  })
  if (stream.status !== 'open') failure = new PeerUnreachableError(peerId, `The stream of ${method} on ${peerId} closed before the call started`)
  const onAbort = (): void => { wake?.() }
  signal.addEventListener('abort', onAbort, { once: true })
  const writer = new FrameWriter(stream, { maxFrameLength: options.maxFrameLength })
  writer.write([REQUEST_STREAM, 0, method, request])
  void writer.close({ signal }) // one call per stream: the handler closes its end when it is done
  let complete = false
  try {
    for (;;) {
      if (signal.aborted) throw abortError(signal, method, peerId)
      if (head < items.length) {
        const item = items[head]
        items[head++] = undefined
        yield item
        if (items.length - head < highWaterMark / 2 && stream.readStatus === 'paused') stream.resume()
      } else if (failure !== undefined) {
        throw failure
      } else if (ended) {
        complete = true
        return
      } else {
        items.splice(0, head)
        head = 0
        await new Promise<void>(resolve => { wake = resolve })
        wake = undefined
      }
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
    if (!complete) stream.abort(new Error('the caller stopped reading'))
  }
}

/** The error for a call whose signal fired: RpcTimeoutError for a timeout, else the signal's reason. */
export function abortError (signal: AbortSignal, method: string, peerId: string): Error {
  const reason: unknown = signal.reason
  if (reason instanceof Error && reason.name === 'TimeoutError') return new RpcTimeoutError(method, peerId, { cause: reason })
  return reason instanceof Error ? reason : new RpcTimeoutError(method, peerId, { cause: reason })
}

/** Waits for `promise` unless the signal fires first (then throws abortError). */
export async function abortable<T> (promise: Promise<T>, signal: AbortSignal, method: string, peerId: string): Promise<T> {
  // Whatever happens to the caller, a later rejection of `promise` (a dial failing after the
  // caller gave up) must never become an unhandled rejection that stops the process.
  promise.catch(() => {})
  if (signal.aborted) throw abortError(signal, method, peerId)
  let onAbort: (() => void) | undefined
  try {
    return await Promise.race([promise, new Promise<never>((resolve, reject) => {
      onAbort = () => { reject(abortError(signal, method, peerId)) }
      signal.addEventListener('abort', onAbort, { once: true })
    })])
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort)
  }
}
