// The in-memory table of the store: kind → namespace → name → object (deep-frozen). Lists
// come out sorted by namespace, then name; the sorted name order of each namespace is cached
// until an object is added to or removed from it.

import { kindKey } from './refs.ts'
import type { KObject, ObjectRef } from './types.ts'

interface Bucket {
  objects: Map<string, KObject>
  /** Names in sorted order; null after an add or remove. */
  sorted: string[] | null
}

const byString = (a: string, b: string): number => a < b ? -1 : a > b ? 1 : 0

export class ObjectTable {
  private readonly kinds = new Map<string, Map<string, Bucket>>()
  private count = 0

  get size (): number {
    return this.count
  }

  get (ref: ObjectRef): KObject | undefined {
    return this.kinds.get(kindKey(ref.group, ref.kind))?.get(ref.namespace)?.objects.get(ref.name)
  }

  set (ref: ObjectRef, obj: KObject): void {
    const key = kindKey(ref.group, ref.kind)
    let namespaces = this.kinds.get(key)
    if (namespaces === undefined) {
      namespaces = new Map()
      this.kinds.set(key, namespaces)
    }
    let bucket = namespaces.get(ref.namespace)
    if (bucket === undefined) {
      bucket = { objects: new Map(), sorted: null }
      namespaces.set(ref.namespace, bucket)
    }
    if (!bucket.objects.has(ref.name)) {
      bucket.sorted = null
      this.count++
    }
    bucket.objects.set(ref.name, obj)
  }

  delete (ref: ObjectRef): boolean {
    const namespaces = this.kinds.get(kindKey(ref.group, ref.kind))
    const bucket = namespaces?.get(ref.namespace)
    if (bucket === undefined || !bucket.objects.delete(ref.name)) return false
    this.count--
    bucket.sorted = null
    if (bucket.objects.size === 0) namespaces?.delete(ref.namespace)
    return true
  }

  /** Objects of one kind, sorted by namespace then name; `namespace` undefined or '' means all. */
  list (group: string, kind: string, namespace?: string): KObject[] {
    const namespaces = this.kinds.get(kindKey(group, kind))
    if (namespaces === undefined) return []
    const out: KObject[] = []
    const names = namespace === undefined || namespace === '' ? [...namespaces.keys()].sort(byString) : [namespace]
    for (const ns of names) {
      const bucket = namespaces.get(ns)
      if (bucket === undefined) continue
      bucket.sorted ??= [...bucket.objects.keys()].sort(byString)
      for (const name of bucket.sorted) out.push(bucket.objects.get(name) as KObject)
    }
    return out
  }

  /** Every object, sorted by kind, namespace and name (the snapshot order). */
  all (): KObject[] {
    const out: KObject[] = []
    for (const key of [...this.kinds.keys()].sort(byString)) {
      const slash = key.indexOf('/')
      out.push(...this.list(key.slice(0, slash), key.slice(slash + 1)))
    }
    return out
  }

  clear (): void {
    this.kinds.clear()
    this.count = 0
  }
}
