// ObjectStore: the replicated state machine behind the Kubernetes API. Raft hands it committed
// entries (each a msgpack StoreCommand, see encodeCommand); it applies them in order to a full
// in-memory copy of every object, fans the changes out to watches, and keeps the applied state
// on disk (optional) so a restart does not replay the whole log.
//
// Contract:
// - Deterministic: the same entries in the same order give the same objects, results and
//   snapshot bytes on every agent. resourceVersion of every object an entry writes is
//   String(entry.index); uid and timestamps come in the command (see apply-command.ts).
// - apply() changes memory and delivers watch events synchronously, before its promise
//   settles; the promise settles once the change is written to disk (one level batch per call,
//   unsynced: the Raft log is durable, entries after the persisted appliedIndex are re-applied).
//   Entries at or below appliedIndex are skipped (Conflict result), so re-applying is harmless.
// - Objects handed out (get, list, watch, apply results) are deep-frozen and shared, not copied:
//   no per-read cost. Copy (structuredClone) before changing one.
// - Watch callbacks run synchronously inside apply and must not block (see watch-hub.ts).

import type { StateMachine } from '../../raft/node.ts'
import type { Entry } from '../../raft/types.ts'
import { kindFor } from '../objects/kinds.ts'
import { applyCommand, type Change, type KindLookup } from './apply-command.ts'
import { decodeCommand, decodeSnapshot } from './command-codec.ts'
import { deepEqual, deepFreeze } from './deep.ts'
import { invalidCommandError } from './errors.ts'
import { internNames } from './intern.ts'
import { decodeObject, packSnapshot } from './object-codec.ts'
import { ObjectTable, type StoredObject } from './object-table.ts'
import { kindKey, objectKey, refOf } from './refs.ts'
import { compileSelectors } from './selectors.ts'
import { diskKey, diskKeyOf, StorePersistence } from './store-persistence.ts'
import { WatchHub, type HubEvent } from './watch-hub.ts'
import type { ApplyResult, KObject, ListOptions, ListResult, ObjectReader, ObjectRef, WatchEvent } from './types.ts'

export { encodeCommand, decodeCommand } from './command-codec.ts'

export interface ObjectStoreOptions {
  /** Directory of the LevelDB holding the applied state. Default: none (memory only). Only ObjectStore.open() reads it. */
  dir?: string
  /** Watch events kept so watches can resume from an older resourceVersion. Default 10,000. */
  historySize?: number
  /** Told when a watch callback throws (that watch is stopped). Default: printed with console.error. */
  onWatchError?: (err: unknown) => void
  /** Told when writing the applied state to disk fails (the Raft log still has it). Default: printed with console.error. */
  onPersistError?: (err: unknown) => void
  /** Scope and subresources of each kind. Default: the KINDS table (kinds.ts). */
  kinds?: KindLookup
  /**
   * Kinds whose objects are held encoded (less than half the memory) and decoded on every read
   * (object-table.ts). Default: ConfigMap and Secret, which roles read only to start containers.
   */
  encodedKinds?: (group: string, kind: string) => boolean
}

/** ConfigMaps and Secrets: many and large in a typical cluster, and seldom read by the roles. */
export const defaultEncodedKinds = (group: string, kind: string): boolean => group === '' && (kind === 'ConfigMap' || kind === 'Secret')

interface Waiter { index: number, resolve: () => void, reject: (err: unknown) => void }

/**
 * How many recent apply results resultOf() can still answer for. Small: each holds its
 * object (for kinds held encoded, a decoded copy), and forwarded writes now take their result
 * from RaftNode.submit instead.
 */
export const RECENT_RESULTS = 1024

export class ObjectStore implements StateMachine, ObjectReader {
  private readonly table: ObjectTable
  private readonly hub: WatchHub
  private readonly kinds: KindLookup
  private persistence: StorePersistence | null = null
  private waiters: Waiter[] = []
  private applied = 0
  /** Results of the last RECENT_RESULTS applied entries, by index modulo the size. */
  private readonly recent: Array<{ index: number, result: ApplyResult } | undefined> = new Array(RECENT_RESULTS)
  private readonly onPersistError: (err: unknown) => void
  private closed = false

  /** A store in memory only. Use ObjectStore.open({ dir }) for one kept on disk. */
  constructor (opts: Omit<ObjectStoreOptions, 'dir'> = {}) {
    this.kinds = opts.kinds ?? kindFor
    this.table = new ObjectTable(opts.encodedKinds ?? defaultEncodedKinds)
    const onError = opts.onWatchError ?? ((err: unknown) => { console.error('A watch callback threw; the watch was stopped:', err) })
    this.onPersistError = opts.onPersistError ?? ((err: unknown) => { console.error('Writing the applied state to disk failed; a restart re-applies it from the Raft log:', err) })
    this.hub = new WatchHub(opts.historySize ?? 10_000, 0, onError)
  }

