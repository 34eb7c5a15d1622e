// Watch: a chunked stream of newline-delimited JSON events `{"type":"ADDED","object":{...}}`.
//
// Where it starts, as Kubernetes does: without resourceVersion, a linearizable list sent as
// ADDED events, then live events; with resourceVersion=0, the same from the local replica;
// with resourceVersion=N, the events after N (once the local replica has reached N). When the
// history no longer reaches N the stream carries one ERROR event with a 410 Status and ends.
// `sendInitialEvents` (with resourceVersionMatch=NotOlderThan) says explicitly whether the
// current objects come first; when they do, a BOOKMARK annotated
// `k8s.io/initial-events-end: "true"` follows them (a streaming list). With
// allowWatchBookmarks, a BOOKMARK carrying the replica's resourceVersion is sent every
// bookmark interval in which it moved: every event up to it has been sent, so a client that
// re-watches from it misses nothing and need not relist.
// It ends after `timeoutSeconds`, when the client goes, when the server stops, or when the
// client reads too slowly to keep up (it then re-watches from its last resourceVersion).

import type { KObject, WatchEvent } from '../store/types.ts'
import { apiVersionOf } from '../objects/registry.ts'
import { parseResourceVersion, waitForResourceVersion, query, type RequestContext } from './context.ts'
import { listOptions, nowMs } from './reads.ts'
import { toApiError } from './status.ts'
import { tableRequest, toTable } from './table.ts'
import { readOptions } from './watch-options.ts'

/** Bytes a watch may have queued for a slow client before it is closed. */
const MAX_PENDING_BYTES = 16 * 1024 * 1024

/** setTimeout's ceiling (about 24 days). */
const MAX_TIMEOUT_SECONDS = 2_000_000

/** The annotation on the BOOKMARK that ends the initial events of a streaming list. */
export const INITIAL_EVENTS_END = 'k8s.io/initial-events-end'

type OutEvent = { type: 'ERROR', object: unknown } | { type: 'BOOKMARK', object: KObject } | WatchEvent

export async function watchObjects (ctx: RequestContext): Promise<void> {
  const { kind, namespace } = ctx.route
  const reader = ctx.backend.reader
  const read = readOptions(ctx, true)
  const rv = read.resourceVersion
  const timeoutSeconds = watchTimeout(ctx)
  const opts = listOptions(ctx)
  const ns = namespace === '' ? undefined : namespace
  const sendInitial = read.sendInitialEvents ?? (rv === undefined || rv === '0')
  if (rv === undefined) await ctx.backend.linearize(ctx.signal)
  else if (rv !== '0') await waitForResourceVersion(ctx, parseResourceVersion(rv))

  // From here to writeHead everything is synchronous, so no event can slip between the list
  // and the start of the watch. Events the store replays during watch() are queued.
  const initial = sendInitial ? reader.list(kind.group, kind.kind, ns, opts) : undefined
  // Without initial events, a watch from "now" (no resourceVersion, or 0) starts at the
  // replica's current resourceVersion.
  const from = initial !== undefined
    ? Number(initial.resourceVersion)
    : rv === undefined || rv === '0' ? reader.appliedIndex : parseResourceVersion(rv)
  const bookmark = (resourceVersion: number, annotations?: Record<string, string>): OutEvent => ({
    type: 'BOOKMARK',
    object: { kind: kind.kind, apiVersion: apiVersionOf(kind), metadata: { resourceVersion: String(resourceVersion), ...(annotations !== undefined ? { annotations } : {}) } } as unknown as KObject
  })
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
    if (e.type === 'BOOKMARK') {
      // A Table reader decodes every event's object as a Table: an empty one carrying the resourceVersion.
      return JSON.stringify({ type: e.type, object: toTable(kind, [], table, nowMs(ctx), e.object.metadata.resourceVersion, false) }) + '\n'
    }
    const object = toTable(kind, [e.object], table, nowMs(ctx), e.object.metadata.resourceVersion, !columnsSent)
    columnsSent = true
    return JSON.stringify({ type: e.type, object }) + '\n'
  }

  await new Promise<void>(resolve => {
    let ended = false
    let timer: NodeJS.Timeout | undefined
    let bookmarks: NodeJS.Timeout | undefined
    /** The resourceVersion the client has been told it is up to (by an event or a bookmark). */
    let sentUpTo = from
    let untrack = (): void => {}
    const end = (): void => {
      if (ended) return
      ended = true
      stopWatch?.()
      if (timer !== undefined) clearTimeout(timer)
      if (bookmarks !== undefined) clearInterval(bookmarks)
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
        if (e.type !== 'ERROR') sentUpTo = Math.max(sentUpTo, Number(e.object.metadata.resourceVersion))
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
    if (initial !== undefined && read.sendInitialEvents === true) write(bookmark(from, { [INITIAL_EVENTS_END]: 'true' }))
    for (const e of queued) write(e)
    emit = write
    timer = setTimeout(end, timeoutSeconds * 1000)
    if (read.allowWatchBookmarks) {
      // Between applies every event up to appliedIndex has been delivered to `write`.
      bookmarks = setInterval(() => {
        if (reader.appliedIndex > sentUpTo) write(bookmark(reader.appliedIndex))
      }, ctx.watchBookmarkIntervalMs)
      bookmarks.unref()
    }
  })
}

function watchTimeout (ctx: RequestContext): number {
  const t = query(ctx, 'timeoutSeconds')
  if (t === undefined || t === '') return ctx.watchTimeoutSeconds
  const n = Number(t)
  if (!Number.isFinite(n) || n <= 0) return ctx.watchTimeoutSeconds
  return Math.min(n, MAX_TIMEOUT_SECONDS)
}
