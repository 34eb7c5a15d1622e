// Reading Docker's multiplexed output (non-TTY containers and execs): frames of an 8-byte
// header (stream type, 3 zero bytes, big-endian length) and the payload. Both forms dockerode
// hands back are handled: a whole Buffer (logs without follow) and a live stream.

import type { Readable } from 'node:stream'

/** Payloads of the complete frames in `buf`, and what is left of an incomplete one. */
export function demuxFrames (buf: Buffer): { payloads: Buffer[], rest: Buffer } {
  const payloads: Buffer[] = []
  let off = 0
  while (buf.length - off >= 8) {
    const size = buf.readUInt32BE(off + 4)
    if (buf.length - off - 8 < size) break
    payloads.push(buf.subarray(off + 8, off + 8 + size))
    off += 8 + size
  }
  return { payloads, rest: buf.subarray(off) }
}

/** Text chunks (stdout and stderr in order) of a multiplexed stream, until it ends or `signal` aborts. */
export async function * demuxText (stream: Readable, signal?: AbortSignal): AsyncIterable<string> {
  const onAbort = (): void => { stream.destroy() }
  signal?.addEventListener('abort', onAbort, { once: true })
  let pending = Buffer.alloc(0)
  try {
    for await (const chunk of stream) {
      const { payloads, rest } = demuxFrames(Buffer.concat([pending, chunk as Buffer]))
      pending = Buffer.from(rest)
      for (const p of payloads) yield p.toString('utf8')
    }
  } catch (err) {
    if (signal?.aborted !== true) throw err
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
}
