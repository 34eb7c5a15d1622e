// Node lifecycle (a leader role): keeps each Node's Ready condition and NoExecute taints true
// to whether its agent is alive, and evicts the pods of nodes that stay tainted.
//
// Liveness costs no log writes: the leader hears from every member with every Raft heartbeat,
// and RoleContext.silenceOf says how long ago. A node whose agent is silent for the grace
// period (default 4 s) gets Ready=Unknown (status subresource, only on change) and the taint
// node.kubernetes.io/unreachable:NoExecute; once heard again the taint goes, and its kubelet
// rewrites Ready=True. A node heard whose kubelet says Ready=False gets
// node.kubernetes.io/not-ready:NoExecute until Ready is True again (node-lifecycle-node.ts).
// The pods of a silent node are marked Ready=False at once, so Services stop using them.
//
// Pods on a node with NoExecute taints are deleted once their toleration runs out (default
// 3 s after the taint was noticed; tolerationSeconds honoured; see node-lifecycle-eviction.ts),
// and the ReplicaSet controller replaces them elsewhere. The node's kubelet cannot be reached
// to stop them gracefully, so they are deleted for good (grace period 0), as Kubernetes' pod
// GC does for pods on unreachable nodes: the Pod objects go at once, while their containers
// keep running on the lost machine if it still runs at all (a crashed agent, a partition).
// When that agent comes back it replays the log, sees those pods deleted, and its kubelet
// removes every container whose pod (by uid) is no longer bound to its node — the kubelet owns
// that clean-up. The replacements have other names and uids, so no container is adopted by
// the wrong pod; during a partition old and new copies may run side by side until it heals,
// as in Kubernetes (a pod on a lost node is not fenced).
//
// A new leader never acts on silence it did not witness: for a grace period after gaining
// leadership it changes no node for being silent (a node already Unknown stays so until
// heard), and eviction deadlines count from when this leader noticed a taint. So a failover
// can delay an eviction, never cause a wave of them. Nodes without the flotilla.io/peer-id
// annotation belong to no agent (simulated nodes): their liveness is not judged, their taints
// follow their Ready condition as whoever posts it says, and their NoExecute taints are enforced.
//
// Deterministic: time comes from ctx.clock, liveness from ctx.silenceOf; reconciles are per
// node on a WorkQueue; after stop() nothing more is written.

import { peerIdOfNode } from '../agent/node-object.ts'
import type { Role, RoleContext } from '../agent/roles.ts'
import type { Taint } from '../objects/node.ts'
import type { ApplyResult, KObject, StoreCommand, WatchEvent } from '../store/types.ts'
import { inform, keyOf } from './informer.ts'
import { evictionTime } from './node-lifecycle-eviction.ts'
import { noExecuteTaints, podStatusNotReady, statusWhenSilent, taintsFor, type Verdict } from './node-lifecycle-node.ts'
import { scopedSignal } from './scoped-signal.ts'
import { WorkQueue } from './work-queue.ts'
import { EventRecorder } from './event-recorder.ts'

export interface NodeLifecycleOptions {
  /** An agent silent this long makes its Node Ready=Unknown and tainted unreachable. Default 4000 ms. */
  nodeGracePeriodMs?: number
  /** Pods not tolerating the unreachable / not-ready taint are evicted this long after it. Default 3000 ms. */
  podEvictionTimeoutMs?: number
  /** How often a silent node is checked for being heard again. Default 250 ms. */
  monitorPeriodMs?: number
}

export const DEFAULT_NODE_GRACE_PERIOD_MS = 4000
export const DEFAULT_POD_EVICTION_TIMEOUT_MS = 3000

const NODE = { group: '', kind: 'Node' }
const POD = { group: '', kind: 'Pod' }
/** Longest wait for one write; a stuck write is retried by the queue. */
const WRITE_TIMEOUT_MS = 10_000

export class NodeLifecycleController implements Role {
  /** NodeNotReady Events, as Kubernetes' node controller records them; one recorder per start. */
  private events: EventRecorder | undefined
  readonly name = 'node-lifecycle'
  private readonly graceMs: number
  private readonly evictionMs: number
  private readonly monitorMs: number
  private queue: WorkQueue | undefined
  private abort = new AbortController()
  private stopInformers: Array<() => void> = []
  private leadingSince = 0
  /** node → taint → clock time this leader first saw it; eviction deadlines count from there. */
  private readonly noticed = new Map<string, Map<string, number>>()
  /** Nodes this leadership recorded RegisteredNode for. */
  private readonly registered = new Set<string>()

