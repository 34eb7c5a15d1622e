// The verb matrix of resource paths: which handler serves which method on a collection, an
// object, or an object's subresource. Anything else is 405 MethodNotAllowed.

import { query, type RequestContext } from './context.ts'
import { evictPod } from './eviction.ts'
import { checkFieldSelector } from './field-labels.ts'
import { podExec, podLog } from './pod-io.ts'
import { getObject, listObjects } from './reads.ts'
import { getScale, patchScale, putScale } from './scale.ts'
import { ApiError, methodNotAllowed } from './status.ts'
import { patchObject, putObject } from './updates.ts'
import { watchObjects } from './watch.ts'
import { createObject, deleteCollection, deleteObject } from './writes.ts'

function isWatch (ctx: RequestContext): boolean {
  const w = query(ctx, 'watch')
  return ctx.route.watch || w === '1' || w === 'true'
}

export async function handleResource (ctx: RequestContext): Promise<void> {
  const method = ctx.req.method ?? ''
  const read = method === 'GET' || method === 'HEAD'
  const { route } = ctx
  const acrossNamespaces = route.kind.namespaced && route.namespace === ''
  if (route.watch && !read) throw methodNotAllowed()
  if (route.subresource === undefined && (route.name === undefined || isWatch(ctx))) checkFieldSelector(route.kind, query(ctx, 'fieldSelector'))

  if (route.name === undefined) {
    if (read) return await (isWatch(ctx) ? watchObjects(ctx) : listObjects(ctx))
    if (method === 'POST' && !acrossNamespaces) return await createObject(ctx)
    if (method === 'DELETE' && !acrossNamespaces) return await deleteCollection(ctx)
    throw methodNotAllowed()
  }

  const name = route.name
  switch (route.subresource) {
    case undefined:
      if (read) return await (isWatch(ctx) ? watchObjects(ctx) : getObject(ctx, name))
      if (method === 'PUT') return await putObject(ctx, name)
      if (method === 'PATCH') return await patchObject(ctx, name)
      if (method === 'DELETE') return await deleteObject(ctx, name)
      throw methodNotAllowed()
    case 'status':
      if (read) return await getObject(ctx, name)
      if (method === 'PUT') return await putObject(ctx, name)
      if (method === 'PATCH') return await patchObject(ctx, name)
      throw methodNotAllowed()
    case 'scale':
      if (read) return await getScale(ctx, name)
      if (method === 'PUT') return await putScale(ctx, name)
      if (method === 'PATCH') return await patchScale(ctx, name)
      throw methodNotAllowed()
    case 'log':
      if (read) return await podLog(ctx, name)
      throw methodNotAllowed()
    case 'exec':
      return await podExec(ctx, name)
    case 'eviction':
      if (method === 'POST') return await evictPod(ctx, name)
      throw methodNotAllowed()
    default:
      throw new ApiError(404, 'NotFound', `the server does not serve the ${route.subresource} subresource of ${route.kind.plural}`, {})
  }
}
