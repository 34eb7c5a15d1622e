// Recording Events (core/v1) for the roles — the scheduler, the controllers, the kubelet —
// as Kubernetes' event recorder does, at a cost the Raft log can carry: `record` only takes
// note; the notes go out in one batch write once `flushMs` pass without a new one, or
// `maxDelayMs` after the first — so a burst (thousands of pods bound in a few seconds) is not
// slowed by its own Events, which follow it. At most `maxPending` notes wait; more are dropped
// (and counted in the log), as Kubernetes' recorder drops Events under load. The same happening repeated
// (same object, type, reason and message, from the same component) is one Event whose `count`
// and `lastTimestamp` grow. Its name is derived from those fields, so a new leader's recorder
// (or another agent's) adds to the same Event instead of making a second one. Messages are cut
// to 1 KiB. Events about cluster-scoped objects (Nodes) go to the `default` namespace. A write
// that fails is dropped with a log line: Events are best effort and never hold up a role.

import { createHash } from 'node:crypto'
import type { ApiBackend } from '../api/backend.ts'
import { MAX_MESSAGE_LENGTH, type Event } from '../objects/event.ts'
import type { KObject, StoreCommand } from '../store/types.ts'
import type { CancelTimer, Clock } from './clock.ts'

export type EventType = 'Normal' | 'Warning'

/** What a role records Events through. */
export interface EventSink {
  /** `fieldPath`: the part of the object it is about (`spec.containers{app}`), as involvedObject.fieldPath. */
  record: (obj: KObject, type: EventType, reason: string, message: string, fieldPath?: string) => void
}

export interface EventRecorderOptions {
  readonly backend: ApiBackend
  readonly clock: Clock
  /** `source.component` / `reportingComponent`, e.g. default-scheduler, kubelet, deployment-controller. */
  readonly component: string
  /** `source.host`: the node name, for the kubelet. */
  readonly host?: string
  /** Notes go out once this long passes without a new one. Default 100 ms. */
  readonly flushMs?: number
  /** … or this long after the first note waiting, whatever comes. Default 5000 ms. */
  readonly maxDelayMs?: number
  /** Most notes waiting; more are dropped. Default 10 000. */
  readonly maxPending?: number
  readonly log?: (line: string) => void
}

interface Pending { event: Event, times: number }

/** Where an Event about `obj` lives and what it is named. */
export function eventIdentity (obj: KObject, type: EventType, reason: string, message: string, component: string, fieldPath = ''): { namespace: string, name: string } {
  const namespace = obj.metadata.namespace !== undefined && obj.metadata.namespace !== '' ? obj.metadata.namespace : 'default'
  const key = [obj.kind, namespace, obj.metadata.name, obj.metadata.uid ?? '', type, reason, message, component, ...(fieldPath !== '' ? [fieldPath] : [])].join('\u0000')
  return { namespace, name: `${obj.metadata.name}.${createHash('sha256').update(key).digest('hex').slice(0, 16)}` }
}

export class EventRecorder implements EventSink {
  private readonly pending = new Map<string, Pending>()
  private cancelQuiet: CancelTimer | undefined
  private cancelMax: CancelTimer | undefined
  private dropped = 0
  private flushing: Promise<void> = Promise.resolve()
  private stopped = false

  /** The last timestamp given out: each note's is later, so that happenings noted in one millisecond keep their order. */
  private lastStamp = ''

  constructor (private readonly opts: EventRecorderOptions) {}

  /**
   * The backend's time, or 1 ms after the last note's if that is not earlier: kubectl describe
   * sorts Events by lastTimestamp, and Created must not come after Started.
   */
  private stamp (): string {
    let now = this.opts.backend.now()
    if (this.lastStamp !== '' && now <= this.lastStamp) {
      const next = Date.parse(this.lastStamp) + 1
      if (!Number.isNaN(next)) now = new Date(next).toISOString()
    }
    this.lastStamp = now
    return now
  }

