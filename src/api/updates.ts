// PUT and PATCH of an object or its status. A PUT of the main resource is proposed as sent
// (guarded by its resourceVersion when it has one). A PATCH, and a PUT of /status, read the
// current object, build the new one from it, and propose it guarded by the read
// resourceVersion, retrying a few times on Conflict unless the request carried a
// resourceVersion of its own — so a concurrent writer is never silently overwritten.
//
// As in Kubernetes (and the store, at apply), a write to the main resource of a kind with a
// status subresource keeps the stored status, and a write to /status changes only the status.

import type { KObject, StoreCommand } from '../store/types.ts'
import { bindToRoute, defaultAndValidate } from './admission.ts'
import { decodeObject, isPlainObject, mediaType, parseJson, readBody } from './body.ts'
import { isDryRun, objectRef, resourceId, resultObject, sendJson, type RequestContext } from './context.ts'
import { applyJsonPatch, applyMergePatch, JSON_PATCH, MERGE_PATCH, PATCH_TYPES, parseJsonPatch, STRATEGIC_MERGE_PATCH } from './patch.ts'
import { applyObject, trackUpdate } from './field-manager.ts'
import { checkFields } from './field-validation.ts'
import { APPLY_PATCH } from './server-side-apply.ts'
import { applyStrategicMergePatch } from './strategic-merge.ts'
import { ApiError, notFound, unsupportedMediaType } from './status.ts'

/** Proposals a read-modify-write makes before it gives the Conflict to the client. */
const CONFLICT_ATTEMPTS = 5

/** Turns the stored object (a private copy, free to change) into the object to propose. */
export type Mutation = (current: KObject) => KObject

function hasStatusSubresource (ctx: RequestContext): boolean {
  return ctx.route.kind.subresources.includes('status')
}

/** The whole object for a /status write: the stored object with `candidate`'s status and resourceVersion. */
function statusOnly (current: KObject, candidate: KObject): KObject {
  const next = current
  // A copy: the store freezes what it applies, and a retry after Conflict reuses `candidate`.
  if (candidate.status === undefined) delete next.status
  else next.status = structuredClone(candidate.status)
  setResourceVersion(next, candidate.metadata.resourceVersion)
  return next
}

/** `candidate` with the stored status, for a main-resource write of a kind with a status subresource. */
function keepStatus (current: KObject, candidate: KObject): KObject {
  if (current.status === undefined) delete candidate.status
  else candidate.status = current.status
  return candidate
}

function setResourceVersion (obj: KObject, rv: string | undefined): void {
  if (rv === undefined || rv === '') delete obj.metadata.resourceVersion
  else obj.metadata.resourceVersion = rv
}

/**
 * Linearizable read of the named object, `mutate`, defaults and validation, then an update
 * proposal guarded by the read resourceVersion (or the one the mutation set itself: then a
 * Conflict goes straight to the client). Returns the committed object (or, on dry run, the
 * object that would have been proposed).
 */
export async function readModifyWrite (ctx: RequestContext, name: string, mutate: Mutation, options: { trackUpdates?: boolean } = {}): Promise<KObject> {
  const { route, backend } = ctx
  const subresource = route.subresource === 'status' ? 'status' : undefined
  const id = resourceId(route, name)
  const dryRun = isDryRun(ctx)
  await backend.linearize(ctx.signal)
  for (let attempt = 1; ; attempt++) {
    // After a Conflict the local replica has applied the newer write, so a local read sees it.
    const current = backend.reader.get(objectRef(route, name))
    if (current === undefined) throw notFound(id)
    const readRv = current.metadata.resourceVersion
    const next = mutate(structuredClone(current))
    const rv = next.metadata.resourceVersion
    const own = rv !== undefined && rv !== '' && rv !== readRv
    if (!own) setResourceVersion(next, readRv)
    defaultAndValidate(next, route.kind)
    if (options.trackUpdates !== false) trackUpdate(ctx, current, next)
    if (dryRun) return next
    const cmd: StoreCommand = subresource === undefined ? { op: 'update', object: next } : { op: 'update', object: next, subresource }
    const result = await backend.write(cmd, ctx.signal)
    if (!result.ok && result.error.reason === 'Conflict' && !own && attempt < CONFLICT_ATTEMPTS) continue
    return resultObject(result, id)
  }
}

export async function putObject (ctx: RequestContext, name: string): Promise<void> {
  const body = decodeObject(await readBody(ctx.req, ctx.maxBodyBytes), ctx.req.headers['content-type'])
  checkFields(ctx, body)
  const candidate = bindToRoute(body, ctx.route)
  if (ctx.route.subresource === 'status') {
    // Validated as the whole object it will become: the stored one with the new status.
    sendJson(ctx.res, 200, await readModifyWrite(ctx, name, current => statusOnly(current, candidate)))
    return
  }
  // The store keeps uid, creationTimestamp and (for kinds with a status subresource) the stored
  // status, atomically at apply: nothing to read first.
  defaultAndValidate(candidate, ctx.route.kind)
  // The local copy is enough to carry managedFields over: a stale one at worst records an older owner.
  const stored = ctx.backend.reader.get(objectRef(ctx.route, name))
  if (stored !== undefined) trackUpdate(ctx, stored, candidate)
  if (isDryRun(ctx)) {
    sendJson(ctx.res, 200, candidate)
    return
  }
  const result = await ctx.backend.write({ op: 'update', object: candidate }, ctx.signal)
  sendJson(ctx.res, 200, resultObject(result, resourceId(ctx.route, name)))
}

/** The patch function a PATCH body describes (415 for a patch type the server does not apply). */
export async function readPatch (ctx: RequestContext): Promise<(doc: unknown) => unknown> {
  const type = mediaType(ctx.req.headers['content-type'])
  if (!PATCH_TYPES.includes(type)) throw unsupportedMediaType(type, PATCH_TYPES)
  const raw = await readBody(ctx.req, ctx.maxBodyBytes)
  const doc = parseJson(raw.toString('utf8'))
  if (type === JSON_PATCH) {
    const ops = parseJsonPatch(doc)
    return target => applyJsonPatch(target, ops)
  }
  if (!isPlainObject(doc)) throw new ApiError(400, 'BadRequest', `a ${type === MERGE_PATCH ? 'merge' : 'strategic merge'} patch must be a JSON object`)
  if (ctx.route.subresource === undefined || ctx.route.subresource === 'status') checkFields(ctx, doc)
  if (type === STRATEGIC_MERGE_PATCH) return target => applyStrategicMergePatch(target, doc)
  return target => applyMergePatch(target, doc)
}

/** The patched object, still bound to the URL (a patch may not rename or move it). */
export function patched (ctx: RequestContext, patch: (doc: unknown) => unknown, current: KObject): KObject {
  const out = patch(current)
  if (!isPlainObject(out)) throw new ApiError(422, 'Invalid', 'the patch does not leave an object')
  return bindToRoute(out, ctx.route)
}

export async function patchObject (ctx: RequestContext, name: string): Promise<void> {
  if (ctx.route.subresource === undefined && mediaType(ctx.req.headers['content-type']) === APPLY_PATCH) {
    await applyObject(ctx, name)
    return
  }
  const patch = await readPatch(ctx)
  const isStatus = ctx.route.subresource === 'status'
  const keep = !isStatus && hasStatusSubresource(ctx)
  const mutate: Mutation = current => {
    const candidate = patched(ctx, patch, current)
    if (isStatus) return statusOnly(current, candidate)
    return keep ? keepStatus(current, candidate) : candidate
  }
  sendJson(ctx.res, 200, await readModifyWrite(ctx, name, mutate))
}
