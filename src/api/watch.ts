// Watch: a chunked stream of newline-delimited JSON events `{"type":"ADDED","object":{...}}`.
//
// Where it starts, as Kubernetes does: without resourceVersion, a linearizable list sent as
// ADDED events, then live events; with resourceVersion=0, the same from the local replica;
// with resourceVersion=N, the events after N (once the local replica has reached N). When the
// history no longer reaches N the stream carries one ERROR event with a 410 Status and ends.
// It ends after `timeoutSeconds`, when the client goes, when the server stops, or when the
// client reads too slowly to keep up (it then re-watches from its last resourceVersion).

import type { WatchEvent } from '../store/types.ts'
import { parseResourceVersion, query, waitForResourceVersion, type RequestContext } from './context.ts'
import { listOptions, nowMs } from './reads.ts'
import { toApiError } from './status.ts'
import { tableRequest, toTable } from './table.ts'

/** Bytes a watch may have queued for a slow client before it is closed. */
const MAX_PENDING_BYTES = 16 * 1024 * 1024

/** setTimeout's ceiling (about 24 days). */
const MAX_TIMEOUT_SECONDS = 2_000_000

type OutEvent = { type: 'ERROR', object: unknown } | WatchEvent

export async function watchObjects (ctx: RequestContext): Promise<void> {
  const { kind, namespace } = ctx.route
  const reader = ctx.backend.reader
  const rv = query(ctx, 'resourceVersion')
  const timeoutSeconds = watchTimeout(ctx)
  const opts = listOptions(ctx)
  const ns = namespace === '' ? undefined : namespace
  const sendInitial = rv === undefined || rv === '' || rv === '0'
  if (rv === undefined || rv === '') await ctx.backend.linearize(ctx.signal)
  else if (rv !== '0') await waitForResourceVersion(ctx, parseResourceVersion(rv))

  // From here to writeHead everything is synchronous, so no event can slip between the list
  // and the start of the watch. Events the store replays during watch() are queued.
  const initial = sendInitial ? reader.list(kind.group, kind.kind, ns, opts) : undefined
  const from = initial !== undefined ? Number(initial.resourceVersion) : parseResourceVersion(rv ?? '0')
  const queued: OutEvent[] = []
  let emit = (e: OutEvent): void => { queued.push(e) }
  let stopWatch: (() => void) | undefined
  let gone: OutEvent | undefined
  try {
    stopWatch = reader.watch(kind.group, kind.kind, ns, from, opts, e => emit(e))
  } catch (err) {
    const status = toApiError(err)
    if (status.code !== 410) throw status
    gone = { type: 'ERROR', object: status.toStatus() }
  }

  const { res } = ctx
  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' })
  res.flushHeaders()
  const table = tableRequest(ctx.req.headers.accept, ctx.url.searchParams.get('includeObject'))
  let columnsSent = false
  const encode = (e: OutEvent): string => {
    if (table === undefined || e.type === 'ERROR') return JSON.stringify(e) + '\n'
    const object = toTable(kind, [e.object], table, nowMs(ctx), e.object.metadata.resourceVersion, !columnsSent)
    columnsSent = true
    return JSON.stringify({ type: e.type, object }) + '\n'
  }

  await new Promise<void>(resolve => {
    let ended = false
    let timer: NodeJS.Timeout | undefined
    let untrack = (): void => {}
    const end = (): void => {
      if (ended) return
      ended = true
      stopWatch?.()
      if (timer !== undefined) clearTimeout(timer)
      untrack()
      res.off('close', end)
      if (!res.writableEnded && !res.destroyed) res.end()
      resolve()
    }
    const write = (e: OutEvent): void => {
      if (ended) return
      if (res.writableLength > MAX_PENDING_BYTES) {
        end()
        return
      }
      try {
        res.write(encode(e))
      } catch {
        // Never throw into the store's apply loop: a stream that cannot be written ends.
        end()
      }
    }
    untrack = ctx.trackWatch(end)
    res.on('close', end)
    if (res.destroyed || ctx.req.socket.destroyed) {
      end()
      return
    }
    if (gone !== undefined) {
      write(gone)
      end()
      return
    }
    for (const obj of initial?.items ?? []) write({ type: 'ADDED', object: obj })
    for (const e of queued) write(e)
    emit = write
    timer = setTimeout(end, timeoutSeconds * 1000)
  })
}

function watchTimeout (ctx: RequestContext): number {
  const t = query(ctx, 'timeoutSeconds')
  if (t === undefined || t === '') return ctx.watchTimeoutSeconds
  const n = Number(t)
  if (!Number.isFinite(n) || n <= 0) return ctx.watchTimeoutSeconds
  return Math.min(n, MAX_TIMEOUT_SECONDS)
}
