// The pods/log, pods/exec and pods/portforward subresources: what the API needs from the agent
// to serve them (PodIo, implemented by the kubelet on the pod's node and relayed there by the
// agent that takes the request), and the plain HTTP side: GET pods/NAME/log (container,
// follow, tailLines, previous) streams text/plain; POST pods/NAME/exec?command=…&container=…
// without an Upgrade header runs a command to its end and answers { exitCode, output }
// (`flotilla exec`). `kubectl exec` switches to WebSocket streams instead (exec-stream.ts),
// served by execStream.

import type { Duplex, Readable, Writable } from 'node:stream'
import type { RequestContext } from './context.ts'
import { sendJson } from './context.ts'
import { ApiError, badRequest, methodNotAllowed } from './status.ts'

export interface LogRequest {
  namespace: string
  pod: string
  container?: string
  follow?: boolean
  tailLines?: number
  previous?: boolean
}

export interface ExecRequest {
  namespace: string
  pod: string
  container?: string
  command: string[]
  /** Give up after this long (exit code -1). Default 60 s. */
  timeoutMs?: number
}

export interface ExecResponse { exitCode: number, output: string }

/** An interactive exec: the process's streams stay open while it runs. */
export interface ExecStreamRequest {
  namespace: string
  pod: string
  container?: string
  command: string[]
  /** Attach the process's stdin (ExecSession.stdin). */
  stdin: boolean
  stdout: boolean
  /** Ignored with a TTY: the terminal merges stderr into stdout. */
  stderr: boolean
  /** Run the process under a pseudo-terminal. */
  tty: boolean
}

/** A terminal's size in characters. */
export interface TerminalSize { width: number, height: number }

/**
 * A process started by execStream, with live streams. Its output streams end when the
 * process ended (and all of it was read); then `exitCode` resolves.
 */
export interface ExecSession {
  /** The process's stdin, when asked for: end() closes it (the process reads EOF). */
  readonly stdin?: Writable
  /** Its stdout (with a TTY: all of the terminal's output), when asked for. */
  readonly stdout?: Readable
  /** Its stderr, when asked for without a TTY. */
  readonly stderr?: Readable
  /** Sets the terminal's size (TTY only; a no-op otherwise). Never throws. */
  resize (size: TerminalSize): void
  /** The process's exit code, once it ended; -1 when it cannot be known (the session broke). */
  readonly exitCode: Promise<number>
  /** Leaves the process: closes the streams (for a TTY the terminal hangs up). Idempotent. */
  close (): void
}

/** `kubectl attach`: the streams of a container's main process. */
export interface AttachRequest {
  namespace: string
  pod: string
  container?: string
  stdin: boolean
  stdout: boolean
  stderr: boolean
}

/** A connection to a TCP port of a pod, for port-forward. */
export interface PortForwardRequest { namespace: string, pod: string, port: number }

/** What the API needs for the pods/log, pods/exec and pods/portforward subresources. */
export interface PodIo {
  logs (req: LogRequest, signal: AbortSignal): AsyncIterable<string>
  /** Runs a command to its end (`flotilla exec`). */
  exec (req: ExecRequest, signal: AbortSignal): Promise<ExecResponse>
  /**
   * Starts a command with live streams (`kubectl exec`). Rejects with PodIoError before
   * anything runs when the pod, container or command is wrong; aborting `signal` closes the session.
   */
  execStream (req: ExecStreamRequest, signal: AbortSignal): Promise<ExecSession>
  /**
   * A connection to the pod's TCP port: the bytes to and from it. Rejects with PodIoError
   * (404 no such pod, 400 not running or bad port, 503 the port refuses or the node is
   * unreachable); aborting `signal` destroys the connection, also after it opened.
   */
  portForward (req: { namespace: string, pod: string, port: number }, signal: AbortSignal): Promise<Duplex>
  /**
   * Attaches to a running container's main process (`kubectl attach`); its exitCode is the
   * container's once it ended. close() detaches. Optional: without it, attach is refused.
   */
  attach? (req: AttachRequest, signal: AbortSignal): Promise<ExecSession>
}

/** A logs or exec request that cannot be served; `code` is the HTTP status to answer with. */
export class PodIoError extends Error {
  override readonly name = 'PodIoError'
  constructor (readonly code: 400 | 404 | 503, message: string) {
    super(message)
  }
}


/** The ApiError (Status) for a PodIoError; other errors as they are. */
export function toApi (err: unknown): unknown {
  if (err instanceof PodIoError) return new ApiError(err.code, err.code === 404 ? 'NotFound' : err.code === 400 ? 'BadRequest' : 'ServiceUnavailable', err.message, {})
  return err
}

function podIoOf (ctx: RequestContext): PodIo {
  if (ctx.podIo === undefined) throw new ApiError(404, 'NotFound', 'this server does not serve pod logs or exec', {})
  return ctx.podIo
}

function flag (v: string | null): boolean {
  return v === 'true' || v === '1'
}

export async function podLog (ctx: RequestContext, name: string): Promise<void> {
  const q = ctx.url.searchParams
  const tail = q.get('tailLines')
  if (tail !== null && !/^\d+$/.test(tail)) throw badRequest(`tailLines must be a non-negative integer, not ${JSON.stringify(tail)}`)
  const req: LogRequest = { namespace: ctx.route.namespace, pod: name, follow: flag(q.get('follow')), previous: flag(q.get('previous')) }
  const container = q.get('container')
  if (container !== null && container !== '') req.container = container
  if (tail !== null) req.tailLines = Number(tail)
  // A followed log lives as long as the client: not bound by the request timeout.
  const gone = new AbortController()
  ctx.res.on('close', () => { gone.abort() })
  const signal = req.follow === true ? gone.signal : AbortSignal.any([ctx.signal, gone.signal])
  const chunks = podIoOf(ctx).logs(req, signal)[Symbol.asyncIterator]()
  let first: IteratorResult<string>
  try {
    first = await chunks.next()
  } catch (err) {
    throw toApi(err)
  }
  ctx.res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Transfer-Encoding': 'chunked' })
  try {
    for (let r = first; r.done !== true; r = await chunks.next()) {
      if (r.value !== '' && !ctx.res.write(r.value)) await new Promise((resolve) => { ctx.res.once('drain', resolve); ctx.res.once('close', resolve) })
      if (gone.signal.aborted) break
    }
  } catch {
    // The stream broke after the answer started (node gone, container removed): end it.
  } finally {
    await chunks.return?.()
    ctx.res.end()
  }
}

export async function podExec (ctx: RequestContext, name: string): Promise<void> {
  const method = ctx.req.method ?? ''
  if (method !== 'POST' && method !== 'GET') throw methodNotAllowed()
  const q = ctx.url.searchParams
  const req: ExecRequest = { namespace: ctx.route.namespace, pod: name, command: q.getAll('command') }
  const container = q.get('container')
  if (container !== null && container !== '') req.container = container
  try {
    const r = await podIoOf(ctx).exec(req, ctx.signal)
    sendJson(ctx.res, 200, { kind: 'ExecResult', apiVersion: 'flotilla.io/v1', exitCode: r.exitCode, output: r.output })
  } catch (err) {
    throw toApi(err)
  }
}
