// What the node lifecycle controller changes on a Node, as pure functions of the Node and the
// leader's verdict on its agent. As Kubernetes' node lifecycle controller: a node whose agent
// went silent gets Ready (and the kubelet's pressure conditions) set to Unknown, reason
// NodeStatusUnknown; the NoExecute taints follow — node.kubernetes.io/unreachable while the
// agent is silent, node.kubernetes.io/not-ready while it is heard but its kubelet reports
// Ready=False, neither otherwise (a Node of no agent: as its Ready says). Nodes are replicated state written by users too, so every
// reader here tolerates malformed fields instead of throwing.

import type { NodeCondition, Taint } from '../objects/node.ts'
import type { KObject } from '../store/types.ts'

export const UNREACHABLE_TAINT_KEY = 'node.kubernetes.io/unreachable'
export const NOT_READY_TAINT_KEY = 'node.kubernetes.io/not-ready'
/** The taints this controller owns (with effect NoExecute); any other taint is left alone. */
const MANAGED_KEYS = [UNREACHABLE_TAINT_KEY, NOT_READY_TAINT_KEY]

/** The kubelet's conditions that turn Unknown with Ready, as Kubernetes does. */
const KUBELET_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']

export const SILENT_REASON = 'NodeStatusUnknown'
export const SILENT_MESSAGE = 'Kubelet stopped posting node status.'
const NEVER_REASON = 'NodeStatusNeverUpdated'
const NEVER_MESSAGE = 'Kubelet never posted node status.'

/**
 * The leader's judgement of a node's agent: heard within the grace period; silent for longer;
 * pending — not heard, but this leader has not led for a grace period yet, so it does not
 * know (a new leader never acts on silence it did not witness); or unjudged — the Node belongs
 * to no agent (a simulated node), so its Ready condition alone says what it is.
 */
export type Verdict = 'heard' | 'silent' | 'pending' | 'unjudged'

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function isCondition (c: unknown): c is NodeCondition {
  return isRecord(c) && typeof c.type === 'string' && typeof c.status === 'string'
}

export function isTaint (t: unknown): t is Taint {
  return isRecord(t) && typeof t.key === 'string' && typeof t.effect === 'string'
}

/** The node's well-formed conditions. */
export function conditionsOf (node: KObject): NodeCondition[] {
  const status = node.status
  if (!isRecord(status) || !Array.isArray(status.conditions)) return []
  return status.conditions.filter(isCondition)
}

/** Status of the Ready condition, undefined when the kubelet never posted one. */
export function readyStatus (node: KObject): string | undefined {
  return conditionsOf(node).find((c) => c.type === 'Ready')?.status
}

/** The node's well-formed taints. */
export function taintsOf (node: KObject): Taint[] {
  const spec = node.spec
  if (!isRecord(spec) || !Array.isArray(spec.taints)) return []
  return spec.taints.filter(isTaint)
}

/** The node's NoExecute taints. */
export function noExecuteTaints (node: KObject): Taint[] {
  return taintsOf(node).filter((t) => t.effect === 'NoExecute')
}

/**
 * The node's status with the kubelet's conditions set to Unknown (Ready added if the kubelet
 * never posted it), or undefined if they already are. `now` is an RFC 3339 timestamp.
 */
export function statusWhenSilent (node: KObject, now: string): Record<string, unknown> | undefined {
  const status = isRecord(node.status) ? node.status : {}
  const raw = Array.isArray(status.conditions) ? status.conditions as unknown[] : []
  let changed = false
  const conditions = raw.map((c) => {
    if (!isCondition(c) || !KUBELET_CONDITIONS.includes(c.type) || c.status === 'Unknown') return c
    changed = true
    return { ...c, status: 'Unknown', reason: SILENT_REASON, message: SILENT_MESSAGE, lastTransitionTime: now }
  })
  if (!conditions.some((c) => isCondition(c) && c.type === 'Ready')) {
    changed = true
    conditions.push({ type: 'Ready', status: 'Unknown', reason: NEVER_REASON, message: NEVER_MESSAGE, lastTransitionTime: now })
  }
  return changed ? { ...status, conditions } : undefined
}

/**
 * The node's taints as the verdict wants them, or undefined if they already are. Only the
 * NoExecute taints this controller owns are added or removed; `now` stamps a new taint's timeAdded.
 */
export function taintsFor (node: KObject, verdict: Verdict, now: string): Taint[] | undefined {
  if (verdict === 'pending') return undefined
  const ready = readyStatus(node)
  const want = verdict === 'silent' || (verdict === 'unjudged' && ready === 'Unknown')
    ? UNREACHABLE_TAINT_KEY
    : ready === 'False' ? NOT_READY_TAINT_KEY : undefined
  const spec = node.spec
  const current: unknown[] = isRecord(spec) && Array.isArray(spec.taints) ? spec.taints : []
  const next = current.filter((t) => !(isTaint(t) && t.effect === 'NoExecute' && MANAGED_KEYS.includes(t.key) && t.key !== want))
  if (want !== undefined && !next.some((t) => isTaint(t) && t.effect === 'NoExecute' && t.key === want)) {
    next.push({ key: want, effect: 'NoExecute', timeAdded: now })
  }
  if (next.length === current.length && next.every((t, i) => t === current[i])) return undefined
  return next as Taint[]
}

/**
 * The pod's status with its Ready and ContainersReady conditions False, or undefined if none
 * is True: a pod on a silent node cannot be trusted to serve (Kubernetes' MarkPodsNotReady),
 * so Services stop sending it traffic before it is evicted.
 */
export function podStatusNotReady (pod: KObject, now: string): Record<string, unknown> | undefined {
  const status = isRecord(pod.status) ? pod.status : {}
  if (!Array.isArray(status.conditions)) return undefined
  let changed = false
  const conditions = (status.conditions as unknown[]).map((c) => {
    if (!isCondition(c) || (c.type !== 'Ready' && c.type !== 'ContainersReady') || c.status !== 'True') return c
    changed = true
    return { ...c, status: 'False', lastTransitionTime: now }
  })
  return changed ? { ...status, conditions } : undefined
}