  /** Open a store: with `dir`, load the objects and appliedIndex saved there; without, an empty in-memory store. */
  static async open (opts: ObjectStoreOptions = {}): Promise<ObjectStore> {
    const store = new ObjectStore(opts)
    if (opts.dir === undefined) return store
    const { persistence, objects, appliedIndex } = await StorePersistence.open(opts.dir)
    for (const obj of objects) store.table.set(refOf(obj), deepFreeze(internNames(obj)))
    store.applied = appliedIndex
    store.hub.reset(appliedIndex)
    store.persistence = persistence
    return store
  }

  /** Raft index of the last applied entry; a Raft driver resumes applying after it. */
  get appliedIndex (): number {
    return this.applied
  }

  /**
   * What applying the entry at `index` produced here, while it is among the last RECENT_RESULTS
   * applied (undefined after that, or for an index not applied in this process). A follower
   * answers a forwarded write from its own replica with it, so the leader need not send the
   * object back.
   */
  resultOf (index: number): ApplyResult | undefined {
    const r = this.recent[index % RECENT_RESULTS]
    return r !== undefined && r.index === index ? r.result : undefined
  }

  /** Number of objects held. */
  get size (): number {
    return this.table.size
  }

  /** The oldest resourceVersion a watch of any kind can start from; a kind whose own history reaches further back can start earlier (watch-hub.ts). */
  get historyStart (): number {
    return this.hub.historyStart
  }

  apply (entries: readonly Entry[]): ApplyResult[] {
    this.assertOpen()
    const results: ApplyResult[] = []
    const touched = new Map<string, KObject | null>()
    for (const entry of entries) {
      if (entry.index <= this.applied) {
        results.push({ ok: false, error: { code: 409, reason: 'Conflict', message: `Entry ${entry.index} was already applied (applied index ${this.applied})` } })
        continue
      }
      const command = decodeCommand(entry.data)
      const changes: Change[] = []
      const result = command === null
        ? { ok: false as const, error: invalidCommandError(`Entry ${entry.index} does not hold a store command: propose encodeCommand(...) data`) }
        : applyCommand({ table: this.table, index: entry.index, kinds: this.kinds, changes }, command)
      results.push(result)
      this.recent[entry.index % RECENT_RESULTS] = { index: entry.index, result }
      this.applied = entry.index
      changes.forEach((c, i) => {
        touched.set(diskKey(c.object), c.type === 'DELETED' ? null : c.object)
        this.hub.publish({ index: entry.index, kindKey: kindKey(c.ref.group, c.ref.kind), namespace: c.ref.namespace, type: c.type, object: c.object, ...(c.prev !== undefined ? { prev: c.prev } : {}) }, this.heldFor(changes, i))
      })
    }
    this.releaseWaiters()
    if (this.persistence === null || entries.length === 0) return results
    // Written in the background, in order (the store queues and batches writes): proposers
    // need not wait for it. The Raft log is the durable source; after a crash, entries past
    // the appliedIndex that reached the disk are applied again.
    this.persistence.write(touched, this.applied).catch((err: unknown) => { this.onPersistError(err) })
    return results
  }

  /** The whole state as msgpack { appliedIndex, objects } (objects sorted, so equal states give equal bytes). */
  snapshot (): Uint8Array {
    return packSnapshot(this.applied, this.table.allStored())
  }

  /**
   * Replace everything with a snapshot's state and persist it. Watch history is reset (watches
   * from before the snapshot's index get GoneError); live watches receive the difference
   * between the old and the new state as ADDED / MODIFIED / DELETED events, so they stay exact.
   */
  async restore (data: Uint8Array): Promise<void> {
    this.assertOpen()
    const snap = decodeSnapshot(data)
    const before = new Map<string, StoredObject>()
    this.table.forEachStored((key, v) => { before.set(key, v) })
    this.table.clear()
    const held = snap.objects.map((obj) => this.table.set(refOf(obj), deepFreeze(internNames(obj))))
    this.applied = snap.appliedIndex
    this.hub.reset(snap.appliedIndex)
    for (const e of this.diff(before, snap.objects, held, snap.appliedIndex)) this.hub.deliver(e)
    this.releaseWaiters()
    await this.persistence?.replace([...before.keys()].map(diskKeyOf), snap.objects, snap.appliedIndex)
  }

