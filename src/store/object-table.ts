// The in-memory table of the store: kind → namespace → name → object. Lists come out sorted by
// namespace, then name; the sorted name order of each namespace is cached until an object is
// added to or removed from it.
//
// Objects of most kinds are held deep-frozen and handed out as they are. Objects of the kinds
// `encoded` names (ConfigMaps and Secrets in the store: roles seldom read them) are held as
// their msgpack bytes in a string (object-codec.ts, less than half the memory) and decoded on
// every read: such a read returns a new frozen copy each time, equal but not identical.

import { decodeObject, encodeObject } from './object-codec.ts'
import { kindKey } from './refs.ts'
import type { KObject, ObjectRef } from './types.ts'

/** A stored object: the object itself, or (kinds held encoded) encodeObject's string. */
export type StoredObject = KObject | string

interface Bucket {
  objects: Map<string, StoredObject>
  /** Names in sorted order; null after an add or remove. */
  sorted: string[] | null
}

interface KindEntry {
  encoded: boolean
  namespaces: Map<string, Bucket>
}

const byString = (a: string, b: string): number => a < b ? -1 : a > b ? 1 : 0
const decoded = (v: StoredObject): KObject => typeof v === 'string' ? decodeObject(v) : v

export class ObjectTable {
  private readonly kinds = new Map<string, KindEntry>()
  private count = 0

  /** `encoded(group, kind)`: hold that kind's objects encoded. Default: none. */
  constructor (private readonly encoded: (group: string, kind: string) => boolean = () => false) {}

  get size (): number {
    return this.count
  }

  get (ref: ObjectRef): KObject | undefined {
    const v = this.stored(ref)
    return v === undefined ? undefined : decoded(v)
  }

  has (ref: ObjectRef): boolean {
    return this.stored(ref) !== undefined
  }

  /** What the table holds for `ref` (encoded or not), without decoding. */
  stored (ref: ObjectRef): StoredObject | undefined {
    return this.kinds.get(kindKey(ref.group, ref.kind))?.namespaces.get(ref.namespace)?.objects.get(ref.name)
  }

  /** Store `obj` (deep-frozen) under `ref`; returns what is held (the string for an encoded kind). */
  set (ref: ObjectRef, obj: KObject): StoredObject {
    const key = kindKey(ref.group, ref.kind)
    let entry = this.kinds.get(key)
    if (entry === undefined) {
      entry = { encoded: this.encoded(ref.group, ref.kind), namespaces: new Map() }
      this.kinds.set(key, entry)
    }
    let bucket = entry.namespaces.get(ref.namespace)
    if (bucket === undefined) {
      bucket = { objects: new Map(), sorted: null }
      entry.namespaces.set(ref.namespace, bucket)
    }
    if (!bucket.objects.has(ref.name)) {
      bucket.sorted = null
      this.count++
    }
    const value = entry.encoded ? encodeObject(obj) : obj
    bucket.objects.set(ref.name, value)
    return value
  }

  delete (ref: ObjectRef): boolean {
    const namespaces = this.kinds.get(kindKey(ref.group, ref.kind))?.namespaces
    const bucket = namespaces?.get(ref.namespace)
    if (bucket === undefined || !bucket.objects.delete(ref.name)) return false
    this.count--
    bucket.sorted = null
    if (bucket.objects.size === 0) namespaces?.delete(ref.namespace)
    return true
  }

  /** Objects of one kind, sorted by namespace then name; `namespace` undefined or '' means all. */
  list (group: string, kind: string, namespace?: string): KObject[] {
    return this.storedList(kindKey(group, kind), namespace).map(decoded)
  }

  /** Every object as held (encoded or not), sorted by kind, namespace and name (the snapshot order). */
  allStored (): StoredObject[] {
    const out: StoredObject[] = []
    for (const key of [...this.kinds.keys()].sort(byString)) {
      for (const v of this.storedList(key)) out.push(v)
    }
    return out
  }

  /** Every object as held, with its objectKey (`group/kind/namespace/name`), in no particular order. */
  forEachStored (fn: (key: string, value: StoredObject) => void): void {
    for (const [kind, entry] of this.kinds) {
      for (const [ns, bucket] of entry.namespaces) for (const [name, v] of bucket.objects) fn(`${kind}/${ns}/${name}`, v)
    }
  }

  clear (): void {
    this.kinds.clear()
    this.count = 0
  }

  private storedList (key: string, namespace?: string): StoredObject[] {
    const namespaces = this.kinds.get(key)?.namespaces
    if (namespaces === undefined) return []
    const out: StoredObject[] = []
    const names = namespace === undefined || namespace === '' ? [...namespaces.keys()].sort(byString) : [namespace]
    for (const ns of names) {
      const bucket = namespaces.get(ns)
      if (bucket === undefined) continue
      bucket.sorted ??= [...bucket.objects.keys()].sort(byString)
      for (const name of bucket.sorted) out.push(bucket.objects.get(name) as StoredObject)
    }
    return out
  }
}
