// The kubelet role (every agent): runs the pods bound to this node through its
// ContainerRuntime and reports their status and the Node's. Pods are synced by uid in a
// level-triggered work queue; keys come from the informer (pods with spec.nodeName == this
// node), from a relist of the runtime every second (a container exited, or something of a pod
// no longer bound here: an orphan), from probe results and from back-off timers.

import type { ApiBackend } from '../api/backend.ts'
import type { Clock, CancelTimer } from '../controllers/clock.ts'
import { inform, keyOf, splitKey } from '../controllers/informer.ts'
import { WorkQueue } from '../controllers/work-queue.ts'
import { EventRecorder } from '../controllers/event-recorder.ts'
import type { Pod } from '../objects/pod.ts'
import { Backoff, type BackoffOptions } from './backoff.ts'
import { NodeStatusReporter } from './node-status.ts'
import { LocalPodIo, type PodIo } from './pod-io.ts'
import { PodSync } from './pod-sync.ts'
import { ProbeManager } from './probe-manager.ts'
import { runtimeProber, type Prober } from './prober.ts'
import { RuntimeUnavailableError, type ContainerRuntime } from './runtime.ts'
import { PodStatusWriter } from './status-writer.ts'

export interface KubeletOptions {
  backend: ApiBackend
  runtime: ContainerRuntime
  clock: Clock
  nodeName: string
  nodeIp: string
  /** Pod volumes go under DIR/pods/<uid>. */
  dataDir: string
  log: (line: string) => void
  /** Crash-loop back-off. Default 10 s doubling to 5 min. */
  crashBackoff?: BackoffOptions
  /** Image pull back-off. Default 10 s doubling to 5 min. */
  pullBackoff?: BackoffOptions
  /** How often the runtime is relisted to notice exits and orphans. Default 1 s. */
  relistMs?: number
  /** How often the runtime's health is checked for the Node's Ready condition. Default 5 s. */
  nodeStatusMs?: number
  /** Pods synced at once (a graceful stop can take its whole grace period). Default 8. */
  concurrency?: number
  /** Runs probes; default: exec through the runtime, HTTP and TCP to the pod IP. */
  prober?: Prober
}

export class Kubelet {
  readonly name = 'kubelet'
  /** Logs and exec of the containers this kubelet runs. */
  readonly io: PodIo
  /** Pods bound here: uid → namespace/name. */
  private readonly bound = new Map<string, string>()
  private readonly queue: WorkQueue
  private readonly probes: ProbeManager
  private readonly podSync: PodSync
  private readonly statuses: PodStatusWriter
  private readonly nodeStatus: NodeStatusReporter
  private readonly relistMs: number
  private stopInformer: (() => void) | undefined
  private cancelRelist: CancelTimer = () => {}
  private fingerprints = new Map<string, string>()
  private running = false
  /** The kubelet's Events (component kubelet, source.host this node); one per start. */
  private events: EventRecorder | undefined
  /**
   * Whether the local replica has caught up with the cluster since start (a read barrier
   * passed). Until then a pod missing from it may only be late, so nothing is an orphan yet.
   */
  private caughtUp = false
  private relisting = false
  private runtimeDown = false

  constructor (private readonly o: KubeletOptions) {
    this.relistMs = o.relistMs ?? 1000
    this.io = new LocalPodIo(o.backend.reader, o.runtime)
    this.queue = new WorkQueue(async (uid) => { await this.syncPod(uid) }, {
      clock: o.clock,
      concurrency: o.concurrency ?? 8,
      baseDelayMs: 500,
      maxDelayMs: 10_000,
      onError: (uid, err, failures) => {
        if (err instanceof RuntimeUnavailableError) this.runtimeUnavailable()
        else if (failures === 1 || failures % 10 === 0) o.log(`kubelet: sync of pod ${this.bound.get(uid) ?? uid} failed (will retry): ${(err as Error).message}`)
      }
    })
    this.probes = new ProbeManager(o.clock, o.prober ?? runtimeProber(o.runtime), (uid) => { this.queue.add(uid) }, (uid, kind, message) => {
      // Kubernetes' kubelet: an Unhealthy Event per failed probe (repeats are counted on one Event).
      const key = this.bound.get(uid)
      const pod = key === undefined ? undefined : o.backend.reader.get({ group: '', kind: 'Pod', ...splitKey(key) })
      if (pod !== undefined) this.events?.record(pod, 'Warning', 'Unhealthy', `${kind[0]?.toUpperCase() ?? ''}${kind.slice(1)} probe failed: ${message}`)
    })
    this.statuses = new PodStatusWriter(o.backend, (uid) => { this.queue.addAfter(uid, 1000) }, o.log)
    this.podSync = new PodSync({
      runtime: o.runtime,
      reader: o.backend.reader,
      probes: this.probes,
      nodeName: o.nodeName,
      nodeIp: o.nodeIp,
      dataDir: o.dataDir,
      crashBackoff: new Backoff(o.crashBackoff),
      pullBackoff: new Backoff(o.pullBackoff),
      now: () => o.clock.now(),
      timestamp: () => o.backend.now(),
      requeue: (uid, ms) => { this.queue.addAfter(uid, ms) },
      writeStatus: (pod, status) => { this.statuses.set(pod, status) },
      deletePod: async (pod) => { await this.deletePod(pod) },
      event: (pod, type, reason, message, fieldPath) => { this.events?.record(pod, type, reason, message, fieldPath) },
      log: o.log
    })
    this.nodeStatus = new NodeStatusReporter({
      backend: o.backend,
      runtime: o.runtime,
      clock: o.clock,
      nodeName: o.nodeName,
      nodeIp: o.nodeIp,
      log: o.log,
      event: (node, type, reason, message) => { this.events?.record(node, type, reason, message) },
      ...(o.nodeStatusMs !== undefined ? { periodMs: o.nodeStatusMs } : {})
    })
  }

