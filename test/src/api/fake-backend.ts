// An in-memory ApiBackend for the API tests: FakeStore applies StoreCommands naively (no Raft,
// one process), keeps every event for watches, understands a small selector syntax, and can be
// told to fail; FakeBackend records proposals and can inject errors or a concurrent writer.

import type { ApiBackend } from '../../../src/api/backend.ts'
import type { ApplyResult, KObject, ListOptions, ListResult, ObjectReader, ObjectRef, StoreCommand, WatchEvent } from '../../../src/store/types.ts'

class SelectorError extends Error {
  override readonly name = 'SelectorError'
}

class GoneError extends Error {
  override readonly name = 'GoneError'
  readonly code = 410
}

function keyOf (r: { group: string, kind: string, namespace: string, name: string }): string {
  return `${r.group}/${r.kind}/${r.namespace}/${r.name}`
}

function groupOf (apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0] ?? '' : ''
}

/** `a=b`, `a!=b`, `a`, `!a` terms; anything else is a SelectorError. */
function matches (labels: Record<string, string>, selector: string | undefined): boolean {
  if (selector === undefined || selector === '') return true
  return selector.split(',').every(term => {
    let m: RegExpExecArray | null
    if ((m = /^([\w./-]+)\s*!=\s*([\w.-]*)$/.exec(term)) !== null) return labels[m[1] ?? ''] !== m[2]
    if ((m = /^([\w./-]+)\s*==?\s*([\w.-]*)$/.exec(term)) !== null) return labels[m[1] ?? ''] === m[2]
    if ((m = /^!([\w./-]+)$/.exec(term)) !== null) return !((m[1] ?? '') in labels)
    if ((m = /^([\w./-]+)$/.exec(term)) !== null) return (m[1] ?? '') in labels
    throw new SelectorError(`unable to parse selector term ${JSON.stringify(term)}`)
  })
}

function fieldMatches (obj: KObject, selector: string | undefined): boolean {
  if (selector === undefined || selector === '') return true
  return selector.split(',').every(term => {
    const m = /^([\w.]+)(!=|==?)(.*)$/.exec(term)
    if (m === null) throw new SelectorError(`invalid field selector term ${JSON.stringify(term)}`)
    const value = m[1] === 'metadata.name' ? obj.metadata.name : m[1] === 'metadata.namespace' ? obj.metadata.namespace ?? '' : undefined
    if (value === undefined) throw new SelectorError(`field label not supported: ${m[1] ?? ''}`)
    return m[2] === '!=' ? value !== m[3] : value === m[3]
  })
}

interface Stored { index: number, event: WatchEvent, group: string }

/** A naive, single-process store with the real store's rules that the API relies on. */
export class FakeStore implements ObjectReader {
  appliedIndex = 0
  /** Watches from below this index get GoneError. */
  compactedIndex = 0
  private readonly objects = new Map<string, KObject>()
  private readonly history: Stored[] = []
  private readonly watchers = new Set<{ group: string, kind: string, ns: string | undefined, opts: ListOptions, onEvent: (e: WatchEvent) => void }>()
  private readonly waiters: Array<{ index: number, resolve: () => void }> = []
  /** `group/Kind` of kinds with a status subresource: a plain update keeps their stored status. */
  private readonly withStatus: Set<string>

  constructor (kinds: ReadonlyArray<{ group: string, kind: string, subresources: readonly string[] }> = []) {
    this.withStatus = new Set(kinds.filter(k => k.subresources.includes('status')).map(k => `${k.group}/${k.kind}`))
  }

  get (ref: ObjectRef): KObject | undefined {
    return this.objects.get(keyOf(ref))
  }

  list (group: string, kind: string, namespace: string | undefined, opts: ListOptions = {}): ListResult {
    this.checkSelectors(opts)
    const items = [...this.objects.values()].filter(o => this.selected(o, group, kind, namespace, opts))
    items.sort((a, b) => keyOf(refOf(a)).localeCompare(keyOf(refOf(b))))
    return { items, resourceVersion: String(this.appliedIndex) }
  }

