// The HTTP side of field management: server-side apply requests (PATCH with
// application/apply-patch+yaml, `fieldManager` required, `force` optional), and the Update
// entries other writes through the API leave in metadata.managedFields.
//
// Update tracking is done for PUT and PATCH (main resource and /scale) of objects that
// already carry managedFields, so that a later apply sees who changed what (`kubectl scale`
// then `kubectl apply --server-side` conflicts on spec.replicas). A create through POST
// records its creator when the request names a fieldManager, as kubectl's requests do. The
// bulk writers and controllers name none, and controllers write to the store directly: their
// objects carry no managedFields and those paths cost what they did. /status writes record
// nothing (the store takes only their status). Server-side apply serves the main resource
// only (a PATCH of a subresource with this type is a 415).

import type { KObject } from '../store/types.ts'
import { apiVersionOf } from '../objects/registry.ts'
import { bindToRoute, prepareCreate } from './admission.ts'
import { decodeDocument, isPlainObject, readBody } from './body.ts'
import { isDryRun, objectRef, query, resourceId, resultObject, sendJson, type RequestContext } from './context.ts'
import { checkFields } from './field-validation.ts'
import { fieldManagerOf, managedFieldsAfterUpdate } from './managed-fields.ts'
import { mergeSemanticsFor } from './merge-semantics.ts'
import { deepEqual } from '../store/deep.ts'
import { ApplyConflictError, applyConflictStatus, serverSideApply } from './server-side-apply.ts'
import { badRequest } from './status.ts'
import { readModifyWrite } from './updates.ts'

/** Creates an apply makes when the object appears at the same moment (then it is applied as an update). */
const CREATE_ATTEMPTS = 3

/** The entry time: the server's clock in whole seconds, as Kubernetes writes metav1.Time. */
function entryTime (ctx: RequestContext): string {
  return ctx.backend.now().replace(/\.[0-9]+Z$/, 'Z')
}

/**
 * Records an Update by the request's field manager in `after` (modified in place): only when
 * `before` has managedFields and the write did not set managedFields itself (a write that
 * does is taken as it is, as Kubernetes does).
 */
export function trackUpdate (ctx: RequestContext, before: KObject, after: KObject): void {
  const entries = before.metadata.managedFields
  if (!Array.isArray(entries) || entries.length === 0) return
  // A /status write changes only the status in the store (metadata included): nothing to record.
  if (ctx.route.subresource === 'status') return
  if (after.metadata.managedFields !== undefined && !deepEqual(after.metadata.managedFields, entries)) return
  const kind = ctx.route.kind
  // What the write is compared with: a main-resource write keeps the stored status.
  const compared = kind.subresources.includes('status') && ctx.route.subresource === undefined ? { ...after, status: before.status } : after
  const input = {
    before,
    after: compared,
    manager: fieldManagerOf(query(ctx, 'fieldManager'), ctx.req.headers['user-agent']),
    apiVersion: apiVersionOf(kind),
    now: entryTime(ctx),
    semantics: mergeSemanticsFor(kind.group, kind.version, kind.kind),
    ...(ctx.route.subresource !== undefined ? { subresource: ctx.route.subresource } : {})
  }
  after.metadata.managedFields = managedFieldsAfterUpdate(input) ?? entries
}

/**
 * Records the creator of a new object (modified in place) as an Update entry owning every
 * field it set (defaults included), when the request names its field manager (kubectl always
 * does: kubectl-create, kubectl-client-side-apply, …) and the body carried no managedFields.
 */
export function recordCreate (ctx: RequestContext, obj: KObject): void {
  const manager = query(ctx, 'fieldManager')
  if (manager === undefined || manager === '') return
  const given = obj.metadata.managedFields
  if (Array.isArray(given) && given.length > 0) return
  const kind = ctx.route.kind
  const { status: _s, ...withoutStatus } = obj
  const after = kind.subresources.includes('status') ? withoutStatus : obj
  const entries = managedFieldsAfterUpdate({
    before: { metadata: {} },
    after,
    manager,
    apiVersion: apiVersionOf(kind),
    now: entryTime(ctx),
    semantics: mergeSemanticsFor(kind.group, kind.version, kind.kind)
  })
  if (entries === undefined) delete obj.metadata.managedFields
  else obj.metadata.managedFields = entries
}

function parseForce (ctx: RequestContext): boolean {
  const v = query(ctx, 'force')
  if (v === undefined || v === '' || v === 'false') return false
  if (v === 'true') return true
  throw badRequest(`invalid force value ${JSON.stringify(v)}: use true or false`)
}

/** PATCH with application/apply-patch+yaml: create the object from the configuration, or apply it to the stored one. */
export async function applyObject (ctx: RequestContext, name: string): Promise<void> {
  const manager = query(ctx, 'fieldManager')
  if (manager === undefined || manager === '') throw badRequest('fieldManager is required for apply requests: pass ?fieldManager=<name>')
  const force = parseForce(ctx)
  const doc = decodeDocument(await readBody(ctx.req, ctx.maxBodyBytes), 'application/yaml')
  if (!isPlainObject(doc)) throw badRequest('an apply configuration must be a YAML or JSON object')
  checkFields(ctx, doc)
  const config = bindToRoute(doc, ctx.route)
  // A resourceVersion in the configuration is a precondition on the stored object.
  const precondition = typeof config.metadata.resourceVersion === 'string' && config.metadata.resourceVersion !== '' ? config.metadata.resourceVersion : undefined
  const { kind } = ctx.route
  const input = {
    applied: config,
    manager,
    force,
    apiVersion: apiVersionOf(kind),
    semantics: mergeSemanticsFor(kind.group, kind.version, kind.kind),
    ignoreStatus: kind.subresources.includes('status')
  }
  const apply = (live: KObject | undefined): KObject => {
    try {
      return serverSideApply({ ...input, live, now: entryTime(ctx) }).object as KObject
    } catch (err) {
      throw err instanceof ApplyConflictError ? applyConflictStatus(err) : err
    }
  }
  await ctx.backend.linearize(ctx.signal)
  for (let attempt = 1; ; attempt++) {
    if (ctx.backend.reader.get(objectRef(ctx.route, name)) !== undefined || attempt > CREATE_ATTEMPTS) {
      const mutate = (current: KObject): KObject => {
        const next = apply(current)
        if (precondition !== undefined) next.metadata.resourceVersion = precondition
        return next
      }
      sendJson(ctx.res, 200, await readModifyWrite(ctx, name, mutate, { trackUpdates: false }))
      return
    }
    const obj = prepareCreate(apply(undefined), kind, { uid: ctx.backend.newUid(), creationTimestamp: ctx.backend.now() })
    if (isDryRun(ctx)) {
      sendJson(ctx.res, 201, obj)
      return
    }
    const result = await ctx.backend.write({ op: 'create', object: obj }, ctx.signal)
    if (!result.ok && result.error.reason === 'AlreadyExists') continue
    sendJson(ctx.res, 201, resultObject(result, resourceId(ctx.route, name)))
    return
  }
}