  constructor (private readonly ctx: RoleContext, opts: NodeLifecycleOptions = {}) {
    this.graceMs = opts.nodeGracePeriodMs ?? DEFAULT_NODE_GRACE_PERIOD_MS
    this.evictionMs = opts.podEvictionTimeoutMs ?? DEFAULT_POD_EVICTION_TIMEOUT_MS
    this.monitorMs = opts.monitorPeriodMs ?? 250
  }

  start (): void {
    this.events = new EventRecorder({ backend: this.ctx.backend, clock: this.ctx.clock, component: 'node-controller', log: (line) => { this.ctx.log(`node lifecycle: ${line}`) } })
    this.leadingSince = this.ctx.clock.now()
    this.abort = new AbortController()
    this.noticed.clear()
    this.registered.clear()
    const signal = this.abort.signal
    const queue = new WorkQueue(async (name) => { await this.reconcile(name, signal) }, {
      clock: this.ctx.clock,
      baseDelayMs: 100,
      maxDelayMs: 5000,
      onError: (name, err, failures) => {
        // A write cut short by losing leadership is expected, not worth a line.
        if (!signal.aborted) this.ctx.log(`node lifecycle: node ${name} (attempt ${failures}): ${(err as Error).message}`)
      }
    })
    this.queue = queue
    queue.start()
    const reader = this.ctx.backend.reader
    this.stopInformers = [
      inform(reader, NODE, (e) => {
        this.registerNode(e)
        queue.add(keyOf(e.object))
      }),
      inform(reader, POD, (e) => { this.onPod(e, queue) })
    ]
  }

  async stop (): Promise<void> {
    this.abort.abort()
    for (const stop of this.stopInformers) stop()
    this.stopInformers = []
    await this.queue?.stop()
    this.queue = undefined
    await this.events?.stop()
    this.events = undefined
  }

  /**
   * RegisteredNode, once per Node per leadership, as Kubernetes' node controller records it
   * when it starts watching a Node (a new leader's notes count on the same Event).
   */
  private registerNode (e: WatchEvent): void {
    const name = e.object.metadata.name
    if (e.type === 'DELETED') {
      this.registered.delete(name)
      return
    }
    if (this.registered.has(name)) return
    this.registered.add(name)
    this.events?.record(e.object, 'Normal', 'RegisteredNode', `Node ${name} event: Registered Node ${name} in Controller`)
  }

  /** A pod (newly) bound to a node with NoExecute taints: that node's evictions need a look. */
  private onPod (e: WatchEvent, queue: WorkQueue): void {
    if (e.type === 'DELETED') return
    const nodeName = (e.object.spec as { nodeName?: unknown } | undefined)?.nodeName
    if (typeof nodeName !== 'string' || nodeName === '') return
    const node = this.ctx.backend.reader.get({ ...NODE, namespace: '', name: nodeName })
    if (node !== undefined && noExecuteTaints(node).length > 0) queue.add(nodeName)
  }

