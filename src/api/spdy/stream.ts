// One SPDY stream opened by the peer, as a node Duplex: what the peer sends on it is read,
// what is written goes out as data frames (after the SYN_REPLY), and ending it sends FIN.
// Both sides finished, or a reset from either side, closes it. Flow control and the frames
// themselves are the session's (session.ts).

import { Duplex } from 'node:stream'
import { DEFAULT_WINDOW, RstStatus } from './frames.ts'
import type { SpdyHeaders } from './header-block.ts'

/** What a stream needs from its session. */
export interface StreamOwner {
  sendReply: (stream: SpdyStream, headers: Record<string, string>) => Promise<void>
  sendData: (stream: SpdyStream, data: Buffer, fin: boolean) => Promise<void>
  sendReset: (stream: SpdyStream, status: number) => void
  readResumed: (stream: SpdyStream) => void
  /** The stream's reader took buffered data. */
  dataTaken: () => void
  streamClosed: (stream: SpdyStream) => void
}

export class SpdyStream extends Duplex {
  /** Bytes this side may still send before the peer's next WINDOW_UPDATE (when it does flow control). */
  sendWindow: number
  /** Data received and handed on but not yet acknowledged with a WINDOW_UPDATE. */
  unacked = 0
  /** The peer sent FIN (or reset). */
  remoteFinished = false
  /** This side sent FIN (or reset). */
  localFinished = false
  private resetSent = false
  private replied: Promise<void> | undefined

  constructor (
    readonly id: number,
    readonly headers: SpdyHeaders,
    private readonly owner: StreamOwner,
    initialSendWindow = DEFAULT_WINDOW
  ) {
    super({ allowHalfOpen: true, highWaterMark: 64 * 1024 })
    this.sendWindow = initialSendWindow
    this.once('close', () => { owner.streamClosed(this) })
  }

  /** The first value of a header (names are lowercase). */
  header (name: string): string | undefined {
    return this.headers.get(name)?.[0]
  }

  /** Accepts the stream with a SYN_REPLY; data written before waits for it. Idempotent. */
  async reply (headers: Record<string, string> = {}): Promise<void> {
    this.replied ??= this.owner.sendReply(this, headers)
    await this.replied
  }

  /** Ends the stream at once with RST_STREAM `status` (unless it is already closed). */
  reset (status: number = RstStatus.CANCEL): void {
    if (!this.resetSent && !(this.localFinished && this.remoteFinished)) {
      this.resetSent = true
      this.owner.sendReset(this, status)
    }
    this.localFinished = true
    this.remoteFinished = true
    this.destroy()
  }

  /** The peer reset the stream: it ends here, without an answer. */
  peerReset (): void {
    this.resetSent = true
    this.localFinished = true
    this.remoteFinished = true
    this.destroy()
  }

  override read (size?: number): any {
    const chunk: unknown = super.read(size)
    if (chunk !== null) this.owner.dataTaken()
    return chunk
  }

  override _read (): void {
    this.owner.readResumed(this)
  }

  override _write (chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.sendAfterReply(chunk, false).then(() => { callback() }, callback)
  }

  override _final (callback: (error?: Error | null) => void): void {
    this.sendAfterReply(Buffer.alloc(0), true).then(() => {
      this.localFinished = true
      callback()
    }, callback)
  }

  private async sendAfterReply (data: Buffer, fin: boolean): Promise<void> {
    await this.reply()
    if (this.destroyed || this.resetSent) return
    await this.owner.sendData(this, data, fin)
  }

  override _destroy (err: Error | null, callback: (error?: Error | null) => void): void {
    // Closed before both sides finished (an error, the session ending): tell the peer.
    if (!this.resetSent && !(this.localFinished && this.remoteFinished)) {
      this.resetSent = true
      this.owner.sendReset(this, RstStatus.CANCEL)
    }
    callback(err)
  }
}
