// The ReplicaSet controller (leader only): keeps spec.replicas active pods that match the
// selector and are controlled by the ReplicaSet (ownerReference controller: true,
// blockOwnerDeletion: true). It adopts orphans that match, releases pods that stop matching,
// creates missing pods from the template (names, uids and timestamps decided before
// proposing; many creates in one batch entry) and deletes surplus ones (unscheduled, then
// not ready, then newest first). Then it writes status.
//
// No duplicates after a leader change: a role starts only after its replica has applied
// everything committed (the read barrier), one key is never reconciled twice at once, and a
// write resolves only once applied locally — so every reconcile counts the pods the previous
// one created. (A write that times out may still commit later; the surplus is then deleted.)

import type { RoleContext } from '../agent/roles.ts'
import { ApiError } from '../api/status.ts'
import { prepareCreate } from '../api/admission.ts'
import { podKind } from '../objects/pod.ts'
import type { ReplicaSet } from '../objects/replicaset.ts'
import { labelSelectorRequirements, matchesLabels, type LabelRequirement } from '../store/label-selector.ts'
import type { KObject, StoreCommand } from '../store/types.ts'
import { ControllerRole } from './controller-role.ts'
import type { EventSink } from './event-recorder.ts'
import { keyOf, splitKey } from './informer.ts'
import { controllerRefOf, controllerRefTo, enqueueOwnerOf, isDeleting, namespaceTerminating, withOwnerRefs } from './owner-refs.ts'
import { compareForDeletion, isPodActive } from './pod-readiness.ts'
import { replicaSetStatus } from './replicaset-status.ts'
import { deleteCommand, MAX_BATCH, resultError, resultObject, updateCommand, writeAll } from './store-writes.ts'
import type { WorkQueue } from './work-queue.ts'

const RS_KIND = { group: 'apps', kind: 'ReplicaSet' }
const POD_KIND = { group: '', kind: 'Pod' }
/** How long before retrying creates that failed (a bad template, a missing namespace). */
const FAILED_CREATE_RETRY_MS = 5_000

export function replicaSetController (ctx: RoleContext): ControllerRole {
  const onPod = enqueueOwnerOf(ctx.backend.reader, RS_KIND, (rs, labels) => {
    const sel = selectorOf(rs as ReplicaSet)
    return sel !== undefined && matchesLabels(sel, labels)
  })
  const role: ControllerRole = new ControllerRole(ctx, {
    name: 'replicaset-controller',
    watches: [
      { kind: RS_KIND, onEvent: (e, enqueue) => { enqueue(keyOf(e.object)) } },
      { kind: POD_KIND, onEvent: onPod }
    ],
    reconcile: async (key, queue) => { await reconcileReplicaSet(ctx, key, queue, role.events) }
  })
  return role
}

function selectorOf (rs: ReplicaSet): LabelRequirement[] | undefined {
  try {
    return labelSelectorRequirements(rs.spec.selector)
  } catch {
    return undefined
  }
}

