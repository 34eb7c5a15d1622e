// The `eviction` subresource of pods (policy/v1 Eviction): what `kubectl drain` POSTs for each
// pod it moves, once discovery lists `pods/eviction` with group policy and version v1 (without
// it, kubectl falls back to plain deletes). Flotilla has no PodDisruptionBudgets, so every
// eviction is allowed: the pod is deleted (with the Eviction's deleteOptions preconditions)
// and the answer is a 201 Success Status, as kube-apiserver's.

import { decodeObject, isPlainObject, readBody } from './body.ts'
import { isDryRun, objectRef, resourceId, sendJson, type RequestContext } from './context.ts'
import { readObject } from './reads.ts'
import { badRequest, fromStoreError } from './status.ts'
import type { StoreCommand } from '../store/types.ts'

/** POST pods/NAME/eviction. */
export async function evictPod (ctx: RequestContext, name: string): Promise<void> {
  const body = decodeObject(await readBody(ctx.req, ctx.maxBodyBytes), ctx.req.headers['content-type'])
  if (body.kind !== undefined && body.kind !== 'Eviction') throw badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (Eviction)`)
  const meta = isPlainObject(body.metadata) ? body.metadata : {}
  if (meta.name !== undefined && meta.name !== '' && meta.name !== name) throw badRequest('name in URL does not match name in Eviction object')
  if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== ctx.route.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request')
  }
  const cmd: StoreCommand = { op: 'delete', ref: objectRef(ctx.route, name), deletionTimestamp: ctx.backend.now() }
  const options = body.deleteOptions
  if (options !== undefined && options !== null) {
    if (!isPlainObject(options)) throw badRequest('Eviction.deleteOptions must be an object')
    const pre = options.preconditions
    if (isPlainObject(pre)) {
      const preconditions: { uid?: string, resourceVersion?: string } = {}
      if (typeof pre.uid === 'string' && pre.uid !== '') preconditions.uid = pre.uid
      if (typeof pre.resourceVersion === 'string' && pre.resourceVersion !== '') preconditions.resourceVersion = pre.resourceVersion
      if (preconditions.uid !== undefined || preconditions.resourceVersion !== undefined) cmd.preconditions = preconditions
    }
  }
  if (isDryRun(ctx)) {
    await readObject(ctx, name)
  } else {
    const result = await ctx.backend.write(cmd, ctx.signal)
    if (!result.ok) throw fromStoreError(result.error, resourceId(ctx.route, name))
  }
  sendJson(ctx.res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 })
}
