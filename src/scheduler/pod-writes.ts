// The writes the scheduler proposes for a pod, each with the pod's resourceVersion as its
// precondition, so a pod that changed since it was read is never overwritten (Conflict, and
// the scheduler reads it again): the binding (spec.nodeName) and the PodScheduled condition
// (status subresource). A condition is rewritten only when it says something new.

import type { Pod, PodCondition } from '../objects/pod.ts'
import type { StoreCommand } from '../store/types.ts'

export const POD_SCHEDULED = 'PodScheduled'
export const REASON_UNSCHEDULABLE = 'Unschedulable'

export function podScheduledCondition (pod: Pod): PodCondition | undefined {
  const conditions = pod.status?.conditions
  return Array.isArray(conditions) ? conditions.find((c) => c?.type === POD_SCHEDULED) : undefined
}

/** Bind `pod` to `node`: the whole pod with spec.nodeName set (the store keeps its status). */
export function bindCommand (pod: Pod, node: string): StoreCommand {
  return { op: 'update', object: { ...pod, spec: { ...pod.spec, nodeName: node } } }
}

function withCondition (pod: Pod, condition: PodCondition): StoreCommand {
  const conditions = (pod.status?.conditions ?? []).filter((c) => c?.type !== POD_SCHEDULED)
  return { op: 'update', subresource: 'status', object: { ...pod, status: { ...pod.status, conditions: [...conditions, condition] } } }
}

/** PodScheduled=True for a bound pod, or undefined when it already says so. */
export function scheduledCommand (pod: Pod, now: string): StoreCommand | undefined {
  const current = podScheduledCondition(pod)
  if (current?.status === 'True') return undefined
  return withCondition(pod, { type: POD_SCHEDULED, status: 'True', lastProbeTime: null, lastTransitionTime: now })
}

/** PodScheduled=False, reason Unschedulable, with `message`; undefined when the pod already says exactly that. */
export function unschedulableCommand (pod: Pod, message: string, now: string): StoreCommand | undefined {
  const current = podScheduledCondition(pod)
  if (current?.status === 'False' && current.reason === REASON_UNSCHEDULABLE && current.message === message) return undefined
  const since = current?.status === 'False' && typeof current.lastTransitionTime === 'string' ? current.lastTransitionTime : now
  return withCondition(pod, { type: POD_SCHEDULED, status: 'False', reason: REASON_UNSCHEDULABLE, message, lastProbeTime: null, lastTransitionTime: since })
}
