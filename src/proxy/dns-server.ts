// The cluster DNS server every agent serves to its pods: one address and port, over UDP and
// TCP (2-byte length prefix, RFC 1035 §4.2.2; several queries per connection, answered as
// they complete, RFC 7766), answering cluster names from a resolver and forwarding the rest
// upstream (see QueryHandler for what gets which reply). Nothing a client sends can make an
// exception escape: problems go to the `log` callback.

import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { createServer, type Server, type Socket } from 'node:net'
import { ipFamily } from './ip-text.ts'
import { QueryHandler, type QuestionResolver } from './dns-query-handler.ts'
import { parseUpstream, type Upstream } from './dns-upstream.ts'

export interface DnsServerOptions {
  /** Answers cluster names; says which names to forward. */
  resolver: QuestionResolver
  /** Address to listen on (UDP and TCP). Default "127.0.0.1". */
  host?: string
  /** Port to listen on; 0 picks a free one (the same for UDP and TCP), read it from `port`. Default 53. */
  port?: number
  /**
   * Upstream servers for names outside the cluster domain, as "ip", "ip:port", "[ipv6]:port"
   * or Upstream objects (readResolvConfUpstreams gives those), tried in order over UDP.
   * Default none: such names get SERVFAIL. The constructor throws InvalidUpstreamError on bad text.
   */
  upstreams?: Array<string | Upstream>
  /** How long to wait for each upstream before trying the next. Default 2000 ms. */
  upstreamTimeoutMs?: number
  /** Largest UDP reply offered to clients that announce EDNS0. Default 1232 bytes. */
  maxUdpPayload?: number
  /** A TCP connection idle this long is closed. Default 10000 ms. */
  tcpIdleTimeoutMs?: number
  /** Told about problems (upstream failures, socket errors), never about ordinary queries. Default: ignore. */
  log?: (message: string) => void
}

/** Thrown by `port` before start() has bound the sockets. */
export class DnsServerNotStartedError extends Error {
  override readonly name = 'DnsServerNotStartedError'
  constructor () {
    super('DNS server is not listening: call start() first')
  }
}

/** Attempts at finding a port free for both UDP and TCP when asked for port 0. */
const PORT_ATTEMPTS = 10

export class DnsServer {
  private readonly host: string
  private readonly requestedPort: number
  private readonly tcpIdleTimeoutMs: number
  private readonly log: (message: string) => void
  private readonly handler: QueryHandler
  private udp: UdpSocket | undefined
  private tcp: Server | undefined
  private readonly connections = new Set<Socket>()
  private abort = new AbortController()
  private boundPort: number | undefined

  constructor (options: DnsServerOptions) {
    this.host = options.host ?? '127.0.0.1'
    this.requestedPort = options.port ?? 53
    this.tcpIdleTimeoutMs = options.tcpIdleTimeoutMs ?? 10_000
    this.log = options.log ?? (() => {})
    this.handler = new QueryHandler({
      resolver: options.resolver,
      upstreams: (options.upstreams ?? []).map((u) => typeof u === 'string' ? parseUpstream(u) : u),
      upstreamTimeoutMs: options.upstreamTimeoutMs ?? 2000,
      maxUdpPayload: options.maxUdpPayload ?? 1232,
      log: this.log
    })
  }

  /** The port both sockets are bound to. */
  get port (): number {
    if (this.boundPort === undefined) throw new DnsServerNotStartedError()
    return this.boundPort
  }

  async start (): Promise<void> {
    if (this.udp !== undefined) return
    this.abort = new AbortController()
    for (let attempt = 1; ; attempt++) {
      const udp = await this.bindUdp(this.requestedPort)
      const port = udp.address().port
      try {
        this.tcp = await this.listenTcp(port)
        this.udp = udp
        this.boundPort = port
        return
      } catch (err) {
        await new Promise<void>((resolve) => { udp.close(() => { resolve() }) })
        // With port 0 the kernel picked a UDP port whose TCP twin is taken: pick again.
        const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
        if (this.requestedPort !== 0 || !inUse || attempt >= PORT_ATTEMPTS) throw err
      }
    }
  }

  async stop (): Promise<void> {
    this.abort.abort()
    const udp = this.udp
    const tcp = this.tcp
    this.udp = undefined
    this.tcp = undefined
    this.boundPort = undefined
    for (const connection of this.connections) connection.destroy()
    this.connections.clear()
    await Promise.all([
      udp === undefined ? undefined : new Promise<void>((resolve) => { udp.close(() => { resolve() }) }),
      tcp === undefined ? undefined : new Promise<void>((resolve) => { tcp.close(() => { resolve() }) })
    ])
  }

  private async bindUdp (port: number): Promise<UdpSocket> {
    const socket = createSocket(ipFamily(this.host) === 6 ? 'udp6' : 'udp4')
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(port, this.host, () => {
        socket.off('error', reject)
        resolve()
      })
    })
    socket.on('error', (err) => { this.log(`DNS UDP socket error: ${err.message}`) })
    socket.on('message', (message, from) => {
      const signal = this.abort.signal
      void this.handler.handle(new Uint8Array(message), 'udp', signal).then((reply) => {
        if (reply === undefined || signal.aborted) return
        socket.send(reply, from.port, from.address, (err) => {
          if (err !== null && err !== undefined) this.log(`DNS UDP reply to ${from.address}:${from.port} failed: ${err.message}`)
        })
      }).catch((err: unknown) => { this.log(`DNS UDP reply to ${from.address}:${from.port} failed: ${String(err)}`) })
    })
    return socket
  }

  private async listenTcp (port: number): Promise<Server> {
    const server = createServer((connection) => { this.serveConnection(connection) })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, this.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    server.on('error', (err) => { this.log(`DNS TCP server error: ${err.message}`) })
    return server
  }

  private serveConnection (connection: Socket): void {
    this.connections.add(connection)
    const signal = this.abort.signal
    let buffered = Buffer.alloc(0)
    connection.setTimeout(this.tcpIdleTimeoutMs, () => { connection.destroy() })
    // Clients reset connections routinely: not a problem worth a log line.
    connection.on('error', () => {})
    connection.on('close', () => { this.connections.delete(connection) })
    connection.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk])
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0)
        if (buffered.length < 2 + length) break
        const query = new Uint8Array(buffered.subarray(2, 2 + length))
        buffered = buffered.subarray(2 + length)
        void this.handler.handle(query, 'tcp', signal).then((reply) => {
          if (reply === undefined || connection.destroyed) return
          const prefix = Buffer.alloc(2)
          prefix.writeUInt16BE(reply.length)
          connection.write(Buffer.concat([prefix, reply]))
        }).catch((err: unknown) => { this.log(`DNS TCP reply failed: ${String(err)}`) })
      }
    })
  }
}
