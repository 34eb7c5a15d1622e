// `kubectl exec` (and attach-less interactive exec): an upgrade of pods/NAME/exec to a
// WebSocket speaking v5.channel.k8s.io or v4.channel.k8s.io (exec-channels.ts). The query
// names the command (`command`, repeated), `container`, and which of `stdin`, `stdout`,
// `stderr`, `tty` to attach. The process is started (PodIo.execStream) before the switch, so
// a wrong pod, container or command is an ordinary HTTP answer with a Status that kubectl
// prints. Once switched, the process's output goes out as channel messages, client messages
// go to its stdin and terminal, and the error channel ends the session with a Status
// (NonZeroExitCode carries the exit code kubectl exits with); then the socket closes.
// SPDY is not served. kubectl retries with SPDY whenever the WebSocket upgrade is answered
// with an error, and prints the answer to that retry: so the SPDY retry of a refused request
// gets the same refusal (remembered briefly by URL), not a message about protocols.

import type { IncomingMessage } from 'node:http'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import { encodeStatus, exitStatus } from './exec-channels.ts'
import { ExecSessionStream } from './exec-session-stream.ts'
import { toApi, type AttachRequest, type ExecSession, type ExecStreamRequest } from './pod-io.ts'
import { ApiError, badRequest } from './status.ts'
import type { UpgradeContext } from './upgrade.ts'

/** The subprotocols served, best first. */
export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io']

/** Output bytes waiting in the socket beyond which the process's output is paused. */
const SEND_HIGH_WATER = 1024 * 1024

const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  handleProtocols: (offered) => EXEC_PROTOCOLS.find((p) => offered.has(p)) ?? false
})

/** Refusals of WebSocket exec requests, by URL, for the SPDY retry kubectl follows them with. */
const refusals = new Map<string, { err: ApiError, until: number }>()
const REFUSAL_TTL_MS = 10_000
const MAX_REFUSALS = 256

function remember (url: string, err: unknown): void {
  if (!(err instanceof ApiError)) return
  const now = Date.now()
  for (const [k, v] of refusals) if (v.until < now || refusals.size >= MAX_REFUSALS) refusals.delete(k)
  refusals.set(url, { err, until: now + REFUSAL_TTL_MS })
}

function flag (v: string | null): boolean {
  return v === 'true' || v === '1'
}

/** The exec request of a query; throws ApiError (400) for one kubectl would not send. */
export function execStreamRequest (q: URLSearchParams, namespace: string, pod: string): ExecStreamRequest {
  const req: ExecStreamRequest = {
    namespace,
    pod,
    command: q.getAll('command'),
    stdin: flag(q.get('stdin')),
    stdout: flag(q.get('stdout')),
    stderr: flag(q.get('stderr')),
    tty: flag(q.get('tty'))
  }
  const container = q.get('container')
  if (container !== null && container !== '') req.container = container
  if (req.command.length === 0) throw badRequest('you must specify at least one command for the container')
  if (!req.stdin && !req.stdout && !req.stderr) throw badRequest('you must specify at least 1 of stdin, stdout, stderr')
  if (req.tty && req.stderr) req.stderr = false // the terminal carries stderr on stdout
  return req
}

/** The attach request of a query (`kubectl attach`: container, stdin, stdout, stderr, tty). */
export function attachRequest (q: URLSearchParams, namespace: string, pod: string): AttachRequest {
  const req: AttachRequest = { namespace, pod, stdin: flag(q.get('stdin')), stdout: flag(q.get('stdout')), stderr: flag(q.get('stderr')) }
  const container = q.get('container')
  if (container !== null && container !== '') req.container = container
  if (!req.stdin && !req.stdout && !req.stderr) throw badRequest('you must specify at least 1 of stdin, stdout, stderr')
  return req
}

