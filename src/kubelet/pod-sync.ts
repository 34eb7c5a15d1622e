// One level-triggered sync of one pod (by uid): read the pod from the local replica and what
// the runtime holds for it, converge, and report status. The cases, as the kubelet's SyncPod:
// - not bound here any more (deleted, or replaced while this node was away): an orphan; stop
//   and remove its containers and files.
// - marked for deletion: stop its containers with the grace period, remove them, then delete
//   the pod object for good (grace period 0, uid precondition).
// - Succeeded or Failed: nothing runs again.
// - otherwise: a running sandbox (new one if it died), then every container per restartPolicy,
//   with crash and image-pull back-off; a failed liveness/startup probe restarts a container.
// Waiting reasons live in memory per container and are part of the computed status.

import { podDns } from './pod-dns.ts'
import type { Container } from '../objects/pod-spec.ts'
import { defaultPullPolicy } from '../objects/pod-spec.ts'
import type { Pod } from '../objects/pod.ts'
import { Backoff, goDuration } from './backoff.ts'
import { ContainerConfigError, resolveEnv, resourceLimits } from './container-config.ts'
import { buildPodStatus, type Waiting } from './pod-status.ts'
import type { ProbeManager } from './probe-manager.ts'
import {
  CreateContainerError, ImagePullError, RuntimeUnavailableError,
  type ContainerRuntime, type PodIdentity, type PortMapping, type RuntimeContainer, type RuntimePod, type RuntimeSandbox
} from './runtime.ts'
import type { ObjectReader } from '../store/types.ts'
import { mountsOf, prepareVolumes, removePodDir } from './volumes.ts'

/** Grace period for orphans: their pod is gone, so nobody waits for a clean end. */
const ORPHAN_GRACE_SECONDS = 2

export interface PodSyncDeps {
  runtime: ContainerRuntime
  /** The local replica (ConfigMaps and Secrets for env and volumes). */
  reader: ObjectReader
  probes: ProbeManager
  nodeName: string
  nodeIp: string
  dataDir: string
  crashBackoff: Backoff
  pullBackoff: Backoff
  /** Monotonic milliseconds (the Clock). */
  now: () => number
  /** RFC 3339 timestamp for status fields. */
  timestamp: () => string
  /** Sync this pod again after `ms`. */
  requeue: (uid: string, ms: number) => void
  writeStatus: (pod: Pod, status: NonNullable<Pod['status']>) => void
  deletePod: (pod: Pod) => Promise<void>
  /** Records an Event about the pod (Created, Started, Killing, BackOff, Failed …), as the Kubernetes kubelet does. */
  event?: (pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string) => void
  log: (line: string) => void
}

function identity (pod: Pod): PodIdentity {
  return { uid: pod.metadata.uid ?? '', namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name }
}

export class PodSync {
  /** Waiting reasons by pod uid, then container name. */
  private readonly waiting = new Map<string, Map<string, Waiting>>()
  /** Containers (`uid/name`) whose image is missing with pull policy Never: they show ErrImageNeverPull, never a pull back-off. */
  private readonly neverPull = new Set<string>()

  constructor (private readonly d: PodSyncDeps) {}

  /** Converge the pod with this uid; `pod` is its current object if bound here. */
  async sync (uid: string, pod: Pod | undefined): Promise<void> {
    const [held] = await this.d.runtime.listPods(uid)
    if (pod === undefined) {
      if (held !== undefined) this.d.log(`kubelet: removing orphaned containers of pod ${held.namespace}/${held.name} (${uid}): not bound to this node any more`)
      await this.teardown(uid, held, ORPHAN_GRACE_SECONDS)
      return
    }
    if (pod.metadata.deletionTimestamp !== undefined) {
      const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30
      await this.teardown(uid, held, grace)
      await this.d.deletePod(pod)
      return
    }
    const phase = pod.status?.phase
    if (phase === 'Succeeded' || phase === 'Failed') {
      await this.stopAll(held, pod.spec.terminationGracePeriodSeconds ?? 30)
      return
    }
    await this.converge(pod, held)
    const [now] = await this.d.runtime.listPods(uid)
    this.report(pod, now)
  }

  /** Forget in-memory state of a pod that is gone. */
  private forget (uid: string): void {
    this.waiting.delete(uid)
    this.d.crashBackoff.forgetPrefix(`${uid}/`)
    this.d.pullBackoff.forgetPrefix(`${uid}/`)
    for (const key of this.neverPull) if (key.startsWith(`${uid}/`)) this.neverPull.delete(key)
    this.d.probes.forget(uid)
  }

