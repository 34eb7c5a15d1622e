// One resource request as the handlers see it, and the small helpers they share: the
// object reference and resource identity a route names, JSON responses, read barriers and
// the unwrapping of write results.

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ApplyResult, KObject, ObjectRef } from '../store/types.ts'
import type { ApiBackend } from './backend.ts'
import type { PodIo } from './pod-io.ts'
import type { RequestUrl } from './request-url.ts'
import type { ResourceRoute } from './routes.ts'
import { ApiError, badRequest, fromStoreError, type ResourceId } from './status.ts'

export interface RequestContext {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly url: RequestUrl
  readonly route: ResourceRoute
  readonly backend: ApiBackend
  /** Aborted when the client goes away or the request times out. */
  readonly signal: AbortSignal
  readonly maxBodyBytes: number
  /** How long a read waits for the local replica to reach a resourceVersion it was given. */
  readonly resourceVersionWaitMs: number
  /** Lifetime of a watch without `timeoutSeconds`. */
  readonly watchTimeoutSeconds: number
  /** How often a watch with allowWatchBookmarks sends a BOOKMARK (when its resourceVersion moved). */
  readonly watchBookmarkIntervalMs: number
  /** Registers a running watch so the server can end it on stop(); returns the unregister function. */
  readonly trackWatch: (end: () => void) => () => void
  /** Serves pods/log and pods/exec; absent: those subresources answer 404. */
  readonly podIo?: PodIo
}

export function objectRef (route: ResourceRoute, name: string): ObjectRef {
  return { group: route.kind.group, kind: route.kind.kind, namespace: route.kind.namespaced ? route.namespace : '', name }
}

export function resourceId (route: ResourceRoute, name?: string): ResourceId {
  const id: ResourceId = { group: route.kind.group, plural: route.kind.plural }
  const n = name ?? route.name
  if (n !== undefined) id.name = n
  return id
}

export function query (ctx: RequestContext, name: string): string | undefined {
  return ctx.url.searchParams.get(name) ?? undefined
}

export function sendJson (res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

export function sendError (res: ServerResponse, err: ApiError): void {
  const headers: Record<string, string> = {}
  const retry = err.details?.retryAfterSeconds
  if (retry !== undefined) headers['Retry-After'] = String(retry)
  sendJson(res, err.code, err.toStatus(), headers)
}

/** `dryRun=All` means validate and answer without writing; any other value is refused. */
export function isDryRun (ctx: RequestContext): boolean {
  if (ctx.url.search === '') return false // without touching searchParams (built on first use)
  const values = ctx.url.searchParams.getAll('dryRun')
  if (values.length === 0) return false
  if (values.every(v => v === 'All')) return true
  throw badRequest(`unsupported dryRun value ${JSON.stringify(values.find(v => v !== 'All'))}: the only supported value is "All"`)
}

/** A resourceVersion query value as a Raft index. */
export function parseResourceVersion (rv: string): number {
  if (!/^[0-9]{1,15}$/.test(rv)) throw badRequest(`invalid resourceVersion ${JSON.stringify(rv)}: it must be a decimal number`)
  return Number(rv)
}

/**
 * Makes a read consistent with what the client asked for: absent resourceVersion →
 * linearizable (ReadIndex barrier); "0" → whatever the local replica has; N → wait (briefly)
 * until the local replica has applied N.
 */
export async function readBarrier (ctx: RequestContext, rv: string | undefined): Promise<void> {
  if (rv === '0') return
  if (rv === undefined || rv === '') {
    await ctx.backend.linearize(ctx.signal)
    return
  }
  await waitForResourceVersion(ctx, parseResourceVersion(rv))
}

export async function waitForResourceVersion (ctx: RequestContext, index: number): Promise<void> {
  const reader = ctx.backend.reader
  if (reader.appliedIndex >= index) return
  const timeout = AbortSignal.timeout(ctx.resourceVersionWaitMs)
  try {
    await reader.waitForIndex(index, AbortSignal.any([ctx.signal, timeout]))
  } catch (err) {
    if (!timeout.aborted || ctx.signal.aborted) throw err
    throw new ApiError(504, 'Timeout', `Too large resource version: ${index}, current: ${reader.appliedIndex}`, {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      retryAfterSeconds: 1
    })
  }
}

/** The object a committed single command produced, or its error as an ApiError. */
export function resultObject (result: ApplyResult, id: ResourceId): KObject {
  if (!result.ok) throw fromStoreError(result.error, id)
  if ('object' in result) return result.object
  throw new ApiError(500, 'InternalError', 'Internal error occurred: the store answered a single command with a batch result')
}
