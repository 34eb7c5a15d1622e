// The Deployment controller (leader only): rolls a Deployment's pod template out through
// ReplicaSets named `<deployment>-<pod-template-hash>` (the hash label added to their
// selector and template), owned by the Deployment. RollingUpdate (maxSurge/maxUnavailable)
// or Recreate, one step per reconcile; resizing applies even while paused (spec.paused stops
// rollouts only); revisions in deployment.kubernetes.io/revision on ReplicaSets and the
// Deployment; old ReplicaSets beyond revisionHistoryLimit pruned; status and conditions.
// Rollback is a client-side template copy (`flotilla rollout undo`), as in apps/v1.

import type { RoleContext } from '../agent/roles.ts'
import { ApiError } from '../api/status.ts'
import { prepareCreate } from '../api/admission.ts'
import type { Deployment } from '../objects/deployment.ts'
import type { ReplicaSet } from '../objects/replicaset.ts'
import { replicaSetKind } from '../objects/replicaset.ts'
import { selectorMatches } from '../store/label-selector.ts'
import type { KObject, StoreCommand } from '../store/types.ts'
import { ControllerRole } from './controller-role.ts'
import type { EventSink } from './event-recorder.ts'
import { cleanupOldReplicaSets, isScalingEvent, rolloutRecreate, rolloutRolling, scaleDeployment, type RolloutState } from './deployment-rollout.ts'
import { deploymentStatus } from './deployment-status.ts'
import {
  canonicalJson, maxRevision, POD_TEMPLATE_HASH, podTemplateHash, replicasOf, REVISION, revisionOf, rsAnnotations, rsAvailable, rsReplicas,
  sameTemplate, surgeAndUnavailable
} from './deployment-util.ts'
import { keyOf, splitKey } from './informer.ts'
import { controllerRefOf, controllerRefTo, enqueueOwnerOf, isDeleting, namespaceTerminating, withOwnerRefs } from './owner-refs.ts'
import { updateCommand, writeAll } from './store-writes.ts'
import type { WorkQueue } from './work-queue.ts'

const DEPLOY = { group: 'apps', kind: 'Deployment' }
const RS = { group: 'apps', kind: 'ReplicaSet' }

export function deploymentController (ctx: RoleContext): ControllerRole {
  const onRs = enqueueOwnerOf(ctx.backend.reader, DEPLOY, (d, labels) => selectorMatches((d as Deployment).spec.selector, labels))
  const role: ControllerRole = new ControllerRole(ctx, {
    name: 'deployment-controller',
    watches: [
      { kind: DEPLOY, onEvent: (e, enqueue) => { enqueue(keyOf(e.object)) } },
      { kind: RS, onEvent: onRs }
    ],
    reconcile: async (key, queue) => { await reconcileDeployment(ctx, key, queue, role.events) }
  })
  return role
}

function getDeployment (ctx: RoleContext, key: string): Deployment | undefined {
  const { namespace, name } = splitKey(key)
  return ctx.backend.reader.get({ ...DEPLOY, namespace, name }) as Deployment | undefined
}

/** The ReplicaSets `d` controls, adopting orphans its selector matches; the new one is the oldest with `d`'s template. */
async function rolloutState (ctx: RoleContext, d: Deployment, adopt: boolean, events?: EventSink): Promise<RolloutState> {
  const all = ctx.backend.reader.list(RS.group, RS.kind, d.metadata.namespace).items as ReplicaSet[]
  const owned: ReplicaSet[] = []
  const adoptions: StoreCommand[] = []
  for (const rs of all) {
    const ref = controllerRefOf(rs)
    if (ref?.uid === d.metadata.uid) owned.push(rs)
    else if (adopt && ref === undefined && !isDeleting(rs) && !isDeleting(d) && selectorMatches(d.spec.selector, rs.metadata.labels)) {
      adoptions.push(updateCommand(withOwnerRefs(rs, [...(rs.metadata.ownerReferences ?? []), controllerRefTo(d)])))
    }
  }
  for (const r of await writeAll(ctx.backend, adoptions)) if (r.ok && 'object' in r) owned.push(r.object as ReplicaSet)
  owned.sort((a, b) => (a.metadata.creationTimestamp ?? '') < (b.metadata.creationTimestamp ?? '') ? -1 : 1)
  const newRS = owned.find((rs) => sameTemplate(rs.spec.template, d.spec.template))
  return { d, newRS, oldRSs: owned.filter((rs) => rs !== newRS), ...(events !== undefined ? { events } : {}) }
}

export async function reconcileDeployment (ctx: RoleContext, key: string, queue: WorkQueue, events?: EventSink): Promise<void> {
  const d = getDeployment(ctx, key)
  if (d === undefined) return
  const created = isDeleting(d) ? false : await step(ctx, d, events)
  await writeStatus(ctx, key, created, queue)
}

