// The scheduler (a leader role): places every pod that has no spec.nodeName and is meant for
// the default scheduler onto a node, by writing spec.nodeName.
//
// It keeps its own picture of nodes and bound pods (cache.ts), fed by informers over the
// local replica. Work goes in rounds (round.ts): a round takes up to `maxBatch` pods off the
// active queue, places each against the cache — counting the pods placed earlier in the
// round, or in rounds still in flight, as assumed, so a node is never overcommitted — and
// proposes all the bindings and condition updates of the round as ONE batch command. Up to `maxInflight`
// rounds are in flight at once; pods that arrive meanwhile wait for the next round, so a
// burst of thousands of pods costs a handful of proposals (group commit).
//
// A pod that fits nowhere gets PodScheduled=False (reason Unschedulable, kube-scheduler's
// message) and waits until a Node is added or changes, or a bound pod goes away, finishes,
// moves or changes its labels; then every such pod is tried again (and, as a safety net, every
// `unschedulableFlushMs`). Its message is rewritten only when it changes, at most once a
// second (message-throttle.ts). A bound pod gets PodScheduled=True in a later round. Every write
// carries the resourceVersion it was decided on: on Conflict the pod is read and tried again;
// a pod deleted meanwhile is dropped.

import type { ApiBackend } from '../api/backend.ts'
import type { Role } from '../agent/roles.ts'
import type { CancelTimer, Clock } from '../controllers/clock.ts'
import { EventRecorder } from '../controllers/event-recorder.ts'
import { inform, keyOf } from '../controllers/informer.ts'
import type { Node } from '../objects/node.ts'
import type { Pod } from '../objects/pod.ts'
import type { ApplyResult, KObject, StoreCommand, WatchEvent } from '../store/types.ts'
import { SchedulerCache } from './cache.ts'
import { isOurs, waitsForScheduling } from './pod-info.ts'
import { MessageThrottle } from './message-throttle.ts'
import { podScheduledCondition } from './pod-writes.ts'
import { buildRound, type Item } from './round.ts'
import { Pump } from './pump.ts'
import { SchedulingQueue } from './scheduling-queue.ts'

export interface SchedulerOptions {
  /** Most pods tried in one round, and most commands (bindings, conditions) in its batch proposal: bounds the work between two yields to I/O (~10–25 ms at 100 nodes). Default 250. */
  maxBatch?: number
  /** Batch proposals in flight at once. Default 3. */
  maxInflight?: number
  /** First delay before retrying the pods of a batch whose write failed; doubles up to 30 s. Default 500 ms. */
  retryDelayMs?: number
  /** Unschedulable pods are also tried again this often, whatever happened. Default 5 min (kube-scheduler's). */
  unschedulableFlushMs?: number
  /** A pending pod's Unschedulable message is rewritten at most this often (message-throttle.ts). Default 1 s. */
  messageIntervalMs?: number
}

/** What the scheduler needs of its RoleContext. */
export interface SchedulerComponents {
  readonly backend: ApiBackend
  readonly clock: Clock
  log (line: string): void
}

const PODS = { group: '', kind: 'Pod' }
const NODES = { group: '', kind: 'Node' }
const MAX_RETRY_DELAY_MS = 30_000

export class Scheduler implements Role {
  readonly name = 'scheduler'
  private readonly backend: ApiBackend
  private readonly clock: Clock
  private readonly log: (line: string) => void
  private readonly maxBatch: number
  private readonly maxInflight: number
  private readonly retryDelayMs: number
  private readonly flushMs: number
  private cache = new SchedulerCache()
  private readonly queue = new SchedulingQueue()
  /** Pods bound by this scheduler (or found bound with PodScheduled=False) whose condition still says otherwise. */
  private readonly needScheduledCondition = new Set<string>()
  /** Keys with a write in a batch not yet answered; picked again only after the answer. */
  private readonly inFlight = new Set<string>()
  private readonly retryAfterAnswer = new Set<string>()
  /** generation and labels of each pending pod when last queued: other changes (our own condition writes) do not requeue it. */
  private readonly seen = new Map<string, string>()
  private stopInformers: Array<() => void> = []
  private timers = new Set<CancelTimer>()
  private flushTimer: CancelTimer | undefined
  private readonly throttle: MessageThrottle
  private running = false
  private readonly pump = new Pump(() => this.step(), () => this.isIdle())
  private batches = 0
  private failures = 0
  /** Scheduled / FailedScheduling Events, as kube-scheduler records them; one per start. */
  private events: EventRecorder | undefined

