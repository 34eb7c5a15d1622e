// Asking an upstream DNS server: the exchange a forwarding server makes for names outside
// the cluster domain. One fresh socket per query (a random source port, RFC 5452), the raw
// query bytes sent as they came, and only a reply from that server carrying the query's id
// accepted. Every wait ends: on the timeout, on the caller's AbortSignal, or on a socket
// error, each as an UpstreamError.

import { createSocket } from 'node:dgram'
import { connect } from 'node:net'
import { formatIPv6, ipFamily, parseIPv6 } from './ip-text.ts'

export interface Upstream {
  host: string
  port: number
}

/** Thrown when an upstream server gives no usable answer: timeout, socket error, or a cancelled wait. */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError'
  constructor (readonly upstream: Upstream, reason: string, options?: { cause?: unknown }) {
    super(`upstream DNS server ${formatUpstream(upstream)}: ${reason}`, options)
  }
}

/** Thrown by parseUpstream for text that is not "host", "host:port" or "[v6]:port". */
export class InvalidUpstreamError extends Error {
  override readonly name = 'InvalidUpstreamError'
  constructor (readonly text: string) {
    super(`invalid upstream DNS server ${JSON.stringify(text)}: write an IP address, optionally with a port ("10.0.0.2", "10.0.0.2:53", "[fd00::2]:53")`)
  }
}

/** "10.0.0.2", "10.0.0.2:5353", "fd00::2", "[fd00::2]:5353"; the port defaults to 53. */
export function parseUpstream (text: string): Upstream {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text)
  const hostPort = /^([^:]+):(\d+)$/.exec(text)
  let host = text
  let port = 53
  if (bracketed !== null) {
    host = bracketed[1] ?? ''
    port = bracketed[2] === undefined ? 53 : Number(bracketed[2])
  } else if (hostPort !== null) {
    host = hostPort[1] ?? ''
    port = Number(hostPort[2])
  }
  if (ipFamily(host) === 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidUpstreamError(text)
  return { host, port }
}

export function formatUpstream (upstream: Upstream): string {
  return ipFamily(upstream.host) === 6 ? `[${upstream.host}]:${upstream.port}` : `${upstream.host}:${upstream.port}`
}

export interface ExchangeOptions {
  /** Give up after this long. */
  timeoutMs: number
  /** Cancels the wait (the server stopping). */
  signal?: AbortSignal
}

/** Sends `query` over UDP and resolves with the first reply from `upstream` that carries its id. */
export async function exchangeUdp (query: Uint8Array, upstream: Upstream, options: ExchangeOptions): Promise<Uint8Array> {
  const socket = createSocket(ipFamily(upstream.host) === 6 ? 'udp6' : 'udp4')
  return await withDeadline(upstream, options, (resolve, reject) => {
    socket.on('error', (err) => { reject(new UpstreamError(upstream, err.message, { cause: err })) })
    socket.on('message', (reply, from) => {
      if (from.port !== upstream.port || !sameAddress(from.address, upstream.host) || reply.length < 2 || reply[0] !== query[0] || reply[1] !== query[1]) return
      resolve(new Uint8Array(reply))
    })
    socket.send(query, upstream.port, upstream.host, (err) => {
      if (err !== null && err !== undefined) reject(new UpstreamError(upstream, err.message, { cause: err }))
    })
  }, () => { socket.close() })
}

/** Sends `query` over TCP (2-byte length prefix, RFC 1035 §4.2.2) and resolves with the reply. */
export async function exchangeTcp (query: Uint8Array, upstream: Upstream, options: ExchangeOptions): Promise<Uint8Array> {
  const socket = connect({ host: upstream.host, port: upstream.port })
  return await withDeadline(upstream, options, (resolve, reject) => {
    let received = Buffer.alloc(0)
    socket.on('error', (err) => { reject(new UpstreamError(upstream, err.message, { cause: err })) })
    socket.on('close', () => { reject(new UpstreamError(upstream, 'closed the connection without a reply')) })
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk])
      if (received.length < 2) return
      const length = received.readUInt16BE(0)
      if (received.length >= 2 + length) resolve(new Uint8Array(received.subarray(2, 2 + length)))
    })
    const prefix = Buffer.alloc(2)
    prefix.writeUInt16BE(query.length)
    socket.write(Buffer.concat([prefix, query]))
  }, () => { socket.destroy() })
}

/** Runs `start` until it settles, the timeout fires or the signal aborts; `cleanup` runs once in every case. */
async function withDeadline (
  upstream: Upstream,
  options: ExchangeOptions,
  start: (resolve: (reply: Uint8Array) => void, reject: (err: Error) => void) => void,
  cleanup: () => void
): Promise<Uint8Array> {
  return await new Promise<Uint8Array>((resolve, reject) => {
    let done = false
    const finish = (err: Error | undefined, reply?: Uint8Array): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
      cleanup()
      if (err !== undefined) reject(err)
      else resolve(reply ?? new Uint8Array())
    }
    const onAbort = (): void => { finish(new UpstreamError(upstream, 'query cancelled')) }
    const timer = setTimeout(() => { finish(new UpstreamError(upstream, `no reply within ${options.timeoutMs} ms`)) }, options.timeoutMs)
    if (options.signal?.aborted === true) {
      onAbort()
      return
    }
    options.signal?.addEventListener('abort', onAbort)
    try {
      start((reply) => { finish(undefined, reply) }, (err) => { finish(err) })
    } catch (err) {
      finish(new UpstreamError(upstream, err instanceof Error ? err.message : String(err), { cause: err }))
    }
  })
}

/** Whether two address texts name the same address (IPv6 spellings vary; zone ids are ignored). */
function sameAddress (a: string, b: string): boolean {
  const strip = (text: string): string => text.replace(/%.*$/, '')
  const a6 = parseIPv6(strip(a))
  const b6 = parseIPv6(strip(b))
  if (a6 !== undefined && b6 !== undefined) return formatIPv6(a6) === formatIPv6(b6)
  return a === b
}
