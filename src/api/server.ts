// The Kubernetes-compatible HTTP API one agent serves: bearer-token authentication, routing
// to discovery documents and resource handlers, and a Status object for every failure. Each
// request is handled in its own try/catch: no input can take the server down. Given a
// certificate, it speaks HTTPS and plain HTTP on the same port (protocol-sniffer.ts): kubectl
// sends its token only over HTTPS, and the CLI, tests and bench keep using http:// URLs.
//
//   const api = createApiServer({ backend, kinds: KINDS, token })
//   const { port } = await api.start()
//   ...
//   await api.stop()

import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import type { AddressInfo, Server as NetServer, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { KindInfo } from '../objects/registry.ts'
import type { ApiBackend } from './backend.ts'
import type { PodIo } from './pod-io.ts'
import { sendError, sendJson, type RequestContext } from './context.ts'
import { apiGroupDocument, apiGroupList, apiResourceList, apiVersions, versionInfo } from './discovery.ts'
import { openApiDocument, openApiRoot } from './openapi.ts'
import { ProtocolSniffer } from './protocol-sniffer.ts'
import { handleResource } from './resource-handler.ts'
import { parseRequestUrl, type RequestUrl } from './request-url.ts'
import { KindIndex, route, splitPath, type Route } from './routes.ts'
import { ApiError, badRequest, methodNotAllowed, notFoundPath, toApiError, unauthorized } from './status.ts'
import { refuseUpgrade, upgradeHandler, type UpgradeContext } from './upgrade.ts'
import { UPGRADE_HANDLERS } from './upgrade-handlers.ts'

export interface ApiServerOptions {
  /** The local replica, Raft writes and read barriers. */
  backend: ApiBackend
  /** The kinds served (src/objects/kinds.ts KINDS in the agent, fixtures in tests). */
  kinds: readonly KindInfo[]
  /** Every request but the health checks must carry `Authorization: Bearer <token>`. */
  token: string
  /** Largest request body accepted; larger ones get 413. Default 3 MiB, as Kubernetes. */
  maxBodyBytes?: number
  /** Address to listen on. Default '127.0.0.1'. */
  host?: string
  /** Port to listen on; 0 picks a free one. Default 6443. */
  port?: number
  /** How long a request waits for a write or a read barrier before 504. Default 60 s. */
  requestTimeoutMs?: number
  /** How long a read waits for the local replica to reach a resourceVersion the client gave. Default 3 s. */
  resourceVersionWaitMs?: number
  /** Lifetime of a watch that gives no timeoutSeconds; the client then re-watches. Default 1800 s. */
  watchTimeoutSeconds?: number
  /** How often a watch that allows bookmarks gets a BOOKMARK when its resourceVersion moved. Default 60 s, as Kubernetes. */
  watchBookmarkIntervalMs?: number
  /** Serve HTTPS with this key and certificate (PEM) too, on the same port as plain HTTP. Default: plain HTTP only. */
  tls?: { key: string | Buffer, cert: string | Buffer }
  /** Non-Kubernetes GET endpoints by exact path (e.g. `/flotilla/v1/cluster/status`), answered with JSON. Authenticated like the rest. */
  extensions?: Record<string, (signal: AbortSignal) => Promise<unknown>>
  /** Serves the pods/log and pods/exec subresources (the agent relays to the pod's node). Default: none (404). */
  podIo?: PodIo
}

const DEFAULT_MAX_BODY = 3 * 1024 * 1024

export class ApiServer {
  /** The listener; connections go on to `http` or `https` by their first byte. */
  readonly server: NetServer
  private readonly http: Server
  private readonly https: HttpsServer | undefined
  private readonly sniffer: ProtocolSniffer
  private readonly index: KindIndex
  private readonly tokenDigest: Buffer
  /** The Authorization header value last accepted, as bytes (authorized()). */
  private acceptedHeader: Buffer
  private readonly watches = new Set<() => void>()
  /** Connections switched to another protocol (exec, port-forward): ended by stop(). */
  private readonly upgraded = new Set<Duplex>()
  private readonly stopping = new AbortController()
  private readonly options: Required<Omit<ApiServerOptions, 'tls' | 'extensions' | 'podIo'>>
  private readonly extensions: Record<string, (signal: AbortSignal) => Promise<unknown>>
  private readonly podIo: PodIo | undefined
  /** RequestContext.trackWatch, made once (a closure per request cost a __name call in the bundle). */
  private readonly trackWatch = (end: () => void): () => void => {
    this.watches.add(end)
    return () => { this.watches.delete(end) }
  }

  constructor (options: ApiServerOptions) {
    this.options = {
      backend: options.backend,
      kinds: options.kinds,
      token: options.token,
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY,
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 6443,
      requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
      resourceVersionWaitMs: options.resourceVersionWaitMs ?? 3_000,
      watchTimeoutSeconds: options.watchTimeoutSeconds ?? 1800,
      watchBookmarkIntervalMs: options.watchBookmarkIntervalMs ?? 60_000
    }
    this.extensions = options.extensions ?? {}
    this.podIo = options.podIo
    if (options.token === '') throw new Error('The API needs a non-empty bearer token: pass the cluster token as `token`')
    this.index = new KindIndex(options.kinds)
    this.tokenDigest = digest(options.token)
    this.acceptedHeader = Buffer.from(`Bearer ${options.token}`)
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => { this.onRequest(req, res) }
    this.http = createHttpServer(onRequest)
    this.https = options.tls === undefined ? undefined : createHttpsServer({ ...options.tls, ALPNProtocols: ['http/1.1'] }, onRequest)
    for (const s of [this.http, this.https]) {
      s?.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => { this.onUpgrade(req, socket, head) })
      s?.on('clientError', (_err: Error, socket: Duplex) => {
        // Unparseable requests (garbage methods, broken headers): answer 400 if we still can.
        if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
        else socket.destroy()
      })
    }
    this.sniffer = new ProtocolSniffer({ plain: this.http, secure: this.https, firstByteTimeoutMs: this.options.requestTimeoutMs })
    this.server = this.sniffer.server
  }

  /** True when the server also speaks HTTPS. */
  get tls (): boolean { return this.https !== undefined }

  /** Listens; resolves with the port actually bound (useful with port 0). */
  async start (): Promise<{ host: string, port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject)
        // The inner servers never listen themselves: this starts their connection tracking
        // (headersTimeout, requestTimeout, closeAllConnections), as their own listen would.
        this.http.emit('listening')
        this.https?.emit('listening')
        resolve()
      })
    })
    return { host: this.options.host, port: this.port }
  }

  /** The bound port (after start). */
  get port (): number {
    return (this.server.address() as AddressInfo | null)?.port ?? this.options.port
  }

  /** Ends every watch, stops listening and closes all connections. */
  async stop (): Promise<void> {
    for (const end of [...this.watches]) end()
    this.stopping.abort()
    for (const socket of this.upgraded) socket.destroy()
    if (!this.server.listening) return
    const closed = new Promise<void>(resolve => this.server.close(() => resolve()))
    for (const inner of [this.http, this.https]) {
      inner?.closeAllConnections()
      inner?.close() // stops their connection tracking; they were never bound
    }
    this.sniffer.closeAll()
    await closed
  }

  private onRequest (req: IncomingMessage, res: ServerResponse): void {
    req.on('error', ignore)
    res.on('error', ignore)
    this.serve(req, res).catch((err: unknown) => { this.fail(req, res, err) })
  }

  /** A request with `Connection: Upgrade`: checked as any request, then its socket goes to the subresource's handler. */
  private onUpgrade (req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', ignore)
    let ctx: UpgradeContext
    let handler
    try {
      let url: RequestUrl
      try {
        url = parseRequestUrl(req.url ?? '/')
      } catch {
        throw badRequest(`malformed request URL ${JSON.stringify(req.url)}`)
      }
      if (!this.authorized(req)) throw unauthorized()
      const r = route(this.index, splitPath(url.pathname))
      if (r === undefined) throw notFoundPath()
      if (r.type !== 'resource') throw badRequest(`${url.pathname} does not switch protocols: send the request without an Upgrade header`)
      handler = upgradeHandler(UPGRADE_HANDLERS, req, r)
      if (this.podIo === undefined) throw new ApiError(404, 'NotFound', 'this server does not serve pod exec, attach or port-forward', {})
      ctx = { req, socket, head, url, route: r, name: r.name as string, podIo: this.podIo, signal: this.stopping.signal }
    } catch (err) {
      refuseUpgrade(socket, toApiError(err))
      return
    }
    this.upgraded.add(socket)
    socket.once('close', () => { this.upgraded.delete(socket) })
    handler(ctx).catch((err: unknown) => {
      // A handler throws only before it switched protocols: the client still reads HTTP.
      refuseUpgrade(socket, toApiError(err))
    })
  }

  private fail (req: IncomingMessage, res: ServerResponse, err: unknown): void {
    try {
      if (res.headersSent) {
        if (!res.writableEnded) res.destroy()
        return
      }
      const apiErr = toApiError(err)
      if (apiErr.code === 413 || !req.complete) {
        // The rest of the body is not read: close the connection once the answer is out.
        res.shouldKeepAlive = false
        res.setHeader('Connection', 'close')
        res.on('finish', () => { (req.socket as Socket | null)?.destroySoon() })
      }
      sendError(res, apiErr)
    } catch {
      res.destroy()
    }
  }

  /**
   * Constant-time against the configured token. A client sends the same header on every
   * request, so the bytes of the last accepted one are kept and compared first (a sha256 per
   * request cost ~10 µs of a write's CPU). Any other header takes the full check over
   * sha256 digests, which also hides the token's length.
   */
  private authorized (req: IncomingMessage): boolean {
    const header = req.headers.authorization
    if (header === undefined) return false
    const bytes = Buffer.from(header)
    if (bytes.length === this.acceptedHeader.length && timingSafeEqual(bytes, this.acceptedHeader)) return true
    const match = /^Bearer\s+(.+)$/i.exec(header.trim())
    if (match === null || match[1] === undefined) return false
    if (!timingSafeEqual(digest(match[1]), this.tokenDigest)) return false
    this.acceptedHeader = bytes
    return true
  }

  private async serve (req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: RequestUrl
    try {
      url = parseRequestUrl(req.url ?? '/')
    } catch {
      throw badRequest(`malformed request URL ${JSON.stringify(req.url)}`)
    }
    const r = route(this.index, splitPath(url.pathname))
    if (r?.type === 'health') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' })
      res.end('ok')
      return
    }
    if (!this.authorized(req)) throw unauthorized()
    const extension = Object.hasOwn(this.extensions, url.pathname) ? this.extensions[url.pathname] : undefined
    if (extension !== undefined) {
      if (req.method !== 'GET') throw methodNotAllowed()
      sendJson(res, 200, await extension(AbortSignal.timeout(this.options.requestTimeoutMs)))
      return
    }
    if (r === undefined) throw notFoundPath()
    if (r.type === 'resource') {
      await handleResource(this.context(req, res, url, r))
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed()
    sendJson(res, 200, this.discovery(r, req))
  }

  private discovery (r: Exclude<Route, { type: 'resource' | 'health' }>, req: IncomingMessage): unknown {
    switch (r.type) {
      case 'version': return versionInfo()
      case 'api-versions': return apiVersions(`${req.socket.localAddress ?? this.options.host}:${req.socket.localPort ?? this.port}`)
      case 'group-list': return apiGroupList(this.index)
      case 'group': return apiGroupDocument(this.index, r.group)
      case 'resource-list': return apiResourceList(this.index, r.group, r.version)
      case 'openapi-root': return openApiRoot(this.index)
      case 'openapi': return openApiDocument(this.index, r.group, r.version)
    }
  }

  private context (req: IncomingMessage, res: ServerResponse, url: RequestUrl, r: Extract<Route, { type: 'resource' }>): RequestContext {
    // One controller per request: aborted when the client goes away before the answer is
    // complete, or when the request times out. (AbortSignal.any/timeout per request, and an
    // abort on every normal close, cost measurable CPU on the write path.)
    const controller = new AbortController()
    const timer = setTimeout(() => {
      controller.abort(new DOMException('The request took longer than the server allows', 'TimeoutError'))
    }, this.options.requestTimeoutMs)
    timer.unref()
    res.on('close', () => {
      clearTimeout(timer)
      if (!res.writableFinished) controller.abort()
    })
    return {
      req,
      res,
      url,
      route: r,
      backend: this.options.backend,
      signal: controller.signal,
      maxBodyBytes: this.options.maxBodyBytes,
      resourceVersionWaitMs: this.options.resourceVersionWaitMs,
      watchTimeoutSeconds: this.options.watchTimeoutSeconds,
      watchBookmarkIntervalMs: this.options.watchBookmarkIntervalMs,
      trackWatch: this.trackWatch,
      ...(this.podIo !== undefined ? { podIo: this.podIo } : {})
    }
  }
}

/** Errors on a request or response stream: the request's own handling answers or gives up. */
function ignore (): void {}

function digest (token: string): Buffer {
  return createHash('sha256').update(token).digest()
}

export function createApiServer (options: ApiServerOptions): ApiServer {
  return new ApiServer(options)
}
