// Watch fan-out: a bounded ring of recent events (so a watch can resume from an older
// resourceVersion) and the live watchers, indexed by kind.
//
// Delivery is synchronous, in apply order, inside the store's apply: a callback must return
// quickly (enqueue and go) — a slow consumer slows every apply, and nothing here buffers for
// it. A callback that throws is stopped and reported through `onError`; apply goes on.
//
// Selector-filtered watches see transitions as Kubernetes sends them: an object that starts
// matching arrives as ADDED, one that stops matching as DELETED (its previous content, with the
// new resourceVersion).
//
// A watch is Expired (GoneError) only when history of its own kind is gone, as Kubernetes'
// watch cache is kept per resource: churn of other kinds (Events, Pods) pushing a quiet
// kind's last event out of the ring does not force that kind's watchers to relist (client-node
// re-watches from its last event's resourceVersion every 30 s when nothing arrives).
//
// Invariants: the ring holds every event with index > historyStart, in index order; and for
// every kind, every event of that kind with index > max(resetIndex, evicted[kind]).

import { deepFreeze } from './deep.ts'
import { GoneError } from './errors.ts'
import { decodeObject } from './object-codec.ts'
import type { CompiledSelectors } from './selectors.ts'
import type { KObject, WatchEvent, WatchEventType } from './types.ts'

export interface HubEvent {
  /** Raft index of the entry that produced the event. */
  index: number
  kindKey: string
  namespace: string
  type: WatchEventType
  object: KObject
  /** The object before a MODIFIED event. */
  prev?: KObject
}

/**
 * An event as the ring keeps it: `object` may be the table's encoded string for it (kinds held
 * encoded, object-table.ts), shared with the table instead of a decoded copy of its own.
 */
type RingEvent = Omit<HubEvent, 'object'> & { object: KObject | string }

interface Watcher {
  kindKey: string
  namespace: string
  fromIndex: number
  selectors: CompiledSelectors
  onEvent: (e: WatchEvent) => void
  stopped: boolean
}

/** The event a watcher with these selectors sees for `e`, or null if none. */
export function filterEvent (e: HubEvent, selectors: CompiledSelectors): WatchEvent | null {
  if (selectors.everything) return { type: e.type, object: e.object }
  const now = selectors.matches(e.object)
  if (e.type !== 'MODIFIED' || e.prev === undefined) return now ? { type: e.type, object: e.object } : null
  const before = selectors.matches(e.prev)
  if (now) return { type: before ? 'MODIFIED' : 'ADDED', object: e.object }
  if (!before) return null
  const object = deepFreeze({ ...e.prev, metadata: { ...e.prev.metadata, resourceVersion: e.object.metadata.resourceVersion } })
  return { type: 'DELETED', object }
}

export class WatchHub {
  private ring: Array<RingEvent | undefined>
  private head = 0
  private count = 0
  private readonly watchers = new Map<string, Set<Watcher>>()
  /** The oldest index a watch of any kind may start after. */
  private start: number
  /** The index history was last reset to (nothing before it is known, of any kind). */
  private resetIndex: number
  /** kindKey → the highest index of an event of that kind pushed out of the ring. */
  private readonly evicted = new Map<string, number>()

  constructor (private readonly capacity: number, startIndex: number, private readonly onError: (err: unknown) => void) {
    this.ring = new Array<RingEvent | undefined>(capacity)
    this.start = startIndex
    this.resetIndex = startIndex
  }

  get historyStart (): number {
    return this.start
  }

  /** Events in the ring right now (for tests and metrics). */
  get historyLength (): number {
    return this.count
  }

  /**
   * Record an event and deliver it to live watchers. `held`: the table's encoded string for
   * e.object, kept in the history instead of the object (decoded again on replay).
   */
  publish (e: HubEvent, held?: string): void {
    this.record(held === undefined ? e : { ...e, object: held })
    this.deliver(e)
  }

  /** Deliver without recording (the synthetic events of a restore). */
  deliver (e: HubEvent): void {
    const set = this.watchers.get(e.kindKey)
    if (set === undefined) return
    // A copy: a callback may start a watch, whose replay already includes this event.
    for (const w of [...set]) this.send(w, e)
  }

  /** Forget all history: watches must then start at or after `index`. Live watchers stay. */
  reset (index: number): void {
    this.ring = new Array<RingEvent | undefined>(this.capacity)
    this.head = 0
    this.count = 0
    this.start = index
    this.resetIndex = index
    this.evicted.clear()
  }

  /** The oldest index a watch of this kind may start after. */
  historyStartOf (kindKey: string): number {
    return Math.max(this.resetIndex, this.evicted.get(kindKey) ?? 0)
  }

  /** Replay history after `fromIndex` (synchronously, before returning), then go live. Throws GoneError. */
  watch (kindKey: string, namespace: string, fromIndex: number, selectors: CompiledSelectors, onEvent: (e: WatchEvent) => void): () => void {
    const oldest = this.historyStartOf(kindKey)
    if (fromIndex < oldest) throw new GoneError(fromIndex, oldest)
    const w: Watcher = { kindKey, namespace, fromIndex, selectors, onEvent, stopped: false }
    for (let i = this.firstAfter(fromIndex); i < this.count && !w.stopped; i++) {
      const e = this.ring[(this.head + i) % this.capacity] as RingEvent
      if (e.kindKey !== kindKey || e.index <= fromIndex) continue
      if (namespace !== '' && e.namespace !== namespace) continue
      this.send(w, typeof e.object === 'string' ? { ...e, object: decodeObject(e.object) } : e as HubEvent)
    }
    if (w.stopped) return () => {}
    let set = this.watchers.get(kindKey)
    if (set === undefined) {
      set = new Set()
      this.watchers.set(kindKey, set)
    }
    set.add(w)
    return () => { this.stop(w) }
  }

  /** Stop every watcher (the store is closing). */
  stopAll (): void {
    for (const set of this.watchers.values()) for (const w of set) w.stopped = true
    this.watchers.clear()
  }

  private record (e: RingEvent): void {
    if (this.capacity === 0) {
      this.start = Math.max(this.start, e.index)
      this.evicted.set(e.kindKey, e.index)
      return
    }
    if (this.count < this.capacity) {
      this.ring[(this.head + this.count) % this.capacity] = e
      this.count++
      return
    }
    const evicted = this.ring[this.head] as RingEvent
    this.start = Math.max(this.start, evicted.index)
    this.evicted.set(evicted.kindKey, evicted.index)
    this.ring[this.head] = e
    this.head = (this.head + 1) % this.capacity
  }

  /** Position (0-based from the oldest) of the first event with index > fromIndex: binary search. */
  private firstAfter (fromIndex: number): number {
    let lo = 0
    let hi = this.count
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((this.ring[(this.head + mid) % this.capacity] as RingEvent).index > fromIndex) hi = mid
      else lo = mid + 1
    }
    return lo
  }

  private send (w: Watcher, e: HubEvent): void {
    if (w.stopped || e.index <= w.fromIndex) return
    if (w.namespace !== '' && e.namespace !== w.namespace) return
    const out = filterEvent(e, w.selectors)
    if (out === null) return
    try {
      w.onEvent(out)
    } catch (err) {
      this.stop(w)
      this.onError(err)
    }
  }

  private stop (w: Watcher): void {
    w.stopped = true
    const set = this.watchers.get(w.kindKey)
    set?.delete(w)
    if (set?.size === 0) this.watchers.delete(w.kindKey)
  }
}