  get (ref: ObjectRef): KObject | undefined {
    return this.table.get(ref)
  }

  /** Throws SelectorError on a malformed selector. */
  list (group: string, kind: string, namespace: string | undefined, opts: ListOptions = {}): ListResult {
    const selectors = compileSelectors(opts)
    const all = this.table.list(group, kind, namespace)
    return { items: selectors.everything ? all : all.filter(selectors.matches), resourceVersion: String(this.applied) }
  }

  /**
   * Events after `fromResourceVersion`, replayed synchronously (onEvent may run before this
   * returns), then live. Throws GoneError when history does not reach back that far, and
   * SelectorError on a malformed selector. For Kubernetes' "resourceVersion 0 / unset" watch,
   * call list() and then watch() from the list's resourceVersion in the same tick: nothing can
   * be applied in between.
   */
  watch (group: string, kind: string, namespace: string | undefined, fromResourceVersion: number, opts: ListOptions, onEvent: (e: WatchEvent) => void): () => void {
    const selectors = compileSelectors(opts)
    return this.hub.watch(kindKey(group, kind), namespace ?? '', fromResourceVersion, selectors, onEvent)
  }

  waitForIndex (index: number, signal?: AbortSignal): Promise<void> {
    if (this.applied >= index) return Promise.resolve()
    if (this.closed) return Promise.reject(new Error('The object store is closed'))
    if (signal?.aborted === true) return Promise.reject(signal.reason)
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        index,
        resolve: () => { signal?.removeEventListener('abort', onAbort); resolve() },
        reject: (err) => { signal?.removeEventListener('abort', onAbort); reject(err) }
      }
      const onAbort = (): void => {
        this.waiters = this.waiters.filter((w) => w !== waiter)
        reject(signal?.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiters.push(waiter)
    })
  }

  /** Stop watches, fail waiters, wait for disk writes and close the database. */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.hub.stopAll()
    for (const w of this.waiters.splice(0)) w.reject(new Error('The object store is closed'))
    await this.persistence?.close()
  }

  /**
   * The table's encoded string for changes[i].object, if the table holds that object encoded:
   * only for the last change of its object in the entry (a batch may change one object twice).
   */
  private heldFor (changes: readonly Change[], i: number): string | undefined {
    const c = changes[i] as Change
    const held = c.type === 'DELETED' ? undefined : this.table.stored(c.ref)
    if (typeof held !== 'string') return undefined
    for (let j = i + 1; j < changes.length; j++) {
      const later = (changes[j] as Change).ref
      if (later.name === c.ref.name && later.namespace === c.ref.namespace && later.kind === c.ref.kind && later.group === c.ref.group) return undefined
    }
    return held
  }

  private releaseWaiters (): void {
    if (this.waiters.length === 0) return
    const ready = this.waiters.filter((w) => w.index <= this.applied)
    if (ready.length === 0) return
    this.waiters = this.waiters.filter((w) => w.index > this.applied)
    for (const w of ready) w.resolve()
  }

  /**
   * Events turning `before` into `after` (held: what the table holds for each), in key order,
   * all at `index`. Encoded objects are decoded only where they differ.
   */
  private diff (before: ReadonlyMap<string, StoredObject>, after: readonly KObject[], held: readonly StoredObject[], index: number): HubEvent[] {
    const events: HubEvent[] = []
    const seen = new Set<string>()
    const event = (type: HubEvent['type'], object: KObject, prev?: KObject): HubEvent => {
      const ref = refOf(object)
      return { index, kindKey: kindKey(ref.group, ref.kind), namespace: ref.namespace, type, object, ...(prev !== undefined ? { prev } : {}) }
    }
    after.forEach((obj, i) => {
      const key = objectKey(refOf(obj))
      seen.add(key)
      const stored = before.get(key)
      if (stored === undefined) {
        events.push(event('ADDED', obj))
        return
      }
      if (stored === held[i]) return // the same encoded bytes
      const old = typeof stored === 'string' ? decodeObject(stored) : stored
      if (!deepEqual(old, obj)) events.push(event('MODIFIED', obj, old))
    })
    for (const [key, stored] of before) {
      if (seen.has(key)) continue
      const old = typeof stored === 'string' ? decodeObject(stored) : stored
      events.push(event('DELETED', deepFreeze({ ...old, metadata: { ...old.metadata, resourceVersion: String(index) } })))
    }
    return events
  }

  private assertOpen (): void {
    if (this.closed) throw new Error('The object store is closed: open a new one with ObjectStore.open()')
  }
}
