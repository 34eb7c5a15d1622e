// One UDP listener of the service proxy. UDP has no connections, so the proxy keeps a session
// per client address: the first datagram from a client picks a backend (round robin, or its
// sticky one under ClientIP affinity) and opens a socket connected to it; the client's later
// datagrams go the same way and the backend's replies come back from the Service's address.
// A session ends after `idleMs` without traffic, when its backend leaves the Service, or when
// the backend's host says nothing listens there (ICMP port unreachable surfaces as an error
// on the connected socket): the client's next datagram then picks another backend.

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import { bindSocket } from './listen.ts'
import type { Backend } from './service-table.ts'

export interface UdpFrontendOptions {
  readonly address: string
  readonly port: number
  /** A session without traffic this long is closed. Default 30 000 ms (Linux conntrack's UDP timeout). */
  readonly idleMs?: number
  /** Milliseconds now. Default Date.now. */
  readonly now?: () => number
  readonly log?: (line: string) => void
}

/** `queued`: datagrams waiting for the upstream socket to be connected (null once it is). */
interface Session { upstream: Socket, backend: Backend, last: number, queued: Buffer[] | null }

const same = (a: Backend, b: Backend): boolean => a.ip === b.ip && a.port === b.port

export class UdpFrontend {
  private readonly socket: Socket
  private readonly sessions = new Map<string, Session>()
  private readonly sticky = new Map<string, { backend: Backend, until: number }>()
  private backends: readonly Backend[] = []
  private affinityMs: number | undefined
  private next = 0
  private sweeper: ReturnType<typeof setInterval> | undefined
  /** Datagrams dropped because no backend was there to take them. */
  dropped = 0

  constructor (private readonly opts: UdpFrontendOptions) {
    this.socket = createSocket({ type: 'udp4', reuseAddr: false })
    this.socket.on('message', (msg, rinfo) => { this.onClient(msg, rinfo) })
  }

  get port (): number {
    try {
      return this.socket.address().port
    } catch {
      return this.opts.port
    }
  }

  async listen (): Promise<void> {
    await bindSocket(this.socket, this.opts.address, this.opts.port, (err) => { this.opts.log?.(`proxy ${this.opts.address}:${this.opts.port}/UDP: ${err.message}`) })
    const idle = this.opts.idleMs ?? 30_000
    this.sweeper = setInterval(() => { this.sweep() }, Math.max(10, Math.min(idle, 5000)))
    this.sweeper.unref()
  }

  update (backends: readonly Backend[], affinitySeconds?: number): void {
    this.backends = backends
    this.affinityMs = affinitySeconds === undefined ? undefined : affinitySeconds * 1000
    if (this.affinityMs === undefined) this.sticky.clear()
    for (const [key, s] of this.sessions) if (!backends.some((b) => same(b, s.backend))) this.end(key)
    for (const [ip, s] of this.sticky) if (!backends.some((b) => same(b, s.backend))) this.sticky.delete(ip)
  }

  async close (): Promise<void> {
    if (this.sweeper !== undefined) clearInterval(this.sweeper)
    for (const key of [...this.sessions.keys()]) this.end(key)
    await new Promise<void>((resolve) => { try { this.socket.close(() => { resolve() }) } catch { resolve() } })
  }

  /** Client sessions open (tests). */
  get sessionCount (): number { return this.sessions.size }

  private now (): number { return (this.opts.now ?? Date.now)() }

  private pick (clientIp: string): Backend | undefined {
    const s = this.affinityMs === undefined ? undefined : this.sticky.get(clientIp)
    if (s !== undefined && s.until > this.now()) return s.backend
    if (this.backends.length === 0) return undefined
    return this.backends[this.next++ % this.backends.length]
  }

  private onClient (msg: Buffer, client: RemoteInfo): void {
    const key = `${client.address}:${client.port}`
    let session = this.sessions.get(key)
    if (session === undefined) {
      const backend = this.pick(client.address)
      if (backend === undefined) { this.dropped++; return }
      const upstream = createSocket('udp4')
      const fresh: Session = { upstream, backend, last: this.now(), queued: [] }
      session = fresh
      this.sessions.set(key, fresh)
      upstream.on('message', (reply) => {
        const s = this.sessions.get(key)
        if (s !== undefined) s.last = this.now()
        this.socket.send(reply, client.port, client.address)
      })
      // Nothing listens at the backend (ICMP port unreachable), or the socket failed: the next datagram tries another.
      upstream.on('error', () => { this.end(key) })
      upstream.connect(backend.port, backend.ip, () => {
        const queued = fresh.queued ?? []
        fresh.queued = null
        for (const m of queued) upstream.send(m)
      })
      if (this.affinityMs !== undefined) this.sticky.set(client.address, { backend, until: this.now() + this.affinityMs })
    }
    session.last = this.now()
    if (session.queued !== null) session.queued.push(msg)
    else session.upstream.send(msg)
  }

  private end (key: string): void {
    const s = this.sessions.get(key)
    if (s === undefined) return
    this.sessions.delete(key)
    try { s.upstream.close() } catch { /* already closed */ }
  }

  private sweep (): void {
    const idle = this.opts.idleMs ?? 30_000
    const now = this.now()
    for (const [key, s] of this.sessions) if (now - s.last >= idle) this.end(key)
    for (const [ip, s] of this.sticky) if (s.until <= now) this.sticky.delete(ip)
  }
}
