// POST (create), DELETE of one object and DELETE of a collection. Every write is decided
// completely here — uid, timestamps, generated names — then proposed through Raft; the answer
// is the object as committed and applied. A DELETE of an object with finalizers answers the
// object marked with its deletionTimestamp; it goes once its finalizers are removed.
// DeleteOptions.propagationPolicy (body or query) Foreground / Orphan adds the finalizer the
// garbage collector acts on (foregroundDeletion / orphan); Background, the default, adds none.
// As Kubernetes answers, an object removed at once is answered with a `Status` of Success
// naming it (clients such as client-node decode a delete's answer as a V1Status), except for
// the kinds whose Kubernetes storage returns the deleted object (Pods, Services).

import type { KObject, StoreCommand } from '../store/types.ts'
import { apiVersionOf } from '../objects/registry.ts'
import { bindToRoute, prepareCreate } from './admission.ts'
import { decodeObject, isPlainObject, readBody } from './body.ts'
import { recordCreate } from './field-manager.ts'
import { checkFields } from './field-validation.ts'
import { isDryRun, objectRef, readBarrier, resourceId, resultObject, sendJson, query, type RequestContext } from './context.ts'
import { listOptions, readObject } from './reads.ts'
import { ApiError, badRequest, fromStoreError, qualifiedResource } from './status.ts'

/** Attempts at a create whose name the server generated, when the name turns out to be taken. */
const GENERATE_NAME_ATTEMPTS = 3
/** Deletes per proposal in a collection delete. */
const DELETE_BATCH = 500

export async function createObject (ctx: RequestContext): Promise<void> {
  const body = decodeObject(await readBody(ctx.req, ctx.maxBodyBytes), ctx.req.headers['content-type'])
  checkFields(ctx, body)
  const bound = bindToRoute(body, ctx.route)
  refuseInTerminatingNamespace(ctx, bound)
  const generated = (bound.metadata.name === undefined || bound.metadata.name === '') && typeof bound.metadata.generateName === 'string'
  const dryRun = isDryRun(ctx)
  for (let attempt = 1; ; attempt++) {
    // A copy only when a taken generated name may send us round again.
    const obj = prepareCreate(generated ? structuredClone(bound) : bound, ctx.route.kind, { uid: ctx.backend.newUid(), creationTimestamp: ctx.backend.now() })
    recordCreate(ctx, obj)
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

/** As Kubernetes' NamespaceLifecycle admission: nothing new goes into a namespace being deleted. */
function refuseInTerminatingNamespace (ctx: RequestContext, obj: KObject): void {
  const ns = obj.metadata.namespace
  if (!ctx.route.kind.namespaced || ns === undefined || ns === '') return
  const namespace = ctx.backend.reader.get({ group: '', kind: 'Namespace', namespace: '', name: ns })
  if (namespace?.metadata.deletionTimestamp === undefined) return
  const name = typeof obj.metadata.name === 'string' ? obj.metadata.name : ''
  throw new ApiError(403, 'Forbidden', `${qualifiedResource(resourceId(ctx.route))} "${name}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`, {
    name,
    kind: ctx.route.kind.plural,
    causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }]
  })
}

interface Preconditions { uid?: string, resourceVersion?: string }

type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground'
const POLICIES: readonly string[] = ['Orphan', 'Background', 'Foreground']
/** The finalizer each policy puts on the object; the garbage collector does the rest. */
const POLICY_FINALIZER: Record<PropagationPolicy, string | undefined> = { Orphan: 'orphan', Foreground: 'foregroundDeletion', Background: undefined }

interface DeleteOptions { preconditions?: Preconditions, propagationPolicy?: PropagationPolicy }