  constructor (c: SchedulerComponents, opts: SchedulerOptions = {}) {
    this.backend = c.backend
    this.clock = c.clock
    this.log = (line) => { c.log(line) }
    this.maxBatch = opts.maxBatch ?? 250
    this.maxInflight = opts.maxInflight ?? 3
    this.retryDelayMs = opts.retryDelayMs ?? 500
    this.flushMs = opts.unschedulableFlushMs ?? 5 * 60_000
    this.throttle = new MessageThrottle(this.clock, opts.messageIntervalMs ?? 1000, (keys) => {
      for (const key of keys) if (this.queue.isUnschedulable(key)) this.queue.add(key)
      this.schedulePump()
    })
  }

  start (): void {
    if (this.running) return
    this.running = true
    this.cache = new SchedulerCache()
    this.events = new EventRecorder({ backend: this.backend, clock: this.clock, component: 'default-scheduler', log: this.log })
    const onError = (what: string) => (e: WatchEvent): void => {
      try {
        if (what === 'node') this.onNode(e)
        else this.onPod(e)
      } catch (err) {
        this.log(`scheduler: ignoring ${what} ${e.object.metadata.name}: ${(err as Error).message}`)
      }
    }
    this.stopInformers = [inform(this.backend.reader, NODES, onError('node')), inform(this.backend.reader, PODS, onError('pod'))]
    this.schedulePump()
  }

  async stop (): Promise<void> {
    this.running = false
    for (const stop of this.stopInformers) stop()
    this.stopInformers = []
    for (const cancel of this.timers) cancel()
    this.timers.clear()
    this.flushTimer?.()
    this.flushTimer = undefined
    this.throttle.stop()
    this.queue.clear()
    this.needScheduledCondition.clear()
    this.retryAfterAnswer.clear()
    this.seen.clear()
    await this.idle()
    await this.events?.stop()
  }

  /** Resolves once no pod waits to be tried, no condition waits to be written and no batch is in flight. */
  async idle (): Promise<void> { await this.pump.idle() }

  /** Pods waiting for a change in the cluster. */
  get unschedulableCount (): number { return this.queue.unschedulableCount }

  private isIdle (): boolean {
    return this.batches === 0 && (!this.running || (this.queue.activeCount === 0 && this.pendingConditions() === 0))
  }

  private pendingConditions (): number {
    let n = 0
    for (const key of this.needScheduledCondition) if (!this.inFlight.has(key)) n++
    return n
  }

  private onNode (e: WatchEvent): void {
    const node = e.object as Node
    if (e.type === 'DELETED') this.cache.removeNode(node.metadata.name)
    else if (this.cache.upsertNode(node)) this.retryUnschedulable()
  }

  private onPod (e: WatchEvent): void {
    const pod = e.object as Pod
    const key = keyOf(pod)
    if (e.type === 'DELETED') {
      this.forgetPod(key)
      if (this.cache.removePod(key)) this.retryUnschedulable()
      return
    }
    if (this.cache.observePod(pod)) this.retryUnschedulable()
    if (!waitsForScheduling(pod)) {
      const bound = (pod.spec?.nodeName ?? '') !== ''
      this.queue.remove(key)
      this.throttle.forget(key)
      this.seen.delete(key)
      if (bound && isOurs(pod) && podScheduledCondition(pod)?.status === 'False') this.needScheduledCondition.add(key)
      if (this.needScheduledCondition.has(key)) this.schedulePump()
      return
    }
    const signature = `${pod.metadata.generation ?? 0}|${JSON.stringify(pod.metadata.labels ?? {})}`
    if (this.queue.has(key) && this.seen.get(key) === signature) return
    if (this.inFlight.has(key) && this.seen.get(key) === signature) return
    this.seen.set(key, signature)
    this.queue.add(key)
    this.schedulePump()
  }

  private forgetPod (key: string): void {
    this.queue.remove(key)
    this.throttle.forget(key)
    this.seen.delete(key)
    this.needScheduledCondition.delete(key)
  }

  private retryUnschedulable (): void {
    if (this.queue.moveAllToActive() > 0) this.schedulePump()
  }

  private schedulePump (): void {
    if (this.running) this.pump.kick()
    else this.pump.wake()
  }

  /** One round if there is room for a batch in flight; arms the unschedulable flush. True if it did work. */
  private step (): boolean {
    if (!this.running) return false
    if (this.batches < this.maxInflight && this.runRound()) return true
    if (this.queue.unschedulableCount > 0 && this.flushTimer === undefined) {
      this.flushTimer = this.clock.setTimeout(() => {
        this.flushTimer = undefined
        this.retryUnschedulable()
      }, this.flushMs)
    }
    return false
  }

