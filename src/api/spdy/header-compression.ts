// SPDY/3 header compression (section 2.6.10.1): each direction of a connection is ONE zlib
// stream, primed with the SPDY/3 dictionary, and every header block is the output of a
// Z_SYNC_FLUSH — so a block can only be read after all the blocks before it, and a corrupt
// block breaks the connection's stream for good (the session then ends). Node's zlib works
// asynchronously: each instance runs its blocks one at a time, in the order they are given.

import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib'
import { SPDY3_DICTIONARY } from './dictionary.ts'
import { SpdyFrameError } from './frames.ts'

/** The largest header block accepted after inflating (a small compressed block can expand a lot). */
export const MAX_HEADER_BLOCK = 256 * 1024

abstract class ZlibContext {
  private chain: Promise<unknown> = Promise.resolve()
  private broken: Error | undefined

  protected constructor (private readonly z: Inflate | Deflate, private readonly maxOutput: number) {
    z.on('error', (err: Error) => { this.broken ??= err })
  }

  /** The output of `input` followed by a sync flush, after every earlier call's. */
  protected run (input: Buffer): Promise<Buffer> {
    const next = this.chain.then(async () => await this.once(input))
    this.chain = next.catch(() => {})
    return next
  }

  private async once (input: Buffer): Promise<Buffer> {
    if (this.broken !== undefined) throw this.broken
    const z = this.z
    return await new Promise<Buffer>((resolve, reject) => {
      const out: Buffer[] = []
      let size = 0
      let settled = false
      const finish = (err?: Error): void => {
        if (settled) return
        settled = true
        z.off('readable', take)
        z.off('error', finish)
        if (err !== undefined) {
          this.broken ??= err
          reject(err)
        } else {
          resolve(Buffer.concat(out, size))
        }
      }
      const take = (): void => {
        for (let c = z.read() as Buffer | null; c !== null; c = z.read() as Buffer | null) {
          out.push(c)
          size += c.length
          if (size > this.maxOutput) {
            finish(new SpdyFrameError(`a header block inflates to more than ${this.maxOutput} bytes`))
            z.destroy()
            return
          }
        }
      }
      z.on('readable', take)
      z.once('error', finish)
      z.write(input)
      z.flush(constants.Z_SYNC_FLUSH, () => {
        take()
        finish()
      })
    })
  }

  close (): void {
    this.broken ??= new Error('header compression context closed')
    this.z.destroy()
  }
}

/** Inflates the header blocks one peer sends on one connection. */
export class HeaderDecompressor extends ZlibContext {
  constructor () {
    super(createInflate({ dictionary: SPDY3_DICTIONARY }), MAX_HEADER_BLOCK)
  }

  /** The uncompressed block; rejects with SpdyFrameError (or a zlib error) on corrupt input. */
  async inflate (compressed: Buffer): Promise<Buffer> {
    try {
      return await this.run(compressed)
    } catch (err) {
      if (err instanceof SpdyFrameError) throw err
      throw new SpdyFrameError(`a header block does not inflate: ${(err as Error).message}`)
    }
  }
}

/** Deflates the header blocks this side sends on one connection. */
export class HeaderCompressor extends ZlibContext {
  constructor () {
    super(createDeflate({ dictionary: SPDY3_DICTIONARY }), Number.MAX_SAFE_INTEGER)
  }

  async deflate (block: Buffer): Promise<Buffer> {
    return await this.run(block)
  }
}
