// Reading Docker's multiplexed output (non-TTY containers and execs): frames of an 8-byte
// header (stream type, 3 zero bytes, big-endian length) and the payload. Both forms dockerode
// hands back are handled: a whole Buffer (logs without follow) and a live stream, read as
// text or split into stdout and stderr (interactive exec).

import type { Readable, Writable } from 'node:stream'

/** Docker's stream types in a frame header. */
export const DOCKER_STDOUT = 1
export const DOCKER_STDERR = 2

/** Payloads of the complete frames in `buf` with their stream types, and what is left of an incomplete one. */
export function demuxFrames (buf: Buffer): { payloads: Buffer[], streams: number[], rest: Buffer } {
  const payloads: Buffer[] = []
  const streams: number[] = []
  let off = 0
  while (buf.length - off >= 8) {
    const size = buf.readUInt32BE(off + 4)
    if (buf.length - off - 8 < size) break
    streams.push(buf[off] ?? 0)
    payloads.push(buf.subarray(off + 8, off + 8 + size))
    off += 8 + size
  }
  return { payloads, streams, rest: buf.subarray(off) }
}

/**
 * Splits a live multiplexed stream into stdout and stderr (either may be left out: its frames
 * are dropped), pausing the source while a target is full. Ends both when the source ends,
 * or destroys them with its error.
 */
export function demuxInto (source: Readable, stdout: Writable | undefined, stderr: Writable | undefined): void {
  let pending = Buffer.alloc(0)
  let waiting = 0
  const resume = (): void => { if (--waiting === 0) source.resume() }
  source.on('data', (chunk: Buffer) => {
    const { payloads, streams, rest } = demuxFrames(pending.length === 0 ? chunk : Buffer.concat([pending, chunk]))
    pending = Buffer.from(rest)
    payloads.forEach((p, i) => {
      const target = streams[i] === DOCKER_STDERR ? stderr : stdout
      if (target === undefined || target.destroyed || p.length === 0) return
      if (!target.write(p)) {
        if (waiting++ === 0) source.pause()
        target.once('drain', resume)
      }
    })
  })
  const finish = (err?: Error): void => {
    for (const t of [stdout, stderr]) {
      if (t === undefined || t.destroyed || t.writableEnded) continue
      if (err === undefined) t.end()
      else t.destroy(err)
    }
  }
  source.once('end', () => { finish() })
  source.once('error', (err) => { finish(err) })
  source.once('close', () => { finish() })
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
