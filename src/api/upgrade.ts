// Requests that ask to switch protocols: `kubectl exec`, `attach` and `port-forward` send
// `Connection: Upgrade` with `Upgrade: websocket` (or `SPDY/3.1`) to a pod's subresource. Node's
// HTTP server hands such a request over with its raw socket instead of a response; this module
// checks it as any other request (token, route, method) and gives the socket to the handler of
// the subresource. A refusal before the switch is an ordinary HTTP answer with a Kubernetes
// Status body, so kubectl prints the server's message.

import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { PodIo } from './pod-io.ts'
import type { RequestUrl } from './request-url.ts'
import type { ResourceRoute } from './routes.ts'
import { ApiError, badRequest, methodNotAllowed } from './status.ts'

/** One upgrade request that passed the checks, as a subresource's handler sees it. */
export interface UpgradeContext {
  readonly req: IncomingMessage
  /** The connection, owned by the handler from now on. */
  readonly socket: Duplex
  /** Bytes the client sent after the request's headers (usually none). */
  readonly head: Buffer
  readonly url: RequestUrl
  readonly route: ResourceRoute
  /** The pod's name. */
  readonly name: string
  readonly podIo: PodIo
  /** Aborted when the server stops. */
  readonly signal: AbortSignal
}

export type UpgradeHandler = (ctx: UpgradeContext) => Promise<void>

/** The handlers of the subresources that switch protocols, by subresource name. */
export type UpgradeHandlers = Partial<Record<string, UpgradeHandler>>

const SWITCHING = ['exec', 'attach', 'portforward']

/** Checks an upgrade request to a subresource and picks its handler; throws ApiError to refuse. */
export function upgradeHandler (handlers: UpgradeHandlers, req: IncomingMessage, route: ResourceRoute): UpgradeHandler {
  const sub = route.subresource
  const handler = sub === undefined || route.name === undefined ? undefined : handlers[sub]
  if (handler === undefined && sub !== undefined && SWITCHING.includes(sub)) {
    throw badRequest(`this server does not serve pods/${sub} over a switched protocol yet: for a command, use \`flotilla exec POD -- COMMAND\``)
  }
  if (handler === undefined) {
    throw badRequest(`${req.url ?? ''} does not switch protocols: only the exec, attach and portforward subresources of a pod do (send the request without an Upgrade header)`)
  }
  if (req.method !== 'GET' && req.method !== 'POST') throw methodNotAllowed()
  return handler
}

/** Answers an upgrade request that will not be switched with a Status body, then closes. */
export function refuseUpgrade (socket: Duplex, err: ApiError): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const body = JSON.stringify(err.toStatus())
  const reason = STATUS_TEXT[err.code] ?? 'Error'
  const headers = [
    `HTTP/1.1 ${err.code} ${reason}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close'
  ]
  const retry = err.details?.retryAfterSeconds
  if (retry !== undefined) headers.push(`Retry-After: ${retry}`)
  socket.end(headers.join('\r\n') + '\r\n\r\n' + body)
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  500: 'Internal Server Error',
  503: 'Service Unavailable'
}
