// The `scale` subresource (autoscaling/v1 Scale), served for kinds that list it: a view of
// spec.replicas, status.replicas and the label selector. `kubectl scale` PATCHes it; a PUT
// or PATCH changes only spec.replicas of the object behind it.

import type { KObject } from '../store/types.ts'
import { decodeObject, isPlainObject, readBody } from './body.ts'
import { sendJson, type RequestContext } from './context.ts'
import { readObject } from './reads.ts'
import { ApiError, badRequest, invalid } from './status.ts'
import { readModifyWrite, readPatch } from './updates.ts'

export function toScale (obj: KObject): Record<string, unknown> {
  const spec = isPlainObject(obj.spec) ? obj.spec : {}
  const status = isPlainObject(obj.status) ? obj.status : {}
  const m = obj.metadata
  const metadata: Record<string, unknown> = { name: m.name }
  for (const key of ['namespace', 'uid', 'resourceVersion', 'creationTimestamp'] as const) {
    if (m[key] !== undefined) metadata[key] = m[key]
  }
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata,
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 0 },
    status: { replicas: typeof status.replicas === 'number' ? status.replicas : 0, selector: selectorString(spec.selector) }
  }
}

/** A LabelSelector object in the string form label selectors take in URLs. */
export function selectorString (selector: unknown): string {
  if (!isPlainObject(selector)) return ''
  const parts: string[] = []
  if (isPlainObject(selector.matchLabels)) {
    for (const [k, v] of Object.entries(selector.matchLabels)) parts.push(`${k}=${String(v)}`)
  }
  if (Array.isArray(selector.matchExpressions)) {
    for (const e of selector.matchExpressions) {
      if (!isPlainObject(e) || typeof e.key !== 'string') continue
      const values = Array.isArray(e.values) ? e.values.map(String).join(',') : ''
      if (e.operator === 'In') parts.push(`${e.key} in (${values})`)
      else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`)
      else if (e.operator === 'Exists') parts.push(e.key)
      else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`)
    }
  }
  return parts.join(',')
}

/** spec.replicas of a Scale document: a non-negative integer, or 422. */
function replicasOf (scale: unknown, name: string): { replicas: number, resourceVersion?: string } {
  if (!isPlainObject(scale)) throw badRequest('the body must be an autoscaling/v1 Scale object')
  const spec = isPlainObject(scale.spec) ? scale.spec : {}
  const replicas = spec.replicas
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid('Scale', 'autoscaling', name, [{ field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be a non-negative integer` }])
  }
  const meta = isPlainObject(scale.metadata) ? scale.metadata : {}
  const out: { replicas: number, resourceVersion?: string } = { replicas }
  if (typeof meta.resourceVersion === 'string' && meta.resourceVersion !== '') out.resourceVersion = meta.resourceVersion
  return out
}

function withReplicas (current: KObject, replicas: number, resourceVersion: string | undefined): KObject {
  const spec = isPlainObject(current.spec) ? current.spec : {}
  spec.replicas = replicas
  current.spec = spec
  if (resourceVersion !== undefined) current.metadata.resourceVersion = resourceVersion
  return current
}

export async function getScale (ctx: RequestContext, name: string): Promise<void> {
  sendJson(ctx.res, 200, toScale(await readObject(ctx, name)))
}

export async function putScale (ctx: RequestContext, name: string): Promise<void> {
  const want = replicasOf(decodeObject(await readBody(ctx.req, ctx.maxBodyBytes), ctx.req.headers['content-type']), name)
  const obj = await readModifyWrite(ctx, name, current => withReplicas(current, want.replicas, want.resourceVersion))
  sendJson(ctx.res, 200, toScale(obj))
}

export async function patchScale (ctx: RequestContext, name: string): Promise<void> {
  const patch = await readPatch(ctx)
  const obj = await readModifyWrite(ctx, name, current => {
    const scale = patch(toScale(current))
    if (!isPlainObject(scale)) throw new ApiError(422, 'Invalid', 'the patch does not leave a Scale object')
    const want = replicasOf(scale, name)
    // The Scale carries the object's resourceVersion: it is the patch's own only if the patch changed it.
    const own = want.resourceVersion !== current.metadata.resourceVersion ? want.resourceVersion : undefined
    return withReplicas(current, want.replicas, own)
  })
  sendJson(ctx.res, 200, toScale(obj))
}
