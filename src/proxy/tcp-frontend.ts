// One TCP listener of the service proxy: every connection it accepts is joined to one of the
// Service's ready backends, taken in turn (round robin), or the same one for a client IP while
// its session affinity lasts. A backend that refuses or does not answer within the connect
// timeout (when another is left to try) is passed over for the next one, so a pod that has
// just died costs a client nothing; only when every backend fails is the client's connection
// closed. Backends change in place (`update`) without touching the listener or the
// connections already joined.

import { createServer, connect, type Server, type Socket } from 'node:net'
import { boundPort, listenServer } from './listen.ts'
import type { Backend } from './service-table.ts'

export interface TcpFrontendOptions {
  readonly address: string
  readonly port: number
  /**
   * Give up on a backend that has not accepted after this long, when another one is left to
   * try. Default 1000 ms. The last candidate gets `lastConnectTimeoutMs` (default 10 000 ms):
   * a busy backend whose accept queue overflowed answers the kernel's SYN retry after about a
   * second, and dropping the client then would turn a slow answer into a failure.
   */
  readonly connectTimeoutMs?: number
  readonly lastConnectTimeoutMs?: number
  /** Opens the connection to a backend. Default node:net connect (tests give one that never connects). */
  readonly connect?: (port: number, host: string) => Socket
  /** Milliseconds now, for session affinity. Default Date.now. */
  readonly now?: () => number
  readonly log?: (line: string) => void
}

interface Sticky { backend: Backend, until: number }

const same = (a: Backend, b: Backend): boolean => a.ip === b.ip && a.port === b.port

export class TcpFrontend {
  private readonly server: Server
  private readonly sockets = new Set<Socket>()
  private backends: readonly Backend[] = []
  private affinityMs: number | undefined
  private readonly sticky = new Map<string, Sticky>()
  private next = 0
  /** Connections joined to a backend, and connections closed because no backend took them. */
  joined = 0
  failed = 0

  constructor (private readonly opts: TcpFrontendOptions) {
    this.server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => { this.accept(client) })
  }

  get port (): number { return boundPort(this.server, this.opts.port) }

  /** Bind the listener; rejects with the socket error (EADDRINUSE, EADDRNOTAVAIL …). */
  async listen (): Promise<void> {
    await listenServer(this.server, this.opts.address, this.opts.port, (err) => { this.opts.log?.(`proxy ${this.opts.address}:${this.opts.port}: ${err.message}`) })
  }

  /** The backends to spread new connections over, and the session affinity (seconds) if any. */
  update (backends: readonly Backend[], affinitySeconds?: number): void {
    this.backends = backends
    this.affinityMs = affinitySeconds === undefined ? undefined : affinitySeconds * 1000
    if (this.affinityMs === undefined) this.sticky.clear()
    for (const [ip, s] of this.sticky) if (!backends.some((b) => same(b, s.backend))) this.sticky.delete(ip)
  }

  async close (): Promise<void> {
    for (const s of this.sockets) s.destroy()
    if (!this.server.listening) return
    await new Promise<void>((resolve) => { this.server.close(() => { resolve() }) })
  }

  /** Backends in the order to try them for a client: its sticky one first, then round robin. */
  private order (clientIp: string): Backend[] {
    const n = this.backends.length
    if (n === 0) return []
    const start = this.next++ % n
    const order = [...this.backends.slice(start), ...this.backends.slice(0, start)]
    const s = this.affinityMs === undefined ? undefined : this.sticky.get(clientIp)
    if (s !== undefined && s.until > this.now()) {
      const i = order.findIndex((b) => same(b, s.backend))
      if (i > 0) order.unshift(...order.splice(i, 1))
    }
    return order
  }

  private now (): number { return (this.opts.now ?? Date.now)() }

  private accept (client: Socket): void {
    this.track(client)
    client.setNoDelay(true)
    client.on('error', () => { client.destroy() })
    this.tryNext(client, this.order(client.remoteAddress ?? ''))
  }

  private tryNext (client: Socket, candidates: Backend[]): void {
    const backend = candidates.shift()
    if (backend === undefined || client.destroyed) {
      if (!client.destroyed) this.failed++
      client.destroy()
      return
    }
    const upstream = this.opts.connect !== undefined ? this.opts.connect(backend.port, backend.ip) : connect({ host: backend.ip, port: backend.port, allowHalfOpen: true })
    this.track(upstream)
    const timeoutMs = candidates.length > 0 ? this.opts.connectTimeoutMs ?? 1000 : this.opts.lastConnectTimeoutMs ?? 10_000
    const timer = setTimeout(() => { upstream.destroy(new Error('connect timeout')) }, timeoutMs)
    const onEarlyError = (): void => {
      clearTimeout(timer)
      upstream.destroy()
      this.tryNext(client, candidates)
    }
    upstream.once('error', onEarlyError)
    upstream.once('connect', () => {
      clearTimeout(timer)
      upstream.off('error', onEarlyError)
      upstream.on('error', () => { client.destroy() })
      client.on('close', () => { upstream.destroy() })
      upstream.on('close', () => { client.destroy() })
      upstream.setNoDelay(true)
      this.joined++
      if (this.affinityMs !== undefined) this.sticky.set(client.remoteAddress ?? '', { backend, until: this.now() + this.affinityMs })
      client.pipe(upstream)
      upstream.pipe(client)
    })
  }

  private track (s: Socket): void {
    this.sockets.add(s)
    s.once('close', () => { this.sockets.delete(s) })
  }
}
