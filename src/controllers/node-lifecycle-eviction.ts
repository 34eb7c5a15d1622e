// When a pod on a node tainted NoExecute has to go: Kubernetes' taint-based eviction, as pure
// functions. For each NoExecute taint, the pod's tolerations that match it decide: none match →
// the default wait for the taints this controller sets (the pod-eviction timeout, standing in
// for Kubernetes' DefaultTolerationSeconds admission) and 0 for anybody else's taint; matching
// tolerations with tolerationSeconds → the smallest of them (≤ 0 means at once); matching only
// without tolerationSeconds → never. The pod goes at the earliest of its taints' deadlines,
// each counted from when the controller noticed that taint.

import type { Taint } from '../objects/node.ts'
import { tolerates } from '../objects/tolerations.ts'
import type { KObject } from '../store/types.ts'
import { NOT_READY_TAINT_KEY, UNREACHABLE_TAINT_KEY } from './node-lifecycle-node.ts'

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function tolerationsOf (pod: KObject): unknown[] {
  const spec = pod.spec
  return isRecord(spec) && Array.isArray(spec.tolerations) ? spec.tolerations : []
}

/**
 * Milliseconds after the taint was noticed at which the pod is evicted for it; undefined when
 * the pod tolerates it forever. `defaultMs` applies to the controller's own taints.
 */
export function evictionDelayMs (pod: KObject, taint: Taint, defaultMs: number): number | undefined {
  const matching = tolerationsOf(pod).filter((t) => tolerates(t, taint))
  if (matching.length === 0) return taint.key === UNREACHABLE_TAINT_KEY || taint.key === NOT_READY_TAINT_KEY ? defaultMs : 0
  let min: number | undefined
  for (const t of matching) {
    const seconds = (t as { tolerationSeconds?: unknown }).tolerationSeconds
    if (typeof seconds !== 'number' || !Number.isFinite(seconds)) continue
    const ms = Math.max(0, seconds * 1000)
    min = min === undefined ? ms : Math.min(min, ms)
  }
  return min
}

/**
 * When the pod is to be evicted (in the clock's milliseconds), given each NoExecute taint and
 * when it was noticed; undefined when it tolerates them all forever.
 */
export function evictionTime (pod: KObject, taints: ReadonlyArray<{ taint: Taint, noticedAt: number }>, defaultMs: number): number | undefined {
  let at: number | undefined
  for (const { taint, noticedAt } of taints) {
    const delay = evictionDelayMs(pod, taint, defaultMs)
    if (delay === undefined) continue
    at = at === undefined ? noticedAt + delay : Math.min(at, noticedAt + delay)
  }
  return at
}