/** One step of the rollout; true when it created the new ReplicaSet. */
async function step (ctx: RoleContext, d: Deployment, events?: EventSink): Promise<boolean> {
  const s = await rolloutState(ctx, d, true, events)
  if (isScalingEvent(s) && await scaleDeployment(ctx.backend, s)) return false
  if (d.spec.paused === true) {
    await cleanupOldReplicaSets(ctx.backend, s)
    return false
  }
  if (s.newRS === undefined) return await createNewReplicaSet(ctx, s)
  if (await syncRevision(ctx, s)) return false
  const wrote = d.spec.strategy?.type === 'Recreate' ? await rolloutRecreate(ctx.backend, s) : await rolloutRolling(ctx.backend, s)
  if (wrote) return false
  const newRS = s.newRS
  const done = rsReplicas(newRS) === replicasOf(d) && rsAvailable(newRS) >= replicasOf(d) && s.oldRSs.every((rs) => rsReplicas(rs) === 0)
  if (done) await cleanupOldReplicaSets(ctx.backend, s)
  return false
}

/**
 * The new ReplicaSet carries the highest revision (renumbered when a rollback brings an old
 * one back) and the Deployment's annotations (change-cause); the Deployment the same number.
 */
async function syncRevision (ctx: RoleContext, s: RolloutState): Promise<boolean> {
  const newRS = s.newRS as ReplicaSet
  const maxOld = maxRevision(s.oldRSs)
  const revision = revisionOf(newRS) > maxOld ? revisionOf(newRS) : maxOld + 1
  const annotations = rsAnnotations(s.d, newRS, revision, surgeAndUnavailable(s.d).maxSurge)
  if (canonicalJson(annotations) !== canonicalJson(newRS.metadata.annotations ?? {})) {
    const r = await ctx.backend.write(updateCommand({ ...newRS, metadata: { ...newRS.metadata, annotations } }))
    if (!r.ok) throw new Error(`updating the annotations of ReplicaSet ${newRS.metadata.name}: ${r.error.message}`)
    return true
  }
  if (s.d.metadata.annotations?.[REVISION] === String(revision)) return false
  const d: KObject = { ...s.d, metadata: { ...s.d.metadata, annotations: { ...s.d.metadata.annotations, [REVISION]: String(revision) } } }
  const r = await ctx.backend.write(updateCommand(d))
  if (!r.ok) throw new Error(`updating the revision of Deployment ${s.d.metadata.name}: ${r.error.message}`)
  return true
}

async function createNewReplicaSet (ctx: RoleContext, s: RolloutState): Promise<boolean> {
  const { d } = s
  if (namespaceTerminating(ctx.backend.reader, d.metadata.namespace ?? 'default')) return false
  const collisionCount = d.status?.collisionCount ?? 0
  const hash = podTemplateHash(d.spec.template, collisionCount)
  const template = structuredClone(d.spec.template) as ReplicaSet['spec']['template'] & { metadata?: { labels?: Record<string, string> } }
  template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH]: hash } }
  const selector = structuredClone(d.spec.selector)
  selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH]: hash }
  const rs: KObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace ?? 'default',
      labels: { ...template.metadata.labels },
      annotations: rsAnnotations(d, undefined, maxRevision(s.oldRSs) + 1, surgeAndUnavailable(d).maxSurge),
      ownerReferences: [controllerRefTo(d)]
    },
    spec: { replicas: 0, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template }
  }
  let prepared: KObject
  try {
    prepared = prepareCreate(rs, replicaSetKind, { uid: ctx.backend.newUid(), creationTimestamp: ctx.backend.now() })
  } catch (err) {
    ctx.log(`deployment-controller: ${d.metadata.namespace ?? ''}/${d.metadata.name}: cannot create its ReplicaSet: ${err instanceof ApiError ? err.message : String(err)}`)
    return false
  }
  const r = await ctx.backend.write({ op: 'create', object: prepared })
  if (r.ok) return true
  if (r.error.reason !== 'AlreadyExists') throw new Error(`creating ReplicaSet ${rs.metadata.name}: ${r.error.message}`)
  // A ReplicaSet of that name with another template: count the collision, so the next hash differs.
  const status = { ...d.status, collisionCount: collisionCount + 1 }
  await ctx.backend.write(updateCommand({ ...d, status }, 'status'))
  return false
}

async function writeStatus (ctx: RoleContext, key: string, createdNewRS: boolean, queue: WorkQueue): Promise<void> {
  const d = getDeployment(ctx, key)
  if (d === undefined) return
  const s = await rolloutState(ctx, d, false)
  const all = [...(s.newRS !== undefined ? [s.newRS] : []), ...s.oldRSs]
  const nowIso = ctx.backend.now()
  const { status, recheckInMs } = deploymentStatus({ d, newRS: s.newRS, all, nowMs: Date.parse(nowIso), nowIso, createdNewRS })
  if (recheckInMs !== undefined) queue.addAfter(key, recheckInMs)
  if (JSON.stringify(status) === JSON.stringify(d.status)) return
  await ctx.backend.write(updateCommand({ ...d, status }, 'status'))
}
