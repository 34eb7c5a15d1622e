// POST (create), DELETE of one object and DELETE of a collection. Every write is decided
// completely here — uid, timestamps, generated names — then proposed through Raft; the answer
// is the object as committed and applied. A DELETE of an object with finalizers answers the
// object marked with its deletionTimestamp; it goes once its finalizers are removed.

import type { KObject, StoreCommand } from '../store/types.ts'
import { apiVersionOf } from '../objects/registry.ts'
import { bindToRoute, prepareCreate } from './admission.ts'
import { decodeObject, isPlainObject, readBody } from './body.ts'
import { isDryRun, objectRef, readBarrier, resourceId, resultObject, sendJson, query, type RequestContext } from './context.ts'
import { listOptions, readObject } from './reads.ts'
import { badRequest, fromStoreError } from './status.ts'

/** Attempts at a create whose name the server generated, when the name turns out to be taken. */
const GENERATE_NAME_ATTEMPTS = 3
/** Deletes per proposal in a collection delete. */
const DELETE_BATCH = 500

export async function createObject (ctx: RequestContext): Promise<void> {
  const body = decodeObject(await readBody(ctx.req, ctx.maxBodyBytes), ctx.req.headers['content-type'])
  const bound = bindToRoute(body, ctx.route)
  const generated = (bound.metadata.name === undefined || bound.metadata.name === '') && typeof bound.metadata.generateName === 'string'
  const dryRun = isDryRun(ctx)
  for (let attempt = 1; ; attempt++) {
    const obj = prepareCreate(structuredClone(bound), ctx.route.kind, { uid: ctx.backend.newUid(), creationTimestamp: ctx.backend.now() })
    if (dryRun) {
      sendJson(ctx.res, 201, obj)
      return
    }
    const result = await ctx.backend.write({ op: 'create', object: obj }, ctx.signal)
    if (!result.ok && result.error.reason === 'AlreadyExists' && generated && attempt < GENERATE_NAME_ATTEMPTS) continue
    sendJson(ctx.res, 201, resultObject(result, resourceId(ctx.route, obj.metadata.name)))
    return
  }
}

interface Preconditions { uid?: string, resourceVersion?: string }

/** Preconditions from an optional DeleteOptions body. */
async function deletePreconditions (ctx: RequestContext): Promise<Preconditions | undefined> {
  const { headers } = ctx.req
  if ((headers['content-length'] === undefined || headers['content-length'] === '0') && headers['transfer-encoding'] === undefined) return undefined
  const raw = await readBody(ctx.req, ctx.maxBodyBytes)
  if (raw.toString('utf8').trim() === '') return undefined
  const opts = decodeObject(raw, headers['content-type'])
  const pre = opts.preconditions
  if (pre === undefined || pre === null) return undefined
  if (!isPlainObject(pre)) throw badRequest('DeleteOptions.preconditions must be an object')
  const out: Preconditions = {}
  for (const key of ['uid', 'resourceVersion'] as const) {
    const v = pre[key]
    if (v === undefined || v === null) continue
    if (typeof v !== 'string') throw badRequest(`DeleteOptions.preconditions.${key} must be a string`)
    out[key] = v
  }
  return out.uid === undefined && out.resourceVersion === undefined ? undefined : out
}

export async function deleteObject (ctx: RequestContext, name: string): Promise<void> {
  const preconditions = await deletePreconditions(ctx)
  if (isDryRun(ctx)) {
    sendJson(ctx.res, 200, await readObject(ctx, name))
    return
  }
  // With finalizers the store only marks the object, with this timestamp, decided here.
  const cmd: StoreCommand = { op: 'delete', ref: objectRef(ctx.route, name), deletionTimestamp: ctx.backend.now() }
  if (preconditions !== undefined) cmd.preconditions = preconditions
  const result = await ctx.backend.write(cmd, ctx.signal)
  sendJson(ctx.res, 200, resultObject(result, resourceId(ctx.route, name)))
}

/** DELETE on a collection: deletes what a linearizable list with the request's selectors returns. */
export async function deleteCollection (ctx: RequestContext): Promise<void> {
  await deletePreconditions(ctx)
  const { kind, namespace } = ctx.route
  await readBarrier(ctx, query(ctx, 'resourceVersion'))
  const list = ctx.backend.reader.list(kind.group, kind.kind, namespace === '' ? undefined : namespace, listOptions(ctx))
  const deleted: KObject[] = []
  if (!isDryRun(ctx)) {
    for (let i = 0; i < list.items.length; i += DELETE_BATCH) {
      const deletionTimestamp = ctx.backend.now()
      const commands: StoreCommand[] = list.items.slice(i, i + DELETE_BATCH).map(obj => {
        const cmd: StoreCommand = { op: 'delete', ref: objectRef(ctx.route, obj.metadata.name), deletionTimestamp }
        if (obj.metadata.uid !== undefined) cmd.preconditions = { uid: obj.metadata.uid }
        return cmd
      })
      const result = await ctx.backend.write({ op: 'batch', commands }, ctx.signal)
      if (!result.ok) throw fromStoreError(result.error, resourceId(ctx.route))
      const results = 'results' in result ? result.results : [result]
      for (const r of results) {
        // Objects deleted (or replaced) by someone else in the meantime are skipped, as Kubernetes does.
        if (r.ok && 'object' in r) deleted.push(r.object)
      }
    }
  } else {
    deleted.push(...list.items)
  }
  const resourceVersion = String(ctx.backend.reader.appliedIndex)
  sendJson(ctx.res, 200, { kind: `${kind.kind}List`, apiVersion: apiVersionOf(kind), metadata: { resourceVersion }, items: deleted })
}