/** DeleteOptions from the optional body and the `propagationPolicy` / `orphanDependents` query parameters. */
async function deleteOptions (ctx: RequestContext): Promise<DeleteOptions> {
  const out: DeleteOptions = {}
  let policy: unknown = query(ctx, 'propagationPolicy')
  let orphan: unknown = query(ctx, 'orphanDependents')
  const { headers } = ctx.req
  const hasBody = !((headers['content-length'] === undefined || headers['content-length'] === '0') && headers['transfer-encoding'] === undefined)
  const raw = hasBody ? await readBody(ctx.req, ctx.maxBodyBytes) : undefined
  if (raw !== undefined && raw.toString('utf8').trim() !== '') {
    const opts = decodeObject(raw, headers['content-type'])
    policy = opts.propagationPolicy ?? policy
    orphan = opts.orphanDependents ?? orphan
    const pre = opts.preconditions
    if (pre !== undefined && pre !== null) {
      if (!isPlainObject(pre)) throw badRequest('DeleteOptions.preconditions must be an object')
      const p: Preconditions = {}
      for (const key of ['uid', 'resourceVersion'] as const) {
        const v = pre[key]
        if (v === undefined || v === null) continue
        if (typeof v !== 'string') throw badRequest(`DeleteOptions.preconditions.${key} must be a string`)
        p[key] = v
      }
      if (p.uid !== undefined || p.resourceVersion !== undefined) out.preconditions = p
    }
  }
  if (policy !== undefined && policy !== null && policy !== '') {
    if (typeof policy !== 'string' || !POLICIES.includes(policy)) {
      throw badRequest(`DeleteOptions.propagationPolicy: Unsupported value: ${JSON.stringify(policy)}: supported values: "Orphan", "Background", "Foreground"`)
    }
    out.propagationPolicy = policy as PropagationPolicy
  } else if (orphan === true || orphan === 'true') {
    out.propagationPolicy = 'Orphan'
  }
  return out
}

/** Attempts at adding a propagation finalizer when the object keeps changing underneath. */
const FINALIZER_ATTEMPTS = 5

/** Puts the policy's finalizer on the object before it is deleted (skipped when it is absent or the preconditions fail: the delete reports that). */
async function addPropagationFinalizer (ctx: RequestContext, name: string, finalizer: string, pre: Preconditions | undefined): Promise<void> {
  const ref = objectRef(ctx.route, name)
  for (let attempt = 1; attempt <= FINALIZER_ATTEMPTS; attempt++) {
    await ctx.backend.linearize(ctx.signal)
    const stored = ctx.backend.reader.get(ref)
    if (stored === undefined) return
    if (pre?.uid !== undefined && pre.uid !== stored.metadata.uid) return
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== stored.metadata.resourceVersion) return
    if ((stored.metadata.finalizers ?? []).includes(finalizer)) return
    const next = { ...stored, metadata: { ...stored.metadata, finalizers: [...stored.metadata.finalizers ?? [], finalizer] } }
    const result = await ctx.backend.write({ op: 'update', object: next }, ctx.signal)
    if (result.ok || result.error.reason !== 'Conflict') return
  }
}

export async function deleteObject (ctx: RequestContext, name: string): Promise<void> {
  const { preconditions, propagationPolicy } = await deleteOptions(ctx)
  if (isDryRun(ctx)) {
    sendJson(ctx.res, 200, await readObject(ctx, name))
    return
  }
  const finalizer = propagationPolicy === undefined ? undefined : POLICY_FINALIZER[propagationPolicy]
  if (finalizer !== undefined) await addPropagationFinalizer(ctx, name, finalizer, preconditions)
  // With finalizers the store only marks the object, with this timestamp, decided here.
  const cmd: StoreCommand = { op: 'delete', ref: objectRef(ctx.route, name), deletionTimestamp: ctx.backend.now() }
  if (preconditions !== undefined) cmd.preconditions = preconditions
  const result = await ctx.backend.write(cmd, ctx.signal)
  sendJson(ctx.res, 200, deleteAnswer(ctx, resultObject(result, resourceId(ctx.route, name))))
}

/** Kinds (group/Kind) whose delete answers the deleted object rather than a Status, as their Kubernetes storage does. */
const RETURNS_DELETED_OBJECT = new Set(['/Pod', '/Service'])

/**
 * The answer to a delete: the object while it is still there (marked for deletion, waiting for
 * finalizers or a grace period), else a Success Status with the object's name, group, resource
 * and uid — or the deleted object itself for the kinds Kubernetes answers that way.
 */
function deleteAnswer (ctx: RequestContext, obj: KObject): unknown {
  const { kind } = ctx.route
  if (RETURNS_DELETED_OBJECT.has(`${kind.group}/${kind.kind}`)) return obj
  // The write resolved after local apply: the local replica says whether it is still there.
  const stored = ctx.backend.reader.get(objectRef(ctx.route, obj.metadata.name))
  if (stored !== undefined && stored.metadata.uid === obj.metadata.uid) return obj
  const details: Record<string, string> = { name: obj.metadata.name }
  if (kind.group !== '') details.group = kind.group
  details.kind = kind.plural
  if (obj.metadata.uid !== undefined) details.uid = obj.metadata.uid
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details }
}

/** DELETE on a collection: deletes what a linearizable list with the request's selectors returns. */
export async function deleteCollection (ctx: RequestContext): Promise<void> {
  await deleteOptions(ctx)
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
