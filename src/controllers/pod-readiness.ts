// How the workload controllers judge pods, as Kubernetes' controller utilities: active (not
// being deleted, not finished), ready (condition Ready True), available (ready for at least
// minReadySeconds), and the order in which surplus pods are deleted.

import type { KObject } from '../store/types.ts'

interface PodLike extends KObject {
  spec?: { nodeName?: string }
  status?: { phase?: string, conditions?: Array<{ type: string, status: string, lastTransitionTime?: string }> }
}

const asPod = (o: KObject): PodLike => o as PodLike

/** Counted toward replicas: not being deleted and not Succeeded/Failed. */
export function isPodActive (pod: KObject): boolean {
  const phase = asPod(pod).status?.phase
  return pod.metadata.deletionTimestamp === undefined && phase !== 'Succeeded' && phase !== 'Failed'
}

function readyCondition (pod: KObject): { status: string, lastTransitionTime?: string } | undefined {
  return asPod(pod).status?.conditions?.find((c) => c.type === 'Ready')
}

export function isPodReady (pod: KObject): boolean {
  return readyCondition(pod)?.status === 'True'
}

/**
 * Milliseconds until a ready pod becomes available (0: available now); undefined when it is
 * not ready. A Ready condition without lastTransitionTime counts as ready since long ago.
 */
export function msUntilAvailable (pod: KObject, minReadySeconds: number, nowMs: number): number | undefined {
  const c = readyCondition(pod)
  if (c?.status !== 'True') return undefined
  if (minReadySeconds <= 0) return 0
  const since = c.lastTransitionTime === undefined ? Number.NaN : Date.parse(c.lastTransitionTime)
  if (Number.isNaN(since)) return 0
  return Math.max(0, since + minReadySeconds * 1000 - nowMs)
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 }

/**
 * Kubernetes' ActivePods order for scale-down: unscheduled before scheduled, Pending before
 * Unknown before Running, not ready before ready, then the newest first.
 */
export function compareForDeletion (a: KObject, b: KObject): number {
  const sa = asPod(a).spec?.nodeName === undefined || asPod(a).spec?.nodeName === '' ? 0 : 1
  const sb = asPod(b).spec?.nodeName === undefined || asPod(b).spec?.nodeName === '' ? 0 : 1
  if (sa !== sb) return sa - sb
  const pa = PHASE_RANK[asPod(a).status?.phase ?? 'Pending'] ?? 0
  const pb = PHASE_RANK[asPod(b).status?.phase ?? 'Pending'] ?? 0
  if (pa !== pb) return pa - pb
  const ra = isPodReady(a) ? 1 : 0
  const rb = isPodReady(b) ? 1 : 0
  if (ra !== rb) return ra - rb
  const ca = a.metadata.creationTimestamp ?? ''
  const cb = b.metadata.creationTimestamp ?? ''
  if (ca !== cb) return ca > cb ? -1 : 1
  return a.metadata.name < b.metadata.name ? 1 : -1
}
