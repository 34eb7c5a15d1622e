// One round of the scheduler: take up to `maxBatch` pods off the active queue, place each
// against the cache (a placed pod is assumed at once, so the next one in the round sees its
// node fuller), park those that fit nowhere, and collect the writes this needs — bindings,
// Unschedulable conditions, then PodScheduled=True for pods bound earlier — for ONE batch
// proposal. The work is bounded by pods tried, not writes made, so retrying thousands of pods
// that still fit nowhere also yields to I/O every `maxBatch` pods.

import { splitKey } from '../controllers/informer.ts'
import type { Pod } from '../objects/pod.ts'
import type { ObjectReader, StoreCommand } from '../store/types.ts'
import type { SchedulerCache } from './cache.ts'
import type { MessageThrottle } from './message-throttle.ts'
import { podInfoOf, waitsForScheduling, type PodInfo } from './pod-info.ts'
import { bindCommand, podScheduledCondition, REASON_UNSCHEDULABLE, scheduledCommand, unschedulableCommand } from './pod-writes.ts'
import { scheduleOne, type Placement } from './schedule-one.ts'
import type { SchedulingQueue } from './scheduling-queue.ts'

/** What one command of a batch is for, to act on its result. */
export type Item =
  | { readonly kind: 'bind', readonly key: string, readonly node: string }
  | { readonly kind: 'unschedulable' | 'scheduled', readonly key: string }

/** The scheduler's state a round reads and updates. */
export interface RoundState {
  readonly reader: ObjectReader
  readonly cache: SchedulerCache
  readonly queue: SchedulingQueue
  readonly throttle: MessageThrottle
  /** Bound pods whose PodScheduled=True is still to be written. */
  readonly needScheduledCondition: Set<string>
  /** Keys with a write in a batch not yet answered. */
  readonly inFlight: ReadonlySet<string>
  /** Keys picked while their write was in flight: queued again once it is answered. */
  readonly retryAfterAnswer: Set<string>
  log (line: string): void
}

export interface Round {
  readonly commands: StoreCommand[]
  readonly items: Item[]
  /** Pods taken off the active queue. */
  readonly tried: number
}

const PODS = { group: '', kind: 'Pod' }

export function buildRound (s: RoundState, maxBatch: number, now: string): Round {
  const commands: StoreCommand[] = []
  const items: Item[] = []
  const keys = s.queue.take(maxBatch)
  for (const key of keys) tryPod(s, key, now, commands, items)
  for (const key of s.needScheduledCondition) {
    if (commands.length >= maxBatch) break
    if (s.inFlight.has(key)) continue
    s.needScheduledCondition.delete(key)
    const pod = s.reader.get({ ...PODS, ...splitKey(key) }) as Pod | undefined
    if (pod === undefined || (pod.spec?.nodeName ?? '') === '') continue
    const cmd = scheduledCommand(pod, now)
    if (cmd === undefined) continue
    commands.push(cmd)
    items.push({ kind: 'scheduled', key })
  }
  return { commands, items, tried: keys.length }
}

/** Place one pod (assumed at once) or park it as unschedulable, adding the write this needs. */
function tryPod (s: RoundState, key: string, now: string, commands: StoreCommand[], items: Item[]): void {
  const pod = pendingPod(s, key)
  if (pod === undefined) return
  let placement: Placement
  let info: PodInfo
  try {
    info = podInfoOf(pod)
    placement = scheduleOne(info, s.cache, (ns) => s.reader.get({ group: '', kind: 'Namespace', namespace: '', name: ns })?.metadata.labels)
  } catch (err) {
    // A pod shaped in a way no filter expected: report it, never take the agent down.
    s.log(`scheduler: cannot place pod ${key}: ${(err as Error).message}`)
    s.queue.parkUnschedulable(key)
    return
  }
  if ('node' in placement) {
    s.cache.assume(info, placement.node)
    commands.push(bindCommand(pod, placement.node))
    items.push({ kind: 'bind', key, node: placement.node })
    return
  }
  s.queue.parkUnschedulable(key)
  const cmd = unschedulableCommand(pod, placement.unschedulable, now)
  if (cmd === undefined || !s.throttle.allow(key, podScheduledCondition(pod)?.reason === REASON_UNSCHEDULABLE)) return
  commands.push(cmd)
  items.push({ kind: 'unschedulable', key })
}

/** The pod behind `key` if it still waits for this scheduler; a pod with a write in flight is tried after the answer. */
function pendingPod (s: RoundState, key: string): Pod | undefined {
  const pod = s.reader.get({ ...PODS, ...splitKey(key) }) as Pod | undefined
  if (pod === undefined || !waitsForScheduling(pod)) return undefined
  if (s.inFlight.has(key) || s.cache.isAssumed(key)) {
    s.retryAfterAnswer.add(key)
    return undefined
  }
  return pod
}