  watch (group: string, kind: string, namespace: string | undefined, from: number, opts: ListOptions, onEvent: (e: WatchEvent) => void): () => void {
    this.checkSelectors(opts)
    if (from < this.compactedIndex) throw new GoneError(`too old resource version: ${from} (${this.compactedIndex})`)
    for (const h of this.history) {
      if (h.index > from && this.selected(h.event.object, group, kind, namespace, opts)) onEvent(h.event)
    }
    const w = { group, kind, ns: namespace, opts, onEvent }
    this.watchers.add(w)
    return () => { this.watchers.delete(w) }
  }

  async waitForIndex (index: number, signal?: AbortSignal): Promise<void> {
    if (this.appliedIndex >= index) return
    await new Promise<void>((resolve, reject) => {
      const w = { index, resolve }
      this.waiters.push(w)
      signal?.addEventListener('abort', () => {
        this.waiters.splice(this.waiters.indexOf(w), 1)
        reject(signal.reason)
      }, { once: true })
    })
  }

  /** How many watches are open. */
  get watching (): number {
    return this.watchers.size
  }

  /** How many waitForIndex calls are pending. */
  get waiting (): number {
    return this.waiters.length
  }

  /** Advances the applied index without writing anything (another kind's write). */
  bump (): void {
    this.appliedIndex++
    this.wake()
  }

  apply (cmd: StoreCommand): ApplyResult {
    if (cmd.op === 'batch') {
      return { ok: true, results: cmd.commands.map(c => this.apply(c)) }
    }
    const index = ++this.appliedIndex
    const result = this.applyOne(cmd, index)
    this.wake()
    return result
  }

  private applyOne (cmd: Exclude<StoreCommand, { op: 'batch' }>, index: number): ApplyResult {
    const rv = String(index)
    if (cmd.op === 'create') {
      // Like the real store: the command's own object is stamped and frozen in place.
      const obj = cmd.object
      const key = keyOf(refOf(obj))
      if (this.objects.has(key)) return fail(409, 'AlreadyExists', 'exists')
      obj.metadata.resourceVersion = rv
      this.objects.set(key, deepFreeze(obj))
      this.emit(index, { type: 'ADDED', object: obj })
      return { ok: true, object: obj }
    }
    if (cmd.op === 'update') {
      const key = keyOf(refOf(cmd.object))
      const cur = this.objects.get(key)
      if (cur === undefined) return fail(404, 'NotFound', 'not found')
      const want = cmd.object.metadata.resourceVersion
      if (want !== undefined && want !== cur.metadata.resourceVersion) {
        return fail(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again')
      }
      let next: KObject
      if (cmd.subresource === 'status') {
        // Like the real store: the command's status is taken (and frozen) as it is.
        next = structuredClone(cur)
        next.status = cmd.object.status
      } else {
        next = structuredClone(cmd.object)
        if (this.withStatus.has(`${groupOf(cur.apiVersion)}/${cur.kind}`)) next.status = structuredClone(cur.status)
        next.metadata.uid = cur.metadata.uid
        next.metadata.creationTimestamp = cur.metadata.creationTimestamp
        const changed = JSON.stringify({ ...next, metadata: 0, status: 0 }) !== JSON.stringify({ ...cur, metadata: 0, status: 0 })
        next.metadata.generation = (cur.metadata.generation ?? 1) + (changed ? 1 : 0)
      }
      next.metadata.resourceVersion = rv
      this.objects.set(key, deepFreeze(next))
      this.emit(index, { type: 'MODIFIED', object: next })
      return { ok: true, object: next }
    }
    const key = keyOf(cmd.ref)
    const cur = this.objects.get(key)
    if (cur === undefined) return fail(404, 'NotFound', 'not found')
    const pre = cmd.preconditions
    if ((pre?.uid !== undefined && pre.uid !== cur.metadata.uid) || (pre?.resourceVersion !== undefined && pre.resourceVersion !== cur.metadata.resourceVersion)) {
      return fail(409, 'Conflict', 'Precondition failed')
    }
    if ((cur.metadata.finalizers ?? []).length > 0 && cmd.deletionTimestamp !== undefined) {
      const marked = structuredClone(cur)
      marked.metadata.deletionTimestamp = cmd.deletionTimestamp
      marked.metadata.resourceVersion = String(index)
      this.objects.set(key, deepFreeze(marked))
      this.emit(index, { type: 'MODIFIED', object: marked })
      return { ok: true, object: marked }
    }
    this.objects.delete(key)
    const gone = structuredClone(cur)
    gone.metadata.resourceVersion = rv
    deepFreeze(gone)
    this.emit(index, { type: 'DELETED', object: gone })
    return { ok: true, object: gone }
  }

  private checkSelectors (opts: ListOptions): void {
    matches({}, opts.labelSelector)
    fieldMatches({ apiVersion: 'v1', kind: 'X', metadata: { name: '' } }, opts.fieldSelector)
  }

  private selected (o: KObject, group: string, kind: string, ns: string | undefined, opts: ListOptions): boolean {
    return groupOf(o.apiVersion) === group && o.kind === kind && (ns === undefined || ns === '' || o.metadata.namespace === ns) &&
      matches(o.metadata.labels ?? {}, opts.labelSelector) && fieldMatches(o, opts.fieldSelector)
  }

  private emit (index: number, event: WatchEvent): void {
    const group = groupOf(event.object.apiVersion)
    this.history.push({ index, event, group })
    for (const w of this.watchers) {
      if (this.selected(event.object, w.group, w.kind, w.ns, w.opts)) w.onEvent(event)
    }
  }

  private wake (): void {
    for (const w of [...this.waiters]) {
      if (w.index <= this.appliedIndex) {
        this.waiters.splice(this.waiters.indexOf(w), 1)
        w.resolve()
      }
    }
  }
}

/** Objects handed out are frozen, as the real store's are: the API must copy before changing one. */
function deepFreeze<T> (v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v)
    for (const x of Object.values(v)) deepFreeze(x)
  }
  return v
}

