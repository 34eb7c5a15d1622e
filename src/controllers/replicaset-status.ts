// A ReplicaSet's status from the pods it controls, as Kubernetes' calculateStatus:
// replicas (active pods), fullyLabeledReplicas (those carrying every template label),
// readyReplicas (condition Ready True), availableReplicas (ready for minReadySeconds),
// observedGeneration, and the ReplicaFailure condition while pods cannot be created.

import type { ReplicaSet, ReplicaSetStatus } from '../objects/replicaset.ts'
import type { KObject } from '../store/types.ts'
import { isPodReady, msUntilAvailable } from './pod-readiness.ts'

export interface RsStatusResult {
  status: ReplicaSetStatus
  /** Milliseconds until a ready pod turns available (reconcile again then); undefined if none is waiting. */
  recheckInMs?: number
}

/** `failure`: why the last create failed (ReplicaFailure True), undefined when creates work. */
export function replicaSetStatus (rs: ReplicaSet, activePods: KObject[], nowMs: number, nowIso: string, failure: string | undefined): RsStatusResult {
  const templateLabels = rs.spec.template?.metadata?.labels ?? {}
  const minReady = rs.spec.minReadySeconds ?? 0
  let fullyLabeled = 0
  let ready = 0
  let available = 0
  let recheckInMs: number | undefined
  for (const pod of activePods) {
    const labels = pod.metadata.labels ?? {}
    if (Object.entries(templateLabels).every(([k, v]) => labels[k] === v)) fullyLabeled++
    if (!isPodReady(pod)) continue
    ready++
    const wait = msUntilAvailable(pod, minReady, nowMs)
    if (wait === 0) available++
    else if (wait !== undefined) recheckInMs = Math.min(recheckInMs ?? wait, wait)
  }
  const status: ReplicaSetStatus = {
    replicas: activePods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: rs.metadata.generation ?? 0
  }
  const old = (rs.status?.conditions ?? []).find((c) => c.type === 'ReplicaFailure')
  const others = (rs.status?.conditions ?? []).filter((c) => c.type !== 'ReplicaFailure')
  if (failure !== undefined) {
    const same = old?.status === 'True' && old.message === failure
    others.push(same ? old : { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: failure, lastTransitionTime: nowIso })
  }
  if (others.length > 0) status.conditions = others
  return recheckInMs === undefined ? { status } : { status, recheckInMs }
}
