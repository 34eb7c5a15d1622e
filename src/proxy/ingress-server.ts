// The ingress HTTP server: a reverse proxy on one address and port. Each request is routed by
// `lookup(host, target)` (the role builds it from ingress-routes.ts) and forwarded to one of
// the Service's ready endpoints, taken in turn per Service (round robin). A backend that
// refuses or does not accept within the connect timeout is passed over for the next one —
// the request body is not read before a backend has accepted, so nothing is lost; only when
// every backend fails does the client get 502. No route: 404; a route whose Service has no
// ready endpoint: 503 naming the Service. The method, target and headers go through (hop-by-hop
// headers dropped, X-Forwarded-For/-Host/-Proto added; Host kept), bodies stream both ways,
// and clients may keep their connections alive (each request opens its own backend
// connection). Malformed requests get 400 from Node's parser; nothing a client sends stops the
// server. Upgrades (WebSocket) are not proxied.

import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import { connect, type Socket } from 'node:net'
import type { Backend } from './service-table.ts'
import { boundPort, listenServer } from './listen.ts'

/** Where a request goes: nowhere, a Service without ready endpoints, or these backends. */
export type IngressTarget =
  | { readonly kind: 'none' }
  | { readonly kind: 'unavailable', readonly service: string, readonly why: string }
  | { readonly kind: 'backends', readonly service: string, readonly backends: readonly Backend[] }

/** Routes a request by its Host header (undefined when absent) and request target. */
export type IngressLookup = (host: string | undefined, target: string) => IngressTarget

export interface IngressServerOptions {
  readonly address: string
  /** 0 picks a free port (see `port`). */
  readonly port: number
  readonly lookup: IngressLookup
  /** Give up on a backend that has not accepted after this long. Default 1000 ms. */
  readonly connectTimeoutMs?: number
  readonly log?: (line: string) => void
}

/** Headers that concern one connection, never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authenticate', 'proxy-authorization'])

function forwardable (headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = new Set(String(headers.connection ?? '').split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== ''))
  const out: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && !listed.has(name)) out[name] = value
  }
  return out
}

/** The target a backend gets: origin form (`/path?query`); an absolute-form target loses its scheme and authority. */
export function originForm (target: string): string {
  if (target.startsWith('/') || target === '*') return target
  const scheme = target.indexOf('://')
  if (scheme < 0) return '/'
  const rest = target.slice(scheme + 3)
  const at = rest.search(/[/?]/)
  return at < 0 ? '/' : rest[at] === '?' ? `/${rest.slice(at)}` : rest.slice(at)
}