  /** Take note of an Event about `obj`; it is written within `flushMs`. */
  record (obj: KObject, type: EventType, reason: string, message: string, fieldPath?: string): void {
    if (this.stopped) return
    const text = message.length > MAX_MESSAGE_LENGTH ? message.slice(0, MAX_MESSAGE_LENGTH - 3) + '...' : message
    const { namespace, name } = eventIdentity(obj, type, reason, text, this.opts.component, fieldPath)
    const key = `${namespace}/${name}`
    const seen = this.pending.get(key)
    const now = this.stamp()
    if (seen !== undefined) {
      seen.times++
      seen.event.lastTimestamp = now
    } else if (this.pending.size >= (this.opts.maxPending ?? 10_000)) {
      this.dropped++
      return
    } else {
      this.pending.set(key, { times: 1, event: this.newEvent(obj, namespace, name, type, reason, text, now, fieldPath) })
    }
    const fire = (): void => { this.disarm(); void this.flush() }
    this.cancelQuiet?.()
    this.cancelQuiet = this.opts.clock.setTimeout(fire, this.opts.flushMs ?? 100)
    this.cancelMax ??= this.opts.clock.setTimeout(fire, this.opts.maxDelayMs ?? 5000)
  }

  private disarm (): void {
    this.cancelQuiet?.()
    this.cancelMax?.()
    this.cancelQuiet = undefined
    this.cancelMax = undefined
  }

  /** Write what is noted now; resolves once written (or dropped). */
  async flush (): Promise<void> {
    this.flushing = this.flushing.then(async () => { await this.writeOut() })
    await this.flushing
  }

  /** Write what is left and take no more notes. */
  async stop (): Promise<void> {
    this.stopped = true
    this.disarm()
    await this.flush()
  }

  private newEvent (obj: KObject, namespace: string, name: string, type: EventType, reason: string, message: string, now: string, fieldPath?: string): Event {
    const involved: Event['involvedObject'] = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name }
    if (obj.metadata.namespace !== undefined && obj.metadata.namespace !== '') involved.namespace = obj.metadata.namespace
    if (obj.metadata.uid !== undefined) involved.uid = obj.metadata.uid
    if (obj.metadata.resourceVersion !== undefined) involved.resourceVersion = obj.metadata.resourceVersion
    if (fieldPath !== undefined && fieldPath !== '') involved.fieldPath = fieldPath
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace, uid: this.opts.backend.newUid(), creationTimestamp: now },
      involvedObject: involved,
      reason,
      message,
      source: this.opts.host !== undefined ? { component: this.opts.component, host: this.opts.host } : { component: this.opts.component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      reportingComponent: this.opts.component,
      reportingInstance: this.opts.host ?? ''
    }
  }

  private async writeOut (): Promise<void> {
    if (this.dropped > 0) {
      this.opts.log?.(`events: ${this.dropped} dropped: more than ${this.opts.maxPending ?? 10_000} were waiting`)
      this.dropped = 0
    }
    if (this.pending.size === 0) return
    const batch = [...this.pending.values()]
    this.pending.clear()
    const reader = this.opts.backend.reader
    const commands: StoreCommand[] = batch.map(({ event, times }) => {
      const ref = { group: '', kind: 'Event', namespace: event.metadata.namespace ?? 'default', name: event.metadata.name }
      const stored = reader.get(ref) as Event | undefined
      if (stored === undefined) return { op: 'create', object: { ...event, count: times } }
      // Seen before (by this recorder, a former leader's, or another agent's): count on.
      return { op: 'update', object: { ...stored, count: (stored.count ?? 1) + times, lastTimestamp: event.lastTimestamp ?? stored.lastTimestamp } }
    })
    try {
      const result = await this.opts.backend.write(commands.length === 1 ? commands[0] as StoreCommand : { op: 'batch', commands })
      const results = 'results' in result ? result.results : [result]
      const failed = results.filter((r) => !r.ok).length
      if (failed > 0) this.opts.log?.(`events: ${failed} of ${commands.length} not recorded (written meanwhile by another recorder)`)
    } catch (err) {
      this.opts.log?.(`events: ${commands.length} not recorded: ${(err as Error).message}`)
    }
  }
}
