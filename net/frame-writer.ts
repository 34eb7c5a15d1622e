// FrameWriter: writes values to one libp2p stream as frames, batched and with backpressure.
// Values written in the same tick go out in one stream.send (one yamux frame, one noise
// record). When send returns false the writer waits for the stream's 'drain' while values keep
// queueing, so the next batch is bigger: throughput grows with load instead of the queue
// of small writes. The queue can be bounded (drop oldest) for traffic that tolerates loss.
// Once the stream closes, the writer is dead: queued values are handed to onDrop.

import type { AbortOptions, Stream } from '@libp2p/interface'
import { DEFAULT_MAX_FRAME_LENGTH, framePacked, packValue } from './frames.ts'
import { NetStoppedError } from './errors.ts'

/** Bytes packed into one stream.send before the writer yields to the event loop. */
const MAX_BATCH_BYTES = 1024 * 1024

export interface FrameWriterOptions {
  /** Most values waiting to be written; beyond it the oldest is dropped. Default: unbounded. */
  maxQueued?: number
  /** Largest payload of one frame. Default: DEFAULT_MAX_FRAME_LENGTH (64 MiB). */
  maxFrameLength?: number
  /** Called for each value that will not be written: dropped from a full queue, too large, or still queued when the stream died. */
  onDrop?: (value: unknown, reason: Error) => void
  /** Called once when the writer dies (stream closed, reset or a send threw). */
  onClose?: (err?: Error) => void
}

export class FrameWriter {
  private queue: unknown[] = []
  /** Index of the oldest queued value: dropping the oldest is head++ (no Array#shift). */
  private head = 0
  private scheduled = false
  private waitingForDrain = false
  private dead = false
  private closeNotified = false
  private readonly maxQueued: number
  private readonly maxFrameLength: number

  constructor (readonly stream: Stream, private readonly options: FrameWriterOptions = {}) {
    this.maxQueued = options.maxQueued ?? Number.POSITIVE_INFINITY
    this.maxFrameLength = options.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH
    stream.addEventListener('close', (evt) => { this.die(evt.error) })
  }

  /** False once the stream closed or close() was called: write() then refuses values. */
  get open (): boolean {
    return !this.dead && this.stream.status === 'open' && this.stream.writeStatus === 'writable'
  }

  /** Values waiting to be written. */
  get queued (): number {
    return this.queue.length - this.head
  }

  /** Queues a value for the next batch. Returns false (and drops nothing) if the writer is dead. */
  write (value: unknown): boolean {
    if (!this.open) return false
    this.queue.push(value)
    if (this.queued > this.maxQueued) {
      const oldest = this.queue[this.head]
      this.queue[this.head++] = undefined
      this.compact()
      this.options.onDrop?.(oldest, new Error('dropped: the outbound queue is full'))
    }
    this.schedule()
    return true
  }

  /** Resolves once the stream accepts data again (at once unless a send is waiting for drain). */
  async drained (options?: AbortOptions): Promise<void> {
    while (this.waitingForDrain && this.open) await waitForDrain(this.stream, options)
  }

  /** Writes what is queued, then closes the writable end (the remote sees remoteCloseWrite). */
  async close (options?: AbortOptions): Promise<void> {
    if (this.dead) return
    try {
      while (this.queued > 0 && this.open) {
        this.flush()
        if (this.waitingForDrain) await waitForDrain(this.stream, options)
      }
      this.dead = true
      await this.stream.close(options)
    } catch (err) {
      this.stream.abort(err instanceof Error ? err : new Error(String(err)))
    } finally {
      this.die()
    }
  }

  /** Resets the stream at once; queued values go to onDrop. */
  abort (err: Error): void {
    this.stream.abort(err)
    this.die(err)
  }

  private schedule (): void {
    if (this.scheduled || this.waitingForDrain) return
    this.scheduled = true
    queueMicrotask(() => {
      this.scheduled = false
      this.flush()
    })
  }

  private flush (): void {
    while (this.queued > 0 && !this.waitingForDrain && this.open) {
      const packed: Uint8Array[] = []
      let bytes = 0
      while (this.head < this.queue.length && bytes < MAX_BATCH_BYTES) {
        const value = this.queue[this.head]
        this.queue[this.head++] = undefined
        try {
          const p = packValue(value, this.maxFrameLength)
          packed.push(p)
          bytes += p.byteLength
        } catch (err) {
          this.options.onDrop?.(value, err as Error)
        }
      }
      this.compact()
      if (packed.length === 0) continue
      let more: boolean
      try {
        more = this.stream.send(framePacked(packed))
      } catch (err) {
        this.abort(err instanceof Error ? err : new Error(String(err)))
        return
      }
      if (!more) {
        this.waitingForDrain = true
        waitForDrain(this.stream).then(() => {
          this.waitingForDrain = false
          this.flush()
        }, (err: unknown) => {
          this.die(err instanceof Error ? err : new Error(String(err)))
        })
      }
    }
  }

  /** Drops spent slots: at once when the queue emptied, else once they are most of it (sustained load). */
  private compact (): void {
    if (this.head === this.queue.length) {
      this.queue = []
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
  }

  private die (err?: Error): void {
    this.dead = true
    const left = this.queue.slice(this.head)
    this.queue = []
    this.head = 0
    if (left.length > 0) {
      const reason = err ?? new NetStoppedError('dropped: the stream closed before the value was written')
      for (const value of left) this.options.onDrop?.(value, reason)
    }
    if (!this.closeNotified) {
      this.closeNotified = true
      this.options.onClose?.(err)
    }
  }
}

/**
 * Resolves on the stream's next 'drain' (at once if it needs none); rejects if it closes first.
 * Not stream.onDrain(): in @libp2p/utils 7.4 its promise stays resolved after the first drain,
 * so a writer that trusts it spins through microtasks appending to an unbounded write buffer.
 */
export async function waitForDrain (stream: Stream, options?: AbortOptions): Promise<void> {
  if (!stream.writableNeedsDrain) return
  const signal = options?.signal
  signal?.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      stream.removeEventListener('drain', onDrain)
      stream.removeEventListener('close', onClose)
      signal?.removeEventListener('abort', onAbort)
    }
    const onDrain = (): void => { cleanup(); resolve() }
    const onClose = (evt: Event): void => {
      cleanup()
      reject((evt as Event & { error?: Error }).error ?? new NetStoppedError('the stream closed while waiting to write'))
    }
    const onAbort = (): void => { cleanup(); reject(signal?.reason) }
    stream.addEventListener('drain', onDrain)
    stream.addEventListener('close', onClose)
    signal?.addEventListener('abort', onAbort)
  })
}
