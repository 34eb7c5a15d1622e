// An ExecSession as a stream of channel messages (exec-channels.ts), in both directions: what
// it reads are the process's stdout and stderr chunks, then one last message made from the
// exit code (a Status for kubectl, EXIT between agents), then its end; what is written to it
// are stdin chunks, stdin's close, and resizes. Each chunk is one message (object mode).
// Backpressure holds both ways (a slow reader pauses the process's output; a full stdin holds
// the writer). Destroying it closes the session.

import { Duplex } from 'node:stream'
import { decodeMessage, encodeData, STDERR, STDIN, STDOUT } from './exec-channels.ts'
import type { ExecSession } from './pod-io.ts'

export class ExecSessionStream extends Duplex {
  private readonly outputs: Array<NodeJS.ReadableStream & { pause: () => void, resume: () => void }> = []

  /** `last` makes the final message from the exit code. */
  constructor (private readonly session: ExecSession, last: (exitCode: number) => Buffer) {
    super({ objectMode: true, allowHalfOpen: true })
    // Writing to the stdin of a process that ended fails: that is the process's end, not ours.
    session.stdin?.on('error', () => {})
    const pending: Array<Promise<void>> = []
    for (const [channel, out] of [[STDOUT, session.stdout], [STDERR, session.stderr]] as const) {
      if (out === undefined) continue
      this.outputs.push(out)
      pending.push(new Promise<void>((resolve) => {
        out.on('data', (chunk: Buffer) => {
          if (chunk.length > 0 && !this.push(encodeData(channel, chunk))) out.pause()
        })
        out.once('end', () => { resolve() })
        out.once('close', () => { resolve() })
        out.once('error', () => { resolve() })
      }))
    }
    void Promise.all(pending).then(async () => await session.exitCode).then((code) => {
      if (this.destroyed) return
      this.push(last(code))
      this.push(null)
    }, (err: unknown) => { this.destroy(err as Error) })
  }

  override _read (): void {
    for (const out of this.outputs) out.resume()
  }

  override _write (chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    let msg
    try {
      msg = decodeMessage(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
    } catch (err) {
      done(err as Error)
      return
    }
    const stdin = this.session.stdin
    if (msg.kind === 'resize') this.session.resize(msg.size)
    else if (msg.kind === 'close' && msg.channel === STDIN) this.endStdin()
    else if (msg.kind === 'data' && msg.channel === STDIN && stdin !== undefined && stdin.writable && msg.data.length > 0) {
      if (!stdin.write(msg.data)) {
        const go = (): void => {
          stdin.off('drain', go)
          stdin.off('close', go)
          done()
        }
        stdin.on('drain', go)
        stdin.on('close', go)
        return
      }
    }
    // Anything else (a close of another channel, data on an output channel) means nothing here.
    done()
  }

  /** The other side ended: no more stdin either. */
  override _final (done: (err?: Error | null) => void): void {
    this.endStdin()
    done()
  }

  override _destroy (err: Error | null, done: (err?: Error | null) => void): void {
    this.session.close()
    done(err)
  }

  private endStdin (): void {
    const stdin = this.session.stdin
    if (stdin !== undefined && !stdin.writableEnded && !stdin.destroyed) {
      stdin.on('error', () => {})
      stdin.end()
    }
  }
}

