// The steps of a Deployment rollout, as Kubernetes' rolling.go, recreate.go and sync.go:
// scale the new ReplicaSet up within maxSurge, scale old ones down while keeping
// replicas - maxUnavailable available (unhealthy old pods first), Recreate (old to zero,
// wait for their pods to go, then the new one up), proportional scaling of a Deployment
// resized mid-rollout, and pruning old ReplicaSets past revisionHistoryLimit.
// Each function returns true when it wrote: the caller then stops, and the writes' own
// events bring the Deployment back with fresh state (level-triggered, one step at a time).

import type { Deployment } from '../objects/deployment.ts'
import type { ReplicaSet } from '../objects/replicaset.ts'
import type { KObject } from '../store/types.ts'
import {
  byCreation, DESIRED_REPLICAS, MAX_REPLICAS, replicaAnnotations, replicasOf, revisionOf, rsAvailable, rsReplicas, sumOf, surgeAndUnavailable
} from './deployment-util.ts'
import { deleteCommand, updateCommand, writeAll } from './store-writes.ts'
import type { ApiBackend } from '../api/backend.ts'
import type { EventSink } from './event-recorder.ts'

export interface RolloutState {
  d: Deployment
  newRS: ReplicaSet | undefined
  /** Where the Deployment's Events go (none in tests that do not look). */
  events?: EventSink
  /** Every other ReplicaSet the Deployment controls. */
  oldRSs: ReplicaSet[]
}

/**
 * Set one ReplicaSet's replicas (and its replica annotations) — skipped when nothing changes —
 * and record the ScalingReplicaSet Event kube-controller-manager records.
 */
async function scaleTo (backend: ApiBackend, s: RolloutState, rs: ReplicaSet, replicas: number): Promise<boolean> {
  const { d } = s
  const { maxSurge } = surgeAndUnavailable(d)
  const annotations = replicaAnnotations(d, rs, maxSurge)
  if (rsReplicas(rs) === replicas && rs.metadata.annotations?.[DESIRED_REPLICAS] === annotations[DESIRED_REPLICAS]) return false
  const next: KObject = { ...rs, metadata: { ...rs.metadata, annotations }, spec: { ...rs.spec, replicas } }
  const r = await backend.write(updateCommand(next))
  if (!r.ok) throw new Error(`scaling ReplicaSet ${rs.metadata.name} to ${replicas}: ${r.error.message}`)
  const from = rsReplicas(rs)
  if (from !== replicas) s.events?.record(d, 'Normal', 'ScalingReplicaSet', `Scaled ${replicas > from ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${replicas}`)
  return true
}

/** RollingUpdate: one step. */
export async function rolloutRolling (backend: ApiBackend, s: RolloutState): Promise<boolean> {
  const { d, newRS, oldRSs } = s
  if (newRS === undefined) return false
  const all = [newRS, ...oldRSs]
  const replicas = replicasOf(d)
  const { maxSurge, maxUnavailable } = surgeAndUnavailable(d)
  // Scale the new ReplicaSet up (never past replicas + maxSurge pods in all).
  if (rsReplicas(newRS) > replicas) return await scaleTo(backend, s, newRS, replicas)
  if (rsReplicas(newRS) < replicas) {
    const current = sumOf(all, rsReplicas)
    const room = replicas + maxSurge - current
    if (room > 0) return await scaleTo(backend, s, newRS, rsReplicas(newRS) + Math.min(room, replicas - rsReplicas(newRS)))
  }
  // Scale old ones down, keeping replicas - maxUnavailable available.
  const oldCount = sumOf(oldRSs, rsReplicas)
  if (oldCount === 0) return false
  const minAvailable = replicas - maxUnavailable
  const newUnavailable = rsReplicas(newRS) - rsAvailable(newRS)
  const maxScaledDown = sumOf(all, rsReplicas) - minAvailable - newUnavailable
  if (maxScaledDown <= 0) return false
  let wrote = false
  // First the old pods that are not available anyway: removing them costs no availability.
  let cleanup = maxScaledDown
  const byAge = [...oldRSs].sort(byCreation)
  for (const rs of byAge) {
    if (cleanup <= 0) break
    const unhealthy = rsReplicas(rs) - rsAvailable(rs)
    if (rsReplicas(rs) === 0 || unhealthy <= 0) continue
    const n = Math.min(cleanup, unhealthy)
    if (await scaleTo(backend, s, rs, rsReplicas(rs) - n)) wrote = true
    cleanup -= n
  }
  if (wrote) return true
  const available = sumOf(all, rsAvailable)
  let toScaleDown = Math.min(available - minAvailable, maxScaledDown)
  for (const rs of byAge) {
    if (toScaleDown <= 0) break
    if (rsReplicas(rs) === 0) continue
    const n = Math.min(rsReplicas(rs), toScaleDown)
    if (await scaleTo(backend, s, rs, rsReplicas(rs) - n)) wrote = true
    toScaleDown -= n
  }
  return wrote
}