/** Refuses what is not a WebSocket upgrade offering a channel protocol this server speaks. */
function checkUpgrade (req: IncomingMessage): void {
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
    const refused = refusals.get(req.url ?? '')
    if (refused !== undefined && refused.until >= Date.now()) throw refused.err
    throw badRequest(`this server streams exec over WebSocket (${EXEC_PROTOCOLS.join(', ')}), not ${req.headers.upgrade ?? 'no protocol'}: use kubectl 1.30 or newer`)
  }
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim())
  if (!EXEC_PROTOCOLS.some((p) => offered.includes(p))) {
    throw badRequest(`none of the offered subprotocols (${offered.filter((p) => p !== '').join(', ') || 'none'}) is served: this server speaks ${EXEC_PROTOCOLS.join(', ')}`)
  }
}

export async function execUpgrade (ctx: UpgradeContext): Promise<void> {
  await switched(ctx, async (signal) => {
    const req = execStreamRequest(ctx.url.searchParams, ctx.route.namespace, ctx.name)
    return { session: await ctx.podIo.execStream(req, signal).catch((err: unknown) => { throw toApi(err) }), command: req.command }
  })
}

/** `kubectl attach`: the same protocol, to the container's main process; it ends with Success (detached or ended). */
export async function attachUpgrade (ctx: UpgradeContext): Promise<void> {
  await switched(ctx, async (signal) => {
    const req = attachRequest(ctx.url.searchParams, ctx.route.namespace, ctx.name)
    const podIo = ctx.podIo
    if (podIo.attach === undefined) throw badRequest('this server does not serve pods/attach')
    return { session: await podIo.attach(req, signal).catch((err: unknown) => { throw toApi(err) }) }
  })
}

/** Starts a session (refusals answered as HTTP, and remembered for kubectl's SPDY retry), then switches to WebSocket. */
async function switched (ctx: UpgradeContext, start: (signal: AbortSignal) => Promise<{ session: ExecSession, command?: string[] }>): Promise<void> {
  checkUpgrade(ctx.req)
  const ended = new AbortController()
  const signal = AbortSignal.any([ctx.signal, ended.signal])
  let started: { session: ExecSession, command?: string[] }
  try {
    started = await start(signal)
  } catch (err) {
    remember(ctx.req.url ?? '', err)
    throw err
  }
  const { session, command } = started
  if (ctx.socket.destroyed) {
    session.close()
    return
  }
  // A handshake that ws refuses (a malformed key) never reaches the callback: the session goes with the socket.
  let accepted = false
  ctx.socket.once('close', () => { if (!accepted) session.close() })
  wss.handleUpgrade(ctx.req, ctx.socket, ctx.head, (ws) => {
    accepted = true
    const last = (code: number): Buffer => encodeStatus(command === undefined ? exitStatus(0, []) : exitStatus(code, command))
    serveSession(ws, new ExecSessionStream(session, last))
    ws.once('close', () => { ended.abort() })
  })
}

/** Joins a switched WebSocket and a session's message stream until the session ends or the client goes. */
export function serveSession (ws: WebSocket, stream: ExecSessionStream): void {
  const v5 = ws.protocol === EXEC_PROTOCOLS[0]
  ws.on('error', () => {})
  stream.on('error', () => {})
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (!isBinary) {
      ws.close(1003, 'the channel protocols carry binary messages')
      return
    }
    const msg = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)
    // Only v5 has a stdin close; in v4 a message 255 would be data of channel 255 (ignored).
    if (!v5 && msg[0] === 255) return
    if (!stream.write(msg)) {
      ws.pause()
      stream.once('drain', () => { ws.resume() })
    }
  })
  stream.on('data', (msg: Buffer) => {
    ws.send(msg, { binary: true }, () => {
      if (ws.bufferedAmount < SEND_HIGH_WATER / 2 && stream.isPaused()) stream.resume()
    })
    if (ws.bufferedAmount > SEND_HIGH_WATER) stream.pause()
  })
  stream.once('end', () => { ws.close(1000) })
  stream.once('close', () => { if (ws.readyState === ws.OPEN) ws.close(1011, 'the session broke') })
  // The client went away (or kubectl was stopped): give the process up.
  ws.once('close', () => { stream.destroy() })
}