  private async teardown (uid: string, held: RuntimePod | undefined, grace: number): Promise<void> {
    this.d.probes.forget(uid)
    if (held !== undefined) {
      await this.stopAll(held, grace)
      for (const c of held.containers) await this.d.runtime.removeContainer(c.id)
      for (const s of [held.sandbox, ...held.staleSandboxes]) if (s !== undefined) await this.d.runtime.removeContainer(s.id)
    }
    await removePodDir(this.d.dataDir, uid)
    this.forget(uid)
  }

  private async stopAll (held: RuntimePod | undefined, grace: number): Promise<void> {
    if (held === undefined) return
    await Promise.all(held.containers.filter((c) => c.state === 'running').map(async (c) => { await this.d.runtime.stopContainer(c.id, grace) }))
    if (held.sandbox?.running === true) await this.d.runtime.stopContainer(held.sandbox.id, 0)
  }

  private async converge (pod: Pod, held: RuntimePod | undefined): Promise<void> {
    const uid = identity(pod).uid
    const waiting = new Map<string, Waiting>()
    this.waiting.set(uid, waiting)
    for (const s of held?.staleSandboxes ?? []) await this.d.runtime.removeContainer(s.id)
    let sandbox: RuntimeSandbox
    try {
      sandbox = await this.ensureSandbox(pod, held)
    } catch (err) {
      if (err instanceof RuntimeUnavailableError) throw err
      // Shown as Kubernetes shows a FailedCreatePodSandBox: containers still ContainerCreating, with why.
      const message = `Failed to create pod sandbox: ${(err as Error).message}`
      for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) waiting.set(c.name, { reason: 'ContainerCreating', message })
      this.d.log(`kubelet: ${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}: ${message}`)
      this.d.requeue(uid, this.d.crashBackoff.note(`${uid}/#sandbox`, `fail@${this.d.now()}`, this.d.now(), false) - this.d.now())
      return
    }
    let volumes: Map<string, string>
    try {
      volumes = await prepareVolumes(this.d.reader, pod, this.d.dataDir)
    } catch (err) {
      if (!(err instanceof ContainerConfigError)) throw err
      for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) waiting.set(c.name, { reason: 'CreateContainerConfigError', message: err.message })
      this.d.requeue(uid, this.d.crashBackoff.baseMs)
      return
    }
    const runsOf = (name: string): RuntimeContainer[] => (held?.containers ?? []).filter((x) => x.name === name).sort((a, b) => b.attempt - a.attempt)
    // Init containers run one at a time, each to success, before any app container starts.
    for (const c of pod.spec.initContainers ?? []) {
      if (!await this.syncContainer(pod, sandbox, c, runsOf(c.name), volumes, waiting, true)) return
    }
    for (const c of pod.spec.containers) await this.syncContainer(pod, sandbox, c, runsOf(c.name), volumes, waiting, false)
  }

  private async ensureSandbox (pod: Pod, held: RuntimePod | undefined): Promise<RuntimeSandbox> {
    if (held?.sandbox?.running === true) return held.sandbox
    // No sandbox, or it died: its network is gone, so running containers must start over in a new one.
    if (held !== undefined) {
      await Promise.all(held.containers.filter((c) => c.state === 'running').map(async (c) => { await this.d.runtime.stopContainer(c.id, 0) }))
      if (held.sandbox !== undefined) await this.d.runtime.removeContainer(held.sandbox.id)
    }
    const ports: PortMapping[] = pod.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => ({
      containerPort: p.containerPort,
      protocol: p.protocol ?? 'TCP',
      hostPort: p.hostPort ?? 0,
      hostIP: p.hostIP ?? this.d.nodeIp
    })))
    return await this.d.runtime.runSandbox({ pod: identity(pod), hostname: pod.metadata.name.slice(0, 63), ports, hostNetwork: pod.spec.hostNetwork === true, dns: podDns(this.d.reader, pod) })
  }

  /** Converge one container; resolves true for an init container that has succeeded. */
  private async syncContainer (pod: Pod, sandbox: RuntimeSandbox, c: Container, mine: RuntimeContainer[], volumes: Map<string, string>, waiting: Map<string, Waiting>, init: boolean): Promise<boolean> {
    const id = identity(pod)
    const key = `${id.uid}/${c.name}`
    let latest = mine[0]
    // Keep the newest container and, while it runs, the one before it (its lastState).
    for (const old of mine.slice(latest?.state === 'running' ? 2 : 1)) await this.d.runtime.removeContainer(old.id)
    if (latest?.state === 'running') {
      const why = init ? undefined : this.d.probes.restartReason(latest.id)
      if (why === undefined) return false
      this.d.log(`kubelet: ${id.namespace}/${id.name}: ${why}`)
      this.d.event?.(pod, 'Normal', 'Killing', why, containerPath(pod, c))
      await this.d.runtime.stopContainer(latest.id, pod.spec.terminationGracePeriodSeconds ?? 30)
      const [after] = await this.d.runtime.listPods(id.uid)
      latest = after?.containers.find((x) => x.id === latest?.id) ?? latest
      if (latest.state === 'running') return false
    }
    if (latest !== undefined) {
      const policy = pod.spec.restartPolicy ?? 'Always'
      const failed = latest.state === 'created' || (latest.exitCode ?? 0) !== 0
      if (init && !failed) return true
      if (policy === 'Never' || (policy === 'OnFailure' && !failed)) return false
      const until = this.d.crashBackoff.note(key, latest.id, this.d.now(), true)
      const wait = until - this.d.now()
      if (wait > 0) {
        const delay = goDuration(this.d.crashBackoff.currentDelay(key))
        waiting.set(c.name, { reason: 'CrashLoopBackOff', message: `back-off ${delay} restarting failed container=${c.name} pod=${id.name}_${id.namespace}(${id.uid})` })
        this.d.event?.(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${id.name}_${id.namespace}(${id.uid})`, containerPath(pod, c))
        this.d.requeue(id.uid, wait)
        return false
      }
    }
    await this.start(pod, sandbox, c, (latest?.attempt ?? -1) + 1, volumes, waiting)
    return false
  }

  private async start (pod: Pod, sandbox: RuntimeSandbox, c: Container, attempt: number, volumes: Map<string, string>, waiting: Map<string, Waiting>): Promise<void> {
    const id = identity(pod)
    const key = `${id.uid}/${c.name}`
    const pulling = this.d.pullBackoff.peek(key, this.d.now())
    if (pulling !== undefined && this.neverPull.has(key)) {
      waiting.set(c.name, { reason: 'ErrImageNeverPull', message: pulling.message })
      this.d.requeue(id.uid, pulling.until - this.d.now())
      return
    }
    if (pulling !== undefined) {
      // The failure itself shows for a second (ErrImagePull), then the wait (ImagePullBackOff).
      const fresh = this.d.now() - pulling.at < 1000
      waiting.set(c.name, fresh ? { reason: 'ErrImagePull', message: pulling.message } : { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}": ${pulling.message}` })
      if (!fresh) {
        this.d.event?.(pod, 'Normal', 'BackOff', `Back-off pulling image "${c.image}"`, containerPath(pod, c))
        this.d.event?.(pod, 'Warning', 'Failed', 'Error: ImagePullBackOff', containerPath(pod, c))
      }
      this.d.requeue(id.uid, fresh ? 1000 : pulling.until - this.d.now())
      return
    }
    const failedStart = this.d.crashBackoff.peek(`${key}#create`, this.d.now())
    if (failedStart !== undefined) {
      waiting.set(c.name, { reason: 'CreateContainerError', message: failedStart.message })
      this.d.requeue(id.uid, failedStart.until - this.d.now())
      return
    }
    try {
      await this.pullImage(pod, c)
      this.d.pullBackoff.forget(key)
      this.neverPull.delete(key)
      const env = resolveEnv(this.d.reader, pod, c, pod.spec.hostNetwork === true ? this.d.nodeIp : sandbox.ip, this.d.nodeIp)
      const limits = resourceLimits(c)
      await this.d.runtime.runContainer(sandbox, {
        pod: id,
        name: c.name,
        attempt,
        image: c.image,
        ...(c.command !== undefined ? { command: c.command } : {}),
        ...(c.args !== undefined ? { args: c.args } : {}),
        env,
        ...(c.workingDir !== undefined ? { workingDir: c.workingDir } : {}),
        mounts: mountsOf(c, volumes),
        ...(limits.cpu !== undefined ? { cpuLimit: limits.cpu } : {}),
        ...(limits.memory !== undefined ? { memoryLimit: limits.memory } : {})
      })
      this.d.event?.(pod, 'Normal', 'Created', `Created container ${c.name}`, containerPath(pod, c))
      this.d.event?.(pod, 'Normal', 'Started', `Started container ${c.name}`, containerPath(pod, c))
    } catch (err) {
      if (err instanceof ImagePullError) {
        const until = this.d.pullBackoff.note(key, `pull@${this.d.now()}`, this.d.now(), false, err.message)
        waiting.set(c.name, { reason: err.reason, message: err.message })
        if (err.reason === 'ErrImageNeverPull') {
          this.neverPull.add(key)
          this.d.event?.(pod, 'Warning', 'ErrImageNeverPull', err.message, containerPath(pod, c))
        } else {
          this.d.event?.(pod, 'Warning', 'Failed', err.message.startsWith('Failed to pull image') ? err.message : `Failed to pull image "${c.image}": ${err.message}`, containerPath(pod, c))
        }
        this.d.event?.(pod, 'Warning', 'Failed', `Error: ${err.reason}`, containerPath(pod, c))
        // Show ErrImagePull briefly, then ImagePullBackOff until the next try, as kubectl users know it.
        this.d.requeue(id.uid, Math.min(1000, until - this.d.now()))
      } else if (err instanceof ContainerConfigError) {
        waiting.set(c.name, { reason: 'CreateContainerConfigError', message: err.message })
        this.d.event?.(pod, 'Warning', 'Failed', `Error: ${err.message}`, containerPath(pod, c))
        this.d.requeue(id.uid, this.d.crashBackoff.baseMs)
      } else if (err instanceof CreateContainerError) {
        // A container that cannot start (no such command, bad mount) is retried with the crash back-off.
        waiting.set(c.name, { reason: 'CreateContainerError', message: err.message })
        this.d.event?.(pod, 'Warning', 'Failed', `Error: ${err.message}`, containerPath(pod, c))
        this.d.requeue(id.uid, this.d.crashBackoff.note(`${key}#create`, `fail@${this.d.now()}`, this.d.now(), false, err.message) - this.d.now())
      } else {
        throw err
      }
    }
  }

  /**
   * The image per the container's pull policy, with the kubelet's Events: Pulled `already
   * present on machine` when it is there and the policy lets it be used; else Pulling, then
   * Pulled with how long it took (or the pull error, thrown for the caller to record). Presence
   * is asked with policy Never, which pulls nothing.
   */
  private async pullImage (pod: Pod, c: Container): Promise<void> {
    const policy = c.imagePullPolicy ?? defaultPullPolicy(c.image)
    if (policy !== 'Always') {
      try {
        await this.d.runtime.ensureImage(c.image, 'Never')
        this.d.event?.(pod, 'Normal', 'Pulled', `Container image "${c.image}" already present on machine`, containerPath(pod, c))
        return
      } catch (err) {
        if (!(err instanceof ImagePullError) || err.reason !== 'ErrImageNeverPull' || policy === 'Never') throw err
      }
    }
    this.d.event?.(pod, 'Normal', 'Pulling', `Pulling image "${c.image}"`, containerPath(pod, c))
    const started = this.d.now()
    await this.d.runtime.ensureImage(c.image, policy)
    const took = formatPullDuration(this.d.now() - started)
    this.d.event?.(pod, 'Normal', 'Pulled', `Successfully pulled image "${c.image}" in ${took} (${took} including waiting)`, containerPath(pod, c))
  }

  private report (pod: Pod, held: RuntimePod | undefined): void {
    const uid = identity(pod).uid
    const running = (held?.containers ?? []).filter((c) => c.state === 'running')
    const ip = held?.sandbox?.running !== true ? '' : pod.spec.hostNetwork === true ? this.d.nodeIp : held.sandbox.ip
    this.d.probes.sync(uid, running.flatMap((rc) => {
      const container = pod.spec.containers.find((c) => c.name === rc.name)
      return container === undefined ? [] : [{ containerId: rc.id, container, podIP: ip }]
    }))
    const status = buildPodStatus({
      pod,
      runtime: held,
      waiting: this.waiting.get(uid) ?? new Map(),
      ready: (id) => this.d.probes.ready(id),
      started: (id) => this.d.probes.started(id),
      hostIP: this.d.nodeIp,
      now: this.d.timestamp()
    })
    this.d.writeStatus(pod, status)
  }
}

/** A pull's duration as the kubelet prints it (Go's time.Duration): `850ms`, `1.234s`. */
export function formatPullDuration (ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`
  return `${String(Number((ms / 1000).toFixed(3)))}s`
}

/** The involvedObject.fieldPath of a container's Events, as the Kubernetes kubelet sets it: `spec.containers{app}`. */
export function containerPath (pod: Pod, c: Container): string {
  const init = (pod.spec.initContainers ?? []).some((i) => i.name === c.name)
  return `spec.${init ? 'initContainers' : 'containers'}{${c.name}}`
}
