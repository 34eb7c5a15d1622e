// A Deployment's status from its ReplicaSets, as Kubernetes' calculateStatus and
// syncRolloutStatus: replica counts, Available (MinimumReplicasAvailable /
// MinimumReplicasUnavailable) and Progressing (NewReplicaSetCreated, ReplicaSetUpdated,
// NewReplicaSetAvailable, DeploymentPaused, ProgressDeadlineExceeded after
// progressDeadlineSeconds without progress).

import type { Deployment, DeploymentCondition, DeploymentStatus } from '../objects/deployment.ts'
import type { ReplicaSet } from '../objects/replicaset.ts'
import { replicasOf, rsReplicas, sumOf, surgeAndUnavailable } from './deployment-util.ts'

export interface StatusInput {
  d: Deployment
  newRS: ReplicaSet | undefined
  all: ReplicaSet[]
  nowMs: number
  nowIso: string
  /** This reconcile created the new ReplicaSet. */
  createdNewRS: boolean
}

export interface StatusResult {
  status: DeploymentStatus
  /** Reconcile again after this many ms to check the progress deadline. */
  recheckInMs?: number
}

function setCondition (conds: DeploymentCondition[], c: DeploymentCondition, nowIso: string, keepUpdateTime = false): DeploymentCondition[] {
  const old = conds.find((x) => x.type === c.type)
  if (old !== undefined && old.status === c.status && old.reason === c.reason && keepUpdateTime) return conds
  const next: DeploymentCondition = {
    ...c,
    lastUpdateTime: nowIso,
    lastTransitionTime: old !== undefined && old.status === c.status ? old.lastTransitionTime ?? nowIso : nowIso
  }
  return [...conds.filter((x) => x.type !== c.type), next].sort((a, b) => a.type < b.type ? -1 : 1)
}

export function deploymentStatus (inp: StatusInput): StatusResult {
  const { d, newRS, all, nowIso } = inp
  const replicas = replicasOf(d)
  const prev = d.status ?? {}
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: sumOf(all, (rs) => rs.status?.replicas ?? 0),
    updatedReplicas: newRS?.status?.replicas ?? 0,
    readyReplicas: sumOf(all, (rs) => rs.status?.readyReplicas ?? 0),
    availableReplicas: sumOf(all, (rs) => rs.status?.availableReplicas ?? 0)
  }
  status.unavailableReplicas = Math.max(0, sumOf(all, rsReplicas) - (status.availableReplicas ?? 0))
  if (prev.collisionCount !== undefined) status.collisionCount = prev.collisionCount
  let conds = prev.conditions ?? []
  const { maxUnavailable } = surgeAndUnavailable(d)
  conds = (status.availableReplicas ?? 0) >= replicas - maxUnavailable
    ? setCondition(conds, { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }, nowIso, true)
    : setCondition(conds, { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' }, nowIso, true)
  let recheckInMs: number | undefined
  const rsName = newRS?.metadata.name ?? ''
  const progressing = conds.find((c) => c.type === 'Progressing')
  const complete = status.updatedReplicas === replicas && status.replicas === replicas && status.availableReplicas === replicas
  if (d.spec.paused === true) {
    conds = setCondition(conds, { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' }, nowIso, true)
  } else if (inp.createdNewRS) {
    conds = setCondition(conds, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${rsName}"` }, nowIso)
  } else if (complete && newRS !== undefined) {
    conds = setCondition(conds, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` }, nowIso, true)
  } else if (newRS !== undefined && (progressing === undefined || progressing.reason === 'DeploymentPaused' || madeProgress(prev, status))) {
    conds = setCondition(conds, { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` }, nowIso)
  } else if (newRS !== undefined && progressing !== undefined && progressing.reason !== 'ProgressDeadlineExceeded' && progressing.reason !== 'NewReplicaSetAvailable') {
    const deadline = Date.parse(progressing.lastUpdateTime ?? nowIso) + (d.spec.progressDeadlineSeconds ?? 600) * 1000
    if (inp.nowMs >= deadline) {
      conds = setCondition(conds, { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName}" has timed out progressing.` }, nowIso)
    } else recheckInMs = deadline - inp.nowMs
  }
  const now = conds.find((c) => c.type === 'Progressing')
  if (recheckInMs === undefined && now?.status === 'True' && now.reason !== 'NewReplicaSetAvailable') {
    recheckInMs = Math.max(1, Date.parse(now.lastUpdateTime ?? nowIso) + (d.spec.progressDeadlineSeconds ?? 600) * 1000 - inp.nowMs)
  }
  status.conditions = conds
  return recheckInMs === undefined ? { status } : { status, recheckInMs }
}

/** Kubernetes' DeploymentProgressing: more updated, ready or available pods, or fewer old ones. */
function madeProgress (prev: DeploymentStatus, next: DeploymentStatus): boolean {
  const oldPods = (s: DeploymentStatus): number => (s.replicas ?? 0) - (s.updatedReplicas ?? 0)
  return (next.updatedReplicas ?? 0) > (prev.updatedReplicas ?? 0) ||
    (next.readyReplicas ?? 0) > (prev.readyReplicas ?? 0) ||
    (next.availableReplicas ?? 0) > (prev.availableReplicas ?? 0) ||
    oldPods(next) < oldPods(prev)
}