function plain (res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

export class IngressServer {
  private readonly server: Server
  private readonly sockets = new Set<Socket>()
  /** Round-robin position per Service. */
  private readonly next = new Map<string, number>()

  constructor (private readonly opts: IngressServerOptions) {
    this.server = createServer((req, res) => { this.handle(req, res) })
    this.server.on('connection', (s) => { this.track(s) })
    this.server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
      else socket.destroy()
    })
  }

  get port (): number { return boundPort(this.server, this.opts.port) }

  /** Bind; rejects with the socket error (EADDRINUSE, EADDRNOTAVAIL …). */
  async listen (): Promise<void> {
    await listenServer(this.server, this.opts.address, this.opts.port, (err) => { this.opts.log?.(`ingress ${this.opts.address}:${this.port}: ${err.message}`) })
  }

  /** Stop listening and drop every connection, client and backend. */
  async close (): Promise<void> {
    for (const s of this.sockets) s.destroy()
    if (!this.server.listening) return
    await new Promise<void>((resolve) => { this.server.close(() => { resolve() }) })
  }

  private track (s: Socket): void {
    this.sockets.add(s)
    s.once('close', () => { this.sockets.delete(s) })
  }

  private handle (req: IncomingMessage, res: ServerResponse): void {
    req.on('error', () => { res.destroy() })
    res.on('error', () => { req.destroy() })
    let target: IngressTarget
    try {
      target = this.opts.lookup(req.headers.host, req.url ?? '/')
    } catch (err) {
      this.opts.log?.(`ingress: routing ${req.headers.host ?? ''}${req.url ?? ''}: ${(err as Error).message}`)
      plain(res, 500, 'ingress: internal error while routing the request\n')
      return
    }
    if (target.kind === 'none') {
      plain(res, 404, `404 Not Found: no Ingress rule matches host "${req.headers.host ?? ''}" and path "${req.url ?? '/'}"\n`)
      return
    }
    if (target.kind === 'unavailable') {
      plain(res, 503, `503 Service Unavailable: Service ${target.service} has no ready endpoint (${target.why})\n`)
      return
    }
    const n = target.backends.length
    if (n === 0) {
      plain(res, 503, `503 Service Unavailable: Service ${target.service} has no ready endpoint\n`)
      return
    }
    const start = (this.next.get(target.service) ?? 0) % n
    this.next.set(target.service, start + 1)
    const order = [...target.backends.slice(start), ...target.backends.slice(0, start)]
    this.tryNext(req, res, target.service, order, [])
  }

  private tryNext (req: IncomingMessage, res: ServerResponse, service: string, candidates: Backend[], failures: string[]): void {
    const backend = candidates.shift()
    if (res.destroyed || req.destroyed) return
    if (backend === undefined) {
      plain(res, 502, `502 Bad Gateway: no endpoint of Service ${service} answered (${failures.join('; ')})\n`)
      return
    }
    const upstream = connect({ host: backend.ip, port: backend.port })
    this.track(upstream)
    const timer = setTimeout(() => { upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })) }, this.opts.connectTimeoutMs ?? 1000)
    const onEarlyError = (err: NodeJS.ErrnoException): void => {
      clearTimeout(timer)
      upstream.destroy()
      failures.push(`${backend.ip}:${backend.port}: ${err.code ?? err.message}`)
      this.tryNext(req, res, service, candidates, failures)
    }
    upstream.once('error', onEarlyError)
    // The client may leave while we connect.
    const onGone = (): void => {
      clearTimeout(timer)
      upstream.destroy()
    }
    res.once('close', onGone)
    upstream.once('connect', () => {
      clearTimeout(timer)
      upstream.off('error', onEarlyError)
      res.off('close', onGone)
      try {
        this.forward(req, res, upstream, service)
      } catch (err) {
        // Node's client refused what its server accepted (an odd target or header): say so, stay up.
        upstream.destroy()
        plain(res, 502, `502 Bad Gateway: cannot forward this request: ${(err as Error).message}\n`)
      }
    })
  }

  private forward (req: IncomingMessage, res: ServerResponse, upstream: Socket, service: string): void {
    const headers = forwardable(req.headers)
    const chunked = /chunked/i.test(String(req.headers['transfer-encoding'] ?? ''))
    // Node re-chunks what it writes when told to; the body reaches us already de-chunked.
    if (chunked) headers['transfer-encoding'] = 'chunked'
    const prior = req.headers['x-forwarded-for']
    const client = req.socket.remoteAddress ?? ''
    headers['x-forwarded-for'] = prior === undefined ? client : `${String(prior)}, ${client}`
    if (req.headers.host !== undefined) headers['x-forwarded-host'] = req.headers.host
    headers['x-forwarded-proto'] = 'http'
    const out = request({ createConnection: () => upstream, method: req.method, path: originForm(req.url ?? '/'), headers, setHost: false })
    out.on('response', (answer) => {
      answer.on('error', () => { res.destroy() })
      answer.on('aborted', () => { res.destroy() })
      if (res.destroyed) {
        answer.destroy()
        return
      }
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, forwardable(answer.headers))
      answer.pipe(res)
    })
    out.on('error', (err: NodeJS.ErrnoException) => {
      if (!res.headersSent) plain(res, 502, `502 Bad Gateway: the endpoint of Service ${service} failed: ${err.code ?? err.message}\n`)
      else res.destroy()
    })
    res.on('close', () => { if (!res.writableFinished) out.destroy() })
    req.pipe(out)
  }
}
