// The one-word pod status kubectl shows in its STATUS column (Running, Pending,
// ContainerCreating, CrashLoopBackOff, Init:1/2, Completed, Terminating, ...), computed from
// phase, container states and deletionTimestamp the way kube-apiserver's pod printer does;
// also READY and RESTARTS. Shared by the API's Tables and the CLI's own tables.

import type { PrintableObject as KObject } from './printable.ts'

interface ContainerState {
  waiting?: { reason?: string }
  running?: { startedAt?: string }
  terminated?: { reason?: string, exitCode?: number, signal?: number, finishedAt?: string }
}

export interface ContainerStatus {
  name?: string
  ready?: boolean
  restartCount?: number
  image?: string
  state?: ContainerState
  lastState?: ContainerState
}

export interface PodShape {
  spec?: { containers?: Array<{ name?: string }>, initContainers?: Array<{ name?: string }>, nodeName?: string, readinessGates?: Array<{ conditionType?: string }> }
  status?: {
    phase?: string
    nominatedNodeName?: string
    conditions?: Array<{ type?: string, status?: string }>
    reason?: string
    podIP?: string
    containerStatuses?: ContainerStatus[]
    initContainerStatuses?: ContainerStatus[]
  }
}

function terminatedReason (t: NonNullable<ContainerState['terminated']>, prefix: string): string {
  if (t.reason !== undefined && t.reason !== '') return prefix + t.reason
  if (t.signal !== undefined && t.signal !== 0) return `${prefix}Signal:${t.signal}`
  return `${prefix}ExitCode:${t.exitCode ?? 0}`
}

export function podStatus (obj: KObject): string {
  const pod = obj as PodShape
  const status = pod.status ?? {}
  let reason = status.reason !== undefined && status.reason !== '' ? status.reason : (status.phase ?? 'Pending')

  let initializing = false
  const inits = status.initContainerStatuses ?? []
  const initTotal = pod.spec?.initContainers?.length ?? inits.length
  inits.forEach((c, i) => {
    if (initializing) return
    const t = c.state?.terminated
    if (t !== undefined && t.exitCode === 0) return
    initializing = true
    if (t !== undefined) reason = terminatedReason(t, 'Init:')
    else if (c.state?.waiting?.reason !== undefined && c.state.waiting.reason !== 'PodInitializing') reason = `Init:${c.state.waiting.reason}`
    else reason = `Init:${i}/${initTotal}`
  })

  if (!initializing) {
    let hasRunning = false
    const containers = [...(status.containerStatuses ?? [])].reverse()
    for (const c of containers) {
      const w = c.state?.waiting
      const t = c.state?.terminated
      if (w?.reason !== undefined && w.reason !== '') reason = w.reason
      else if (t !== undefined) reason = terminatedReason(t, '')
      else if (c.state?.running !== undefined && c.ready === true) hasRunning = true
    }
    if (reason === 'Completed' && hasRunning) reason = 'Running'
  }

  if (obj.metadata?.deletionTimestamp !== undefined) reason = status.reason === 'NodeLost' ? 'Unknown' : 'Terminating'
  return reason
}

/** `ready/total` containers. */
export function podReady (obj: KObject): string {
  const pod = obj as PodShape
  const statuses = pod.status?.containerStatuses ?? []
  const total = pod.spec?.containers?.length ?? statuses.length
  return `${statuses.filter(c => c.ready === true).length}/${total}`
}

/** Total restarts, plus how long ago the last one ended when known: `2 (5m ago)`. */
export function podRestarts (obj: KObject, since: (ts: string) => string): string {
  const statuses = (obj as PodShape).status?.containerStatuses ?? []
  const restarts = statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0)
  let last: string | undefined
  for (const c of statuses) {
    const f = c.lastState?.terminated?.finishedAt
    if (f !== undefined && (last === undefined || f > last)) last = f
  }
  return restarts > 0 && last !== undefined ? `${restarts} (${since(last)} ago)` : String(restarts)
}

/** READINESS GATES: `<none>` without gates, else how many of them have a True condition, of how many (`1/2`). */
export function podReadinessGates (obj: KObject): string {
  const pod = obj as PodShape
  const gates = Array.isArray(pod.spec?.readinessGates) ? pod.spec.readinessGates : []
  if (gates.length === 0) return '<none>'
  const conditions = Array.isArray(pod.status?.conditions) ? pod.status.conditions : []
  const met = gates.filter((g) => conditions.some((c) => c.type === g.conditionType && c.status === 'True')).length
  return `${met}/${gates.length}`
}