  /** Build a round (round.ts) and propose its writes as one batch. False when there was nothing to do. */
  private runRound (): boolean {
    const round = buildRound({
      reader: this.backend.reader,
      cache: this.cache,
      queue: this.queue,
      throttle: this.throttle,
      needScheduledCondition: this.needScheduledCondition,
      inFlight: this.inFlight,
      retryAfterAnswer: this.retryAfterAnswer,
      log: this.log
    }, this.maxBatch, this.backend.now())
    if (round.commands.length === 0) return round.tried > 0
    for (const item of round.items) this.inFlight.add(item.key)
    this.batches++
    void this.propose(round.commands, round.items)
    return true
  }

  private async propose (commands: StoreCommand[], items: Item[]): Promise<void> {
    let results: ApplyResult[] | undefined
    let failure = ''
    try {
      const r = await this.backend.write({ op: 'batch', commands })
      if ('results' in r) results = r.results
      else failure = r.ok ? 'no results' : r.error.message
    } catch (err) {
      failure = (err as Error).message
    }
    if (!this.running) {
      // Stopped meanwhile (leadership lost): the next start reads everything afresh.
      for (const item of items) if (item.kind === 'bind') this.cache.forget(item.key)
    } else if (results === undefined) this.failedBatch(items, failure)
    else items.forEach((item, i) => { this.answered(item, results[i]) })
    for (const item of items) {
      this.inFlight.delete(item.key)
      if (this.retryAfterAnswer.delete(item.key) && this.running) this.queue.add(item.key)
    }
    this.batches--
    this.schedulePump()
  }

  private answered (item: Item, r: ApplyResult | undefined): void {
    if (r?.ok === true) {
      this.failures = 0
      if (item.kind === 'bind') this.needScheduledCondition.add(item.key)
      this.recordEvent(item, 'object' in r ? r.object : undefined)
      return
    }
    const reason = r?.ok === false ? r.error.reason : 'no result'
    if (item.kind === 'bind') this.cache.forget(item.key)
    if (reason === 'NotFound') {
      this.forgetPod(item.key)
      return
    }
    if (reason === 'Conflict') {
      // The pod changed since it was read: read it again and retry.
      if (item.kind === 'scheduled') this.needScheduledCondition.add(item.key)
      else this.queue.add(item.key)
      return
    }
    // Refused for good (Invalid, …): say so and wait for a change, not a retry storm.
    this.log(`scheduler: writing ${item.kind === 'bind' ? `the binding of pod ${item.key} to ${item.node}` : `the PodScheduled condition of pod ${item.key}`} was refused: ${r?.ok === false ? r.error.message : 'no result'}`)
    if (item.kind !== 'scheduled') this.queue.parkUnschedulable(item.key)
  }

  /** The Event a written binding or Unschedulable condition stands for. */
  private recordEvent (item: Item, pod: KObject | undefined): void {
    if (pod === undefined || this.events === undefined) return
    if (item.kind === 'bind') {
      this.events.record(pod, 'Normal', 'Scheduled', `Successfully assigned ${pod.metadata.namespace ?? 'default'}/${pod.metadata.name} to ${item.node}`)
    } else if (item.kind === 'unschedulable') {
      const condition = podScheduledCondition(pod as Pod)
      this.events.record(pod, 'Warning', 'FailedScheduling', typeof condition?.message === 'string' ? condition.message : 'no node fits the pod')
    }
  }

  private failedBatch (items: Item[], failure: string): void {
    for (const item of items) if (item.kind === 'bind') this.cache.forget(item.key)
    this.failures++
    const delay = Math.min(MAX_RETRY_DELAY_MS, this.retryDelayMs * 2 ** Math.min(this.failures - 1, 16))
    this.log(`scheduler: a batch of ${items.length} writes failed (${failure}); retrying its pods in ${delay} ms`)
    const cancel = this.clock.setTimeout(() => {
      this.timers.delete(cancel)
      for (const item of items) {
        if (item.kind === 'scheduled') this.needScheduledCondition.add(item.key)
        else this.queue.add(item.key)
      }
      this.schedulePump()
    }, delay)
    this.timers.add(cancel)
  }
}

/** The scheduler role for an agent. */
export function schedulerRole (c: SchedulerComponents, opts?: SchedulerOptions): Scheduler {
  return new Scheduler(c, opts)
}