function refOf (o: KObject): ObjectRef {
  return { group: groupOf(o.apiVersion), kind: o.kind, namespace: o.metadata.namespace ?? '', name: o.metadata.name }
}

function fail (code: number, reason: 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Invalid', message: string): ApplyResult {
  return { ok: false, error: { code, reason, message } }
}

/** An ApiBackend over FakeStore that records calls and can be told to fail. */
export class FakeBackend implements ApiBackend {
  readonly reader: FakeStore
  readonly commands: StoreCommand[] = []
  linearizeCalls = 0
  private uids = 0
  /** Thrown by the next write (then cleared). */
  failNextWrite: Error | undefined
  /** Runs before each write is applied (to interleave a concurrent writer). */
  beforeWrite: ((cmd: StoreCommand) => void) | undefined

  constructor (readonly store = new FakeStore()) {
    this.reader = store
  }

  async write (cmd: StoreCommand): Promise<ApplyResult> {
    await Promise.resolve()
    const err = this.failNextWrite
    if (err !== undefined) {
      this.failNextWrite = undefined
      throw err
    }
    this.beforeWrite?.(cmd)
    this.commands.push(structuredClone(cmd))
    return this.store.apply(cmd)
  }

  async linearize (): Promise<void> {
    this.linearizeCalls++
  }

  now (): string {
    return '2024-01-01T00:00:00Z'
  }

  newUid (): string {
    return `uid-${++this.uids}`
  }
}

/** Polls `cond` until it holds or the deadline passes. */
export async function until (cond: () => boolean, deadlineMs = 5000): Promise<void> {
  const deadline = Date.now() + deadlineMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline')
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

export function namedError (name: string, message: string): Error {
  const e = new Error(message)
  e.name = name
  return e
}