/** Recreate: old ReplicaSets to zero and their pods gone before the new one scales up. */
export async function rolloutRecreate (backend: ApiBackend, s: RolloutState): Promise<boolean> {
  const { d, newRS, oldRSs } = s
  let wrote = false
  for (const rs of oldRSs) if (rsReplicas(rs) > 0 && await scaleTo(backend, s, rs, 0)) wrote = true
  if (wrote) return true
  if (oldRSs.some((rs) => (rs.status?.replicas ?? 0) > 0)) return false
  if (newRS === undefined) return false
  return await scaleTo(backend, s, newRS, replicasOf(d))
}

/** Were the ReplicaSets sized for another replica count (a scaling event, not a template change)? */
export function isScalingEvent (s: RolloutState): boolean {
  return [s.newRS, ...s.oldRSs].some((rs) => rs !== undefined && rsReplicas(rs) > 0 &&
    rs.metadata.annotations?.[DESIRED_REPLICAS] !== undefined && rs.metadata.annotations[DESIRED_REPLICAS] !== String(replicasOf(s.d)))
}

/** Kubernetes' FindActiveOrLatest: the only ReplicaSet with replicas, or the newest when none has; undefined when several have. */
function activeOrLatest (s: RolloutState): ReplicaSet | undefined {
  const all = [...(s.newRS !== undefined ? [s.newRS] : []), ...s.oldRSs]
  const active = all.filter((rs) => rsReplicas(rs) > 0)
  if (active.length === 1) return active[0]
  if (active.length > 1) return undefined
  return s.newRS ?? [...s.oldRSs].sort(byCreation).at(-1)
}

/** What this ReplicaSet's size becomes in proportion, as Kubernetes' getReplicaSetFraction. */
function fraction (d: Deployment, rs: ReplicaSet, maxSurge: number): number {
  if (replicasOf(d) === 0) return -rsReplicas(rs)
  const maxNow = replicasOf(d) + maxSurge
  let maxBefore = Number.parseInt(rs.metadata.annotations?.[MAX_REPLICAS] ?? '', 10)
  if (Number.isNaN(maxBefore) || maxBefore === 0) maxBefore = d.status?.replicas ?? 0
  if (maxBefore === 0) return 0
  return Math.round(rsReplicas(rs) * (maxNow / maxBefore)) - rsReplicas(rs)
}

/**
 * Resize for a new replica count (also while paused), as Kubernetes' scale(): the only active
 * ReplicaSet takes it all; a saturated new ReplicaSet lets the old ones go to zero; during a
 * rolling update the change is spread over the active ReplicaSets in proportion to the size
 * they had for the previous count (max-replicas annotation), the rest going to the largest.
 */
export async function scaleDeployment (backend: ApiBackend, s: RolloutState): Promise<boolean> {
  const { d, newRS, oldRSs } = s
  const replicas = replicasOf(d)
  const only = activeOrLatest(s)
  if (only !== undefined) return rsReplicas(only) !== replicas && await scaleTo(backend, s, only, replicas)
  if (newRS !== undefined && rsReplicas(newRS) === replicas && newRS.metadata.annotations?.[DESIRED_REPLICAS] === String(replicas) && rsAvailable(newRS) === replicas) {
    let wrote = false
    for (const rs of oldRSs) if (rsReplicas(rs) > 0 && await scaleTo(backend, s, rs, 0)) wrote = true
    return wrote
  }
  if (d.spec.strategy?.type === 'Recreate') return false
  const { maxSurge } = surgeAndUnavailable(d)
  const active = [...(newRS !== undefined ? [newRS] : []), ...oldRSs].filter((rs) => rsReplicas(rs) > 0)
  const allowed = replicas > 0 ? replicas + maxSurge : 0
  const toAdd = allowed - sumOf(active, rsReplicas)
  // Largest first; among equals the newest first when growing, the oldest first when shrinking.
  const sorted = [...active].sort((a, b) => rsReplicas(b) - rsReplicas(a) || (toAdd > 0 ? byCreation(b, a) : byCreation(a, b)))
  const sizes = new Map<ReplicaSet, number>()
  let added = 0
  for (const rs of sorted) {
    let share = 0
    if (toAdd !== 0 && toAdd !== added) {
      const f = fraction(d, rs, maxSurge)
      share = toAdd > 0 ? Math.min(f, toAdd - added) : Math.max(f, toAdd - added)
    }
    sizes.set(rs, rsReplicas(rs) + share)
    added += share
  }
  const first = sorted[0]
  if (first !== undefined) sizes.set(first, Math.max(0, (sizes.get(first) ?? 0) + toAdd - added))
  let wrote = false
  for (const [rs, n] of sizes) if (await scaleTo(backend, s, rs, n)) wrote = true
  return wrote
}

/** Delete old ReplicaSets scaled to zero beyond revisionHistoryLimit, oldest revisions first. */
export async function cleanupOldReplicaSets (backend: ApiBackend, s: RolloutState): Promise<boolean> {
  const limit = s.d.spec.revisionHistoryLimit ?? 10
  const idle = s.oldRSs.filter((rs) => rsReplicas(rs) === 0 && (rs.status?.replicas ?? 0) === 0 && rs.metadata.deletionTimestamp === undefined)
  const excess = idle.length - limit
  if (excess <= 0) return false
  const victims = [...idle].sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b)).slice(0, excess)
  await writeAll(backend, victims.map((rs) => deleteCommand(rs, backend.now())))
  return true
}