export async function reconcileReplicaSet (ctx: RoleContext, key: string, queue: WorkQueue, events?: EventSink): Promise<void> {
  const { backend } = ctx
  const { namespace, name } = splitKey(key)
  const rs = backend.reader.get({ ...RS_KIND, namespace, name }) as ReplicaSet | undefined
  if (rs === undefined) return
  const selector = selectorOf(rs)
  if (selector === undefined) {
    ctx.log(`replicaset-controller: ${key}: invalid selector, not managing pods`)
    return
  }
  const owned = await claimPods(ctx, rs, selector)
  const active = owned.filter(isPodActive)
  const want = rs.spec.replicas ?? 1
  let failure: string | undefined
  if (!isDeleting(rs) && active.length < want) {
    failure = await createPods(ctx, rs, Math.min(want - active.length, MAX_BATCH), events)
    if (failure !== undefined) queue.addAfter(key, FAILED_CREATE_RETRY_MS)
  } else if (active.length > want) {
    const surplus = [...active].sort(compareForDeletion).slice(0, active.length - want)
    const results = await writeAll(backend, surplus.map((pod) => deleteCommand(pod, backend.now())))
    results.forEach((r, i) => { if (r.ok) events?.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${surplus[i]?.metadata.name ?? ''}`) })
  }
  await writeStatus(ctx, key, failure, queue)
}

/** Adopt matching orphans and release owned pods that stopped matching; returns the pods it controls. */
async function claimPods (ctx: RoleContext, rs: ReplicaSet, selector: LabelRequirement[]): Promise<KObject[]> {
  const pods = ctx.backend.reader.list(POD_KIND.group, POD_KIND.kind, rs.metadata.namespace).items
  const owned: KObject[] = []
  const writes: StoreCommand[] = []
  for (const pod of pods) {
    const ref = controllerRefOf(pod)
    const matches = matchesLabels(selector, pod.metadata.labels)
    if (ref?.uid === rs.metadata.uid) {
      if (matches || isDeleting(pod)) owned.push(pod)
      else writes.push(updateCommand(withOwnerRefs(pod, (pod.metadata.ownerReferences ?? []).filter((r) => r.uid !== rs.metadata.uid))))
    } else if (ref === undefined && matches && !isDeleting(pod) && !isDeleting(rs)) {
      writes.push(updateCommand(withOwnerRefs(pod, [...(pod.metadata.ownerReferences ?? []), controllerRefTo(rs)])))
    }
  }
  const results = await writeAll(ctx.backend, writes)
  for (const r of results) {
    const obj = resultObject(r)
    if (obj !== undefined && controllerRefOf(obj)?.uid === rs.metadata.uid) owned.push(obj)
  }
  return owned
}

/** Creates `count` pods from the template in one entry; returns why creating failed, if it did. */
async function createPods (ctx: RoleContext, rs: ReplicaSet, count: number, events?: EventSink): Promise<string | undefined> {
  const namespace = rs.metadata.namespace ?? 'default'
  if (namespaceTerminating(ctx.backend.reader, namespace)) return `unable to create new content in namespace ${namespace} because it is being terminated`
  const commands: StoreCommand[] = []
  for (let i = 0; i < count; i++) {
    try {
      commands.push({ op: 'create', object: podFromTemplate(ctx, rs) })
    } catch (err) {
      const why = err instanceof ApiError ? err.message : String(err)
      ctx.log(`replicaset-controller: ${namespace}/${rs.metadata.name}: cannot create pods: ${why}`)
      return `pods "${rs.metadata.name}-" is invalid: ${why}`
    }
  }
  const results = await writeAll(ctx.backend, commands)
  for (const r of results) {
    const pod = resultObject(r)
    if (pod !== undefined) events?.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`)
  }
  // A generated name already taken is retried on the next reconcile; other failures are reported.
  const failed = results.map(resultError).find((m) => m !== undefined && !m.includes('already exists'))
  if (failed !== undefined) events?.record(rs, 'Warning', 'FailedCreate', `Error creating: ${failed}`)
  return failed
}

function podFromTemplate (ctx: RoleContext, rs: ReplicaSet): KObject {
  const template = structuredClone(rs.spec.template ?? {}) as { metadata?: Record<string, unknown>, spec?: unknown }
  const meta = template.metadata ?? {}
  const pod: KObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(meta.labels !== undefined ? { labels: meta.labels as Record<string, string> } : {}),
      ...(meta.annotations !== undefined ? { annotations: meta.annotations as Record<string, string> } : {}),
      name: '',
      generateName: `${rs.metadata.name}-`,
      namespace: rs.metadata.namespace ?? 'default',
      ownerReferences: [controllerRefTo(rs)]
    },
    spec: template.spec ?? {}
  }
  return prepareCreate(pod, podKind, { uid: ctx.backend.newUid(), creationTimestamp: ctx.backend.now() })
}

/** Status from a fresh read (after this reconcile's writes); skipped when nothing changed. */
async function writeStatus (ctx: RoleContext, key: string, failure: string | undefined, queue: WorkQueue): Promise<void> {
  const { namespace, name } = splitKey(key)
  const rs = ctx.backend.reader.get({ ...RS_KIND, namespace, name }) as ReplicaSet | undefined
  if (rs === undefined) return
  const active = ctx.backend.reader.list(POD_KIND.group, POD_KIND.kind, namespace).items
    .filter((p) => controllerRefOf(p)?.uid === rs.metadata.uid && isPodActive(p))
  const nowIso = ctx.backend.now()
  const { status, recheckInMs } = replicaSetStatus(rs, active, Date.parse(nowIso), nowIso, failure)
  if (recheckInMs !== undefined) queue.addAfter(key, recheckInMs)
  if (JSON.stringify(status) === JSON.stringify(rs.status)) return
  // A Conflict means the ReplicaSet changed: that change queued it again.
  await ctx.backend.write(updateCommand({ ...rs, status }, 'status'))
}
