// GET of one object (or its status) and of a list. Reads are linearizable by default: a
// ReadIndex barrier first, then the local replica answers. `resourceVersion=0` reads the local
// replica as it is; `resourceVersion=N` waits until it has applied N (NotOlderThan). A list with
// `resourceVersionMatch=Exact` is answered only at the replica's current resourceVersion: older
// states are not kept, so it is 410 Expired as a compacted revision is in Kubernetes.

import type { KObject } from '../store/types.ts'
import { objectRef, query, readBarrier, resourceId, sendJson, type RequestContext } from './context.ts'
import { gone, notFound } from './status.ts'
import { tableRequest, toTable } from './table.ts'
import { apiVersionOf } from '../objects/registry.ts'
import { readOptions } from './watch-options.ts'

/** Current time as the backend sees it, for AGE columns. */
export function nowMs (ctx: RequestContext): number {
  const t = Date.parse(ctx.backend.now())
  return Number.isNaN(t) ? Date.now() : t
}

/** The stored object a route names, after the read barrier; 404 when absent. */
export async function readObject (ctx: RequestContext, name: string): Promise<KObject> {
  await readBarrier(ctx, query(ctx, 'resourceVersion'))
  const obj = ctx.backend.reader.get(objectRef(ctx.route, name))
  if (obj === undefined) throw notFound(resourceId(ctx.route, name))
  return obj
}

export async function getObject (ctx: RequestContext, name: string): Promise<void> {
  const obj = await readObject(ctx, name)
  const table = tableRequest(ctx.req.headers.accept, ctx.url.searchParams.get('includeObject'))
  if (table !== undefined) {
    sendJson(ctx.res, 200, toTable(ctx.route.kind, [obj], table, nowMs(ctx), obj.metadata.resourceVersion))
    return
  }
  sendJson(ctx.res, 200, obj)
}

export async function listObjects (ctx: RequestContext): Promise<void> {
  const { kind, namespace } = ctx.route
  const read = readOptions(ctx, false)
  await readBarrier(ctx, read.resourceVersion)
  if (read.resourceVersionMatch === 'Exact' && String(ctx.backend.reader.appliedIndex) !== read.resourceVersion) {
    // Only the current state is kept: an older one is as gone as a compacted etcd revision.
    throw gone(`The resourceVersion for the provided list is too old: this server lists its current state (resourceVersion ${ctx.backend.reader.appliedIndex}), not resourceVersion ${read.resourceVersion ?? ''}`)
  }
  const list = ctx.backend.reader.list(kind.group, kind.kind, namespace === '' ? undefined : namespace, listOptions(ctx))
  const table = tableRequest(ctx.req.headers.accept, ctx.url.searchParams.get('includeObject'))
  if (table !== undefined) {
    sendJson(ctx.res, 200, toTable(kind, list.items, table, nowMs(ctx), list.resourceVersion))
    return
  }
  sendJson(ctx.res, 200, { kind: `${kind.kind}List`, apiVersion: apiVersionOf(kind), metadata: { resourceVersion: list.resourceVersion }, items: list.items })
}

/** labelSelector and fieldSelector from the query; a named watch adds `metadata.name=<name>`. */
export function listOptions (ctx: RequestContext): { labelSelector?: string, fieldSelector?: string } {
  const opts: { labelSelector?: string, fieldSelector?: string } = {}
  const label = query(ctx, 'labelSelector')
  if (label !== undefined && label !== '') opts.labelSelector = label
  const fields = [query(ctx, 'fieldSelector'), ctx.route.name === undefined ? undefined : `metadata.name=${ctx.route.name}`]
    .filter((f): f is string => f !== undefined && f !== '')
  if (fields.length > 0) opts.fieldSelector = fields.join(',')
  return opts
}