  start (): void {
    this.running = true
    this.events = new EventRecorder({ backend: this.o.backend, clock: this.o.clock, component: 'kubelet', host: this.o.nodeName, log: this.o.log })
    this.queue.start()
    this.stopInformer = inform(this.o.backend.reader, { group: '', kind: 'Pod' }, (e) => {
      const uid = e.object.metadata.uid ?? ''
      if (e.type === 'MODIFIED' && this.statuses.isEcho(e.object)) return
      if (e.type === 'DELETED') {
        this.bound.delete(uid)
        this.statuses.forget(uid)
      } else {
        this.bound.set(uid, keyOf(e.object))
      }
      this.queue.add(uid)
    }, { fieldSelector: `spec.nodeName=${this.o.nodeName}` })
    this.nodeStatus.start()
    this.scheduleRelist(0)
    this.catchUp()
  }

  private catchUp (): void {
    this.o.backend.linearize(AbortSignal.timeout(10_000)).then(() => {
      this.caughtUp = true
    }, () => {
      if (this.running) this.o.clock.setTimeout(() => { this.catchUp() }, 2000)
    })
  }

  async stop (): Promise<void> {
    this.running = false
    this.stopInformer?.()
    this.cancelRelist()
    this.probes.stop()
    await this.nodeStatus.stop()
    // A sync stuck on a hung runtime must not hold the agent's shutdown for ever.
    let cancel: CancelTimer = () => {}
    const stuck = new Promise<void>((resolve) => { cancel = this.o.clock.setTimeout(() => { this.o.log('kubelet: stopped without waiting for syncs stuck on the container runtime'); resolve() }, 10_000) })
    await Promise.race([this.queue.stop().then(async () => { await this.statuses.flushed() }), stuck])
    cancel()
    await this.events?.stop()
  }

  /** Resolves once no sync is queued or running and statuses are written (tests). */
  async idle (): Promise<void> {
    for (let i = 0; i < 3; i++) {
      await this.queue.idle()
      await this.statuses.flushed()
      while (this.relisting) await new Promise((resolve) => setImmediate(resolve))
    }
  }

  private async syncPod (uid: string): Promise<void> {
    const key = this.bound.get(uid)
    let pod: Pod | undefined
    if (key !== undefined) {
      const { namespace, name } = splitKey(key)
      const obj = this.o.backend.reader.get({ group: '', kind: 'Pod', namespace, name }) as Pod | undefined
      if (obj?.metadata.uid === uid && obj.spec.nodeName === this.o.nodeName) pod = obj
    }
    if (pod === undefined && !this.caughtUp) {
      this.queue.addAfter(uid, 1000)
      return
    }
    await this.podSync.sync(uid, pod)
    if (this.runtimeDown) {
      this.runtimeDown = false
      this.nodeStatus.poke(true)
    }
  }

  private runtimeUnavailable (): void {
    if (this.runtimeDown) return
    this.runtimeDown = true
    this.nodeStatus.poke(true)
  }

  private async deletePod (pod: Pod): Promise<void> {
    const r = await this.o.backend.write({
      op: 'delete',
      ref: { group: '', kind: 'Pod', namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name },
      preconditions: { uid: pod.metadata.uid ?? '' },
      deletionTimestamp: this.o.backend.now(),
      gracePeriodSeconds: 0
    })
    if ('error' in r && r.error.reason !== 'NotFound' && r.error.reason !== 'Conflict') throw new Error(`cannot delete pod ${pod.metadata.name}: ${r.error.message}`)
  }

  private scheduleRelist (ms: number): void {
    if (!this.running) return
    this.cancelRelist = this.o.clock.setTimeout(() => { void this.relist() }, ms)
  }

  /** Sync the pods whose containers changed, and every uid the runtime holds that is not bound here (orphans). */
  private async relist (): Promise<void> {
    this.relisting = true
    try {
      const next = await this.o.runtime.fingerprints()
      for (const [uid, print] of next) {
        if (this.fingerprints.get(uid) !== print || !this.bound.has(uid)) this.queue.add(uid)
      }
      this.fingerprints = next
      if (this.runtimeDown) {
        // The runtime answers again: sync everything (pods may have been waiting for it).
        this.runtimeDown = false
        this.nodeStatus.poke(true)
        for (const uid of this.bound.keys()) this.queue.add(uid)
      }
    } catch (err) {
      if (err instanceof RuntimeUnavailableError) this.runtimeUnavailable()
      else this.o.log(`kubelet: relist failed: ${(err as Error).message}`)
    } finally {
      this.relisting = false
      this.scheduleRelist(this.relistMs)
    }
  }
}