  private async reconcile (name: string, signal: AbortSignal): Promise<void> {
    const node = this.ctx.backend.reader.get({ ...NODE, namespace: '', name })
    if (node === undefined) {
      this.noticed.delete(name)
      return
    }
    const now = this.ctx.clock.now()
    const { verdict, recheckInMs } = this.judge(node, now)
    const stamp = this.ctx.backend.now()

    // One write per pass: its watch event queues the node again for the next step.
    if (verdict === 'silent') {
      const status = statusWhenSilent(node, stamp)
      if (status !== undefined) {
        this.ctx.log(`node lifecycle: node ${name} not heard from for ${this.graceMs / 1000} s or more: Ready=Unknown`)
        await this.write({ op: 'update', subresource: 'status', object: { ...node, status } }, name, signal)
        this.events?.record(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`)
        return
      }
    }
    const taints = taintsFor(node, verdict, stamp)
    if (taints !== undefined) {
      this.ctx.log(`node lifecycle: node ${name} taints now ${taints.map(describeTaint).join(', ') || 'none'}`)
      const spec = { ...(node.spec as Record<string, unknown> | undefined) }
      if (taints.length > 0) spec.taints = taints
      else delete spec.taints
      await this.write({ op: 'update', object: { ...node, spec } }, name, signal)
      return
    }
    if (verdict === 'silent' && await this.markPodsNotReady(name, stamp, signal)) return
    const nextEvictionInMs = await this.evict(node, now, signal)
    const wait = [recheckInMs, nextEvictionInMs].filter((x): x is number => x !== undefined)
    if (wait.length > 0 && !signal.aborted) this.queue?.addAfter(name, Math.min(...wait))
  }

  /** The verdict on a node's agent, and when to look again. */
  private judge (node: KObject, now: number): { verdict: Verdict, recheckInMs: number | undefined } {
    // The leader hears itself: its own node is alive as long as it leads.
    if (node.metadata.name === this.ctx.nodeName) return { verdict: 'heard', recheckInMs: undefined }
    const peer = peerIdOfNode(node)
    if (peer === undefined || peer === '') return { verdict: 'unjudged', recheckInMs: undefined }
    const silence = this.ctx.silenceOf(peer) ?? Infinity
    if (silence < this.graceMs) return { verdict: 'heard', recheckInMs: this.graceMs - silence }
    const leading = now - this.leadingSince
    if (leading < this.graceMs) return { verdict: 'pending', recheckInMs: this.graceMs - leading }
    return { verdict: 'silent', recheckInMs: this.monitorMs }
  }

  /** Set Ready=False on the pods of a silent node that still claim to be ready; true if it wrote. */
  private async markPodsNotReady (name: string, stamp: string, signal: AbortSignal): Promise<boolean> {
    const commands: StoreCommand[] = []
    for (const pod of this.podsOn(name)) {
      const status = podStatusNotReady(pod, stamp)
      if (status !== undefined) commands.push({ op: 'update', subresource: 'status', object: { ...pod, status } })
    }
    if (commands.length === 0) return false
    this.ctx.log(`node lifecycle: node ${name} is silent: ${commands.length} pod(s) on it marked not ready`)
    await this.write({ op: 'batch', commands }, name, signal)
    return true
  }

  private podsOn (name: string): KObject[] {
    return this.ctx.backend.reader.list(POD.group, POD.kind, undefined).items.filter((pod) => (pod.spec as { nodeName?: unknown } | undefined)?.nodeName === name)
  }

  /**
   * Delete the node's pods whose toleration of its NoExecute taints ran out; returns how long
   * until the next one does (undefined: none will).
   */
  private async evict (node: KObject, now: number, signal: AbortSignal): Promise<number | undefined> {
    const name = node.metadata.name
    const taints = noExecuteTaints(node)
    if (taints.length === 0) {
      this.noticed.delete(name)
      return undefined
    }
    const before = this.noticed.get(name)
    const noticed = new Map(taints.map((t) => [taintId(t), before?.get(taintId(t)) ?? now]))
    this.noticed.set(name, noticed)
    const timed = taints.map((taint) => ({ taint, noticedAt: noticed.get(taintId(taint)) ?? now }))

    const due: KObject[] = []
    let next: number | undefined
    for (const pod of this.podsOn(name)) {
      // Already deleted for good, held only by finalizers: nothing more to ask.
      if (pod.metadata.deletionTimestamp !== undefined && pod.metadata.deletionGracePeriodSeconds === 0) continue
      const at = evictionTime(pod, timed, this.evictionMs)
      if (at === undefined) continue
      if (at <= now) due.push(pod)
      else next = Math.min(next ?? Infinity, at - now)
    }
    if (due.length === 0) return next
    const stamp = this.ctx.backend.now()
    const commands: StoreCommand[] = due.map((pod) => {
      this.ctx.log(`node lifecycle: evicting pod ${keyOf(pod)} from node ${name} (${taints.map(describeTaint).join(', ')})`)
      return {
        op: 'delete',
        ref: { ...POD, namespace: pod.metadata.namespace ?? '', name: pod.metadata.name },
        preconditions: { uid: pod.metadata.uid ?? '' },
        deletionTimestamp: stamp,
        gracePeriodSeconds: 0
      }
    })
    await this.write({ op: 'batch', commands }, name, signal)
    return next
  }

  /**
   * Propose a write unless stopped, then look at the node again. A lost race (Conflict,
   * NotFound) is fine: the change that won brings the node back anyway. Any other refusal
   * throws, so the queue retries with back-off instead of spinning.
   */
  private async write (cmd: StoreCommand, name: string, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return
    const scope = scopedSignal(signal, WRITE_TIMEOUT_MS)
    let result: ApplyResult
    try {
      result = await this.ctx.backend.write(cmd, scope.signal)
    } finally {
      scope.release()
    }
    const refused = flatten(result).flatMap((r) => 'error' in r && r.error.reason !== 'Conflict' && r.error.reason !== 'NotFound' ? [r.error.message] : [])
    if (refused.length > 0) throw new NodeWriteRefusedError(`the store refused a write: ${refused.join('; ')}`)
    this.queue?.add(name)
  }
}

/** A write of this controller was refused for another reason than a lost race (retried with back-off). */
export class NodeWriteRefusedError extends Error {
  override readonly name = 'NodeWriteRefusedError'
}

function flatten (r: ApplyResult): ApplyResult[] {
  return 'results' in r ? r.results.flatMap(flatten) : [r]
}

function taintId (t: Taint): string {
  return `${t.key}=${t.value ?? ''}:${t.effect}`
}

function describeTaint (t: Taint): string {
  return `${t.key}${t.value !== undefined && t.value !== '' ? `=${t.value}` : ''}:${t.effect}`
}
