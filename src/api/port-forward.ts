// pods/NAME/portforward: the protocol switch of `kubectl port-forward`. kubectl 1.31+ first
// asks for a WebSocket with the subprotocol `SPDY/3.1+portforward.k8s.io` and speaks SPDY/3.1
// inside its binary messages (KEP-4006); when that is refused (or with
// KUBECTL_PORT_FORWARD_WEBSOCKETS=false) it asks for `Upgrade: SPDY/3.1` with
// `X-Stream-Protocol-Version: portforward.k8s.io`. Both end in the same SPDY session
// (port-forward-session.ts). A request that cannot be switched is refused with a Status
// before the switch, so kubectl can print it or fall back.

import type { IncomingMessage } from 'node:http'
import { WebSocketServer, type WebSocket } from 'ws'
import { PORT_FORWARD_PROTOCOL, PortForwardSession } from './port-forward-session.ts'
import { SpdySession } from './spdy/session.ts'
import { ApiError, badRequest } from './status.ts'
import type { UpgradeContext, UpgradeHandler } from './upgrade.ts'
import { webSocketBytes } from './websocket-bytes.ts'

/** The WebSocket subprotocol of SPDY tunnelled for port-forward. */
export const PORT_FORWARD_TUNNEL_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`

/** Largest WebSocket message accepted: a SPDY frame (1 MiB here) and its header. */
const MAX_MESSAGE = (1 << 20) + 8

const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false, maxPayload: MAX_MESSAGE })

// `ws` accepts only RFC 7230 tokens as subprotocols and `SPDY/3.1+…` has a slash: it would
// refuse the handshake. The header is checked here, taken away from `ws`, and the choice put
// back into the 101 answer.
const tunnelled = new WeakSet<IncomingMessage>()
wss.on('headers', (headers: string[], req: IncomingMessage) => {
  if (tunnelled.has(req)) headers.push(`Sec-WebSocket-Protocol: ${PORT_FORWARD_TUNNEL_PROTOCOL}`)
})

/** The values of a header that may be repeated or comma-separated. */
function listHeader (req: IncomingMessage, name: string): string[] {
  const v = req.headers[name]
  const all = Array.isArray(v) ? v : v === undefined ? [] : [v]
  return all.flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '')
}

function serve (ctx: UpgradeContext, session: SpdySession): void {
  new PortForwardSession(session, { podIo: ctx.podIo, namespace: ctx.route.namespace, pod: ctx.name, signal: ctx.signal })
  const stop = (): void => { session.destroy() }
  ctx.signal.addEventListener('abort', stop, { once: true })
  session.once('close', () => { ctx.signal.removeEventListener('abort', stop) })
}

function overWebSocket (ctx: UpgradeContext): void {
  const offered = listHeader(ctx.req, 'sec-websocket-protocol')
  if (!offered.includes(PORT_FORWARD_TUNNEL_PROTOCOL)) {
    throw badRequest(`port-forward over a WebSocket needs the subprotocol ${PORT_FORWARD_TUNNEL_PROTOCOL} (offered: ${offered.join(', ') || 'none'})`)
  }
  if (ctx.req.method !== 'GET') throw badRequest('a WebSocket upgrade is a GET request')
  delete ctx.req.headers['sec-websocket-protocol']
  tunnelled.add(ctx.req)
  wss.handleUpgrade(ctx.req, ctx.socket, ctx.head, (ws: WebSocket) => {
    const session = new SpdySession(webSocketBytes(ws))
    serve(ctx, session)
  })
}

function overSpdy (ctx: UpgradeContext): void {
  const offered = listHeader(ctx.req, 'x-stream-protocol-version')
  if (offered.length > 0 && !offered.includes(PORT_FORWARD_PROTOCOL)) {
    throw new ApiError(403, 'Forbidden', `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server supports [${PORT_FORWARD_PROTOCOL}]`, {})
  }
  const lines = ['HTTP/1.1 101 Switching Protocols', 'Connection: Upgrade', 'Upgrade: SPDY/3.1']
  if (offered.length > 0) lines.push(`X-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}`)
  ctx.socket.write(lines.join('\r\n') + '\r\n\r\n')
  const session = new SpdySession(ctx.socket)
  session.unshift(ctx.head)
  serve(ctx, session)
}

/** The UpgradeHandler of the portforward subresource. */
export const portForwardUpgrade: UpgradeHandler = async (ctx) => {
  const upgrade = (ctx.req.headers.upgrade ?? '').toLowerCase()
  if (upgrade === 'websocket') overWebSocket(ctx)
  else if (upgrade.split(',').map((s) => s.trim()).includes('spdy/3.1')) overSpdy(ctx)
  else throw badRequest(`port-forward switches to a WebSocket (subprotocol ${PORT_FORWARD_TUNNEL_PROTOCOL}) or to SPDY/3.1, not to ${JSON.stringify(ctx.req.headers.upgrade ?? '')}`)
}
