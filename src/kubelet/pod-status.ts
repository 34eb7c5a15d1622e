// A pod's status as the kubelet reports it, computed from what the runtime holds, the waiting
// reasons of the last sync (image pulls, back-offs, config errors) and the probe results.
// Pure: the same inputs give the same status, and transition times are kept from the previous
// status while a condition does not change, so an unchanged pod writes nothing.

import type { ContainerState, ContainerStatus, Pod, PodCondition, PodPhase, PodStatus } from '../objects/pod.ts'
import type { RuntimeContainer, RuntimePod } from './runtime.ts'

export interface Waiting { reason: string, message?: string }

export interface StatusInputs {
  pod: Pod
  runtime: RuntimePod | undefined
  /** Why a container is not running now, by container name (set by the sync). */
  waiting: ReadonlyMap<string, Waiting>
  ready: (containerId: string) => boolean
  started: (containerId: string) => boolean
  hostIP: string
  /** RFC 3339 now, for new transitions and startTime. */
  now: string
}

const containerID = (c: RuntimeContainer): string => `docker://${c.id}`

function terminated (c: RuntimeContainer): ContainerState {
  return {
    terminated: {
      exitCode: c.exitCode ?? 0,
      reason: c.reason ?? ((c.exitCode ?? 0) === 0 ? 'Completed' : 'Error'),
      ...(c.startedAt !== undefined ? { startedAt: c.startedAt } : {}),
      ...(c.finishedAt !== undefined ? { finishedAt: c.finishedAt } : {}),
      containerID: containerID(c)
    }
  }
}

function containerStatus (name: string, image: string, inputs: StatusInputs, notStarted = 'ContainerCreating'): ContainerStatus {
  const mine = (inputs.runtime?.containers ?? []).filter((c) => c.name === name).sort((a, b) => b.attempt - a.attempt)
  const latest = mine[0]
  const waiting = inputs.waiting.get(name)
  const status: ContainerStatus = { name, image, imageID: '', ready: false, restartCount: latest?.attempt ?? 0, started: false, state: {}, lastState: {} }
  if (latest === undefined) {
    status.state = { waiting: { reason: waiting?.reason ?? notStarted, ...(waiting?.message !== undefined ? { message: waiting.message } : {}) } }
    return status
  }
  status.imageID = latest.imageID
  status.containerID = containerID(latest)
  if (latest.state === 'running' && waiting === undefined) {
    status.state = { running: { startedAt: latest.startedAt ?? inputs.now } }
    status.started = inputs.started(latest.id)
    status.ready = inputs.ready(latest.id)
    const previous = mine[1]
    if (previous !== undefined && previous.state === 'exited') status.lastState = terminated(previous)
    return status
  }
  if (waiting !== undefined) {
    status.state = { waiting: { reason: waiting.reason, ...(waiting.message !== undefined ? { message: waiting.message } : {}) } }
    if (latest.state === 'exited') status.lastState = terminated(latest)
    return status
  }
  status.state = terminated(latest)
  const previous = mine[1]
  if (previous !== undefined && previous.state === 'exited') status.lastState = terminated(previous)
  return status
}

function phaseOf (pod: Pod, statuses: ContainerStatus[]): PodPhase {
  const policy = pod.spec.restartPolicy ?? 'Always'
  if (statuses.some((s) => s.state?.waiting !== undefined && s.lastState?.terminated === undefined && s.restartCount === 0)) return 'Pending'
  if (statuses.some((s) => s.state?.running !== undefined)) return 'Running'
  // Every container has run and none runs now: done, unless the policy restarts them.
  const exits = statuses.map((s) => (s.state?.terminated ?? s.lastState?.terminated)?.exitCode ?? 0)
  const waitingToRestart = statuses.some((s) => s.state?.waiting !== undefined)
  if (policy === 'Always' || waitingToRestart) return 'Running'
  if (exits.every((e) => e === 0)) return 'Succeeded'
  return policy === 'Never' ? 'Failed' : 'Running'
}

function condition (previous: PodCondition[] | undefined, type: string, ok: boolean, now: string, reason?: string): PodCondition {
  const status = ok ? 'True' : 'False'
  const before = previous?.find((c) => c.type === type)
  const c: PodCondition = {
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime: before !== undefined && before.status === status && before.lastTransitionTime !== undefined ? before.lastTransitionTime : now
  }
  if (!ok && reason !== undefined) c.reason = reason
  return c
}

const KUBELET_CONDITIONS = new Set(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'])

/** The status the kubelet wants the pod to show. */
export function buildPodStatus (inputs: StatusInputs): PodStatus {
  const { pod, now } = inputs
  const previous = pod.status ?? {}
  // An init container is done (and ready) once it exited 0; app containers wait for all of them.
  const inits = (pod.spec.initContainers ?? []).map((c) => {
    const s = containerStatus(c.name, c.image, inputs)
    s.ready = s.state?.terminated?.exitCode === 0
    return s
  })
  const initialized = inits.every((s) => s.ready)
  const statuses = pod.spec.containers.map((c) => containerStatus(c.name, c.image, inputs, initialized ? 'ContainerCreating' : 'PodInitializing'))
  const allReady = initialized && statuses.length > 0 && statuses.every((s) => s.ready)
  const initFailed = inits.some((s) => (s.state?.terminated?.exitCode ?? 0) !== 0)
  const phase = initialized ? phaseOf(pod, statuses) : initFailed && pod.spec.restartPolicy === 'Never' ? 'Failed' : 'Pending'
  const notReady = phase === 'Succeeded' || phase === 'Failed' ? 'PodCompleted' : 'ContainersNotReady'
  const conds = previous.conditions
  const initCondition = condition(conds, 'Initialized', initialized, now, 'ContainersNotInitialized')
  if (!initialized) initCondition.message = `containers with incomplete status: [${inits.filter((s) => !s.ready).map((s) => s.name).join(' ')}]`
  const conditions: PodCondition[] = [
    // As Kubernetes 1.29+: the sandbox (network and all) is up, so containers can start.
    condition(conds, 'PodReadyToStartContainers', inputs.runtime?.sandbox?.running === true, now),
    initCondition,
    condition(conds, 'Ready', allReady, now, notReady),
    condition(conds, 'ContainersReady', allReady, now, notReady),
    condition(conds, 'PodScheduled', true, now),
    // Conditions others own (DisruptionTarget, readiness gates, …) stay as they are.
    ...(conds ?? []).filter((c) => !KUBELET_CONDITIONS.has(c.type))
  ]
  if (!allReady) {
    const names = statuses.filter((s) => !s.ready).map((s) => s.name).join(' ')
    for (const c of conditions.slice(2, 4)) if (c.reason === 'ContainersNotReady') c.message = `containers with unready status: [${names}]`
  }
  // A hostNetwork pod has the node's IP, as in Kubernetes.
  const own = pod.spec.hostNetwork === true ? inputs.hostIP : inputs.runtime?.sandbox?.ip ?? ''
  const ip = inputs.runtime?.sandbox?.running === true ? own : previous.podIP ?? ''
  const status: PodStatus = {
    phase,
    conditions,
    hostIP: inputs.hostIP,
    startTime: previous.startTime ?? now,
    containerStatuses: statuses
  }
  if (inits.length > 0) status.initContainerStatuses = inits
  if (ip !== '') {
    status.podIP = ip
    status.podIPs = [{ ip }]
  }
  if (previous.qosClass !== undefined) status.qosClass = previous.qosClass
  return status
}
