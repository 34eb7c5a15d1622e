// The pods/log and pods/exec subresources: what the API needs from the agent to serve them
// (PodIo, implemented by the kubelet on the pod's node and relayed there by the agent that
// takes the request), and the HTTP side: GET pods/NAME/log (container, follow, tailLines,
// previous) streams text/plain; POST pods/NAME/exec?command=…&container=… runs a command to
// its end and answers { exitCode, output } (Flotilla's non-interactive exec: the SPDY and
// WebSocket streaming protocols of `kubectl exec` are not served).

import type { Duplex } from 'node:stream'
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

/** A TCP connection to one port of a pod (`kubectl port-forward`). */
export interface PortForwardRequest {
  namespace: string
  pod: string
  port: number
}

/** What the API needs for the pods/log and pods/exec subresources. */
export interface PodIo {
  logs (req: LogRequest, signal: AbortSignal): AsyncIterable<string>
  exec (req: ExecRequest, signal: AbortSignal): Promise<ExecResponse>
  /**
   * Connects to a port of the pod: the Duplex carries the bytes to and from it (ending it
   * half-closes the connection). Rejects with PodIoError when it cannot connect.
   */
  portForward (req: PortForwardRequest, signal: AbortSignal): Promise<Duplex>
}

/** A logs, exec or port-forward request that cannot be served; `code` is the HTTP status to answer with. */
export class PodIoError extends Error {
  override readonly name = 'PodIoError'
  constructor (readonly code: 400 | 404 | 503, message: string) {
    super(message)
  }
}


function toApi (err: unknown): unknown {
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
