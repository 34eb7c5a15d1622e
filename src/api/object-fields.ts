// Field paths of a concrete object, under the merge semantics of its kind: the set of paths
// an object sets (what an applier owns), the value at a path, the removal of a path, and the
// path as Kubernetes prints it in conflict messages (`.spec.containers[name="web"].image`).

import { deepEqual } from '../store/deep.ts'
import { isPlainObject } from './body.ts'
import { fieldElement, FieldSet, keyElement, parseElement, valueElement, type FieldPath, type PathElement } from './field-set.ts'
import type { ListSemantics, MergeSemantics, SchemaPath } from './merge-semantics.ts'

type JsonMap = Record<string, unknown>

/** The key of an associative list element in the declared key order (defaults filled), or undefined when a key field is missing. */
export function elementKey (element: unknown, list: Extract<ListSemantics, { type: 'associative' }>): JsonMap | undefined {
  if (!isPlainObject(element)) return undefined
  const key: JsonMap = {}
  for (const k of list.keys) {
    const v = Object.hasOwn(element, k) && element[k] !== null ? element[k] : list.defaults[k]
    if (v === undefined) return undefined
    key[k] = v
  }
  return key
}

/** How a list is walked: as the semantics say, or atomic when an element lacks its key. */
function effectiveList (list: ListSemantics, elements: readonly unknown[]): ListSemantics {
  if (list.type === 'associative' && elements.some(e => elementKey(e, list) === undefined)) return { type: 'atomic' }
  if (list.type === 'set' && elements.some(e => isPlainObject(e) || Array.isArray(e))) return { type: 'atomic' }
  return list
}

/** The list semantics actually used for `elements` at `path`. */
export function listSemanticsOf (sem: MergeSemantics, path: SchemaPath, elements: readonly unknown[]): ListSemantics {
  return effectiveList(sem.list(path), elements)
}

/**
 * Every path `value` sets: scalars, atomic values and empty objects are leaves; associative
 * and set list elements are members too (so an element is owned with its fields); plain
 * objects are not members themselves. Null fields set nothing.
 */
export function fieldSetOf (value: JsonMap, sem: MergeSemantics): FieldSet {
  const out: FieldPath[] = []
  const walkObject = (obj: JsonMap, path: PathElement[], schema: string[]): void => {
    for (const [k, v] of Object.entries(obj)) walkValue(v, [...path, fieldElement(k)], [...schema, k])
  }
  const walkValue = (v: unknown, path: PathElement[], schema: string[]): void => {
    if (v === null || v === undefined) return
    if (isPlainObject(v)) {
      if (Object.keys(v).length === 0 || sem.atomicObject(schema)) out.push(path)
      else walkObject(v, path, schema)
      return
    }
    if (!Array.isArray(v) || v.length === 0) {
      out.push(path)
      return
    }
    const list = listSemanticsOf(sem, schema, v)
    if (list.type === 'atomic') {
      out.push(path)
    } else if (list.type === 'set') {
      for (const e of v) out.push([...path, valueElement(e)])
    } else {
      // Elements of an atomic type (owner references, image pull secrets) are owned whole.
      const whole = sem.atomicObject(schema)
      for (const e of v) {
        const el = [...path, keyElement(elementKey(e, list) as JsonMap)]
        out.push(el)
        if (!whole) walkObject(e as JsonMap, el, schema)
      }
    }
  }
  walkObject(value, [], [])
  return FieldSet.of(out)
}

function sameKey (a: JsonMap, b: JsonMap): boolean {
  const ka = Object.keys(a)
  return ka.length === Object.keys(b).length && ka.every(k => deepEqual(a[k], b[k]))
}


/** Where one path element points inside `container`: the index in a list, or the field name. */
function locate (container: unknown, el: PathElement, schema: string[], sem: MergeSemantics): { list: unknown[], index: number } | { obj: JsonMap, field: string } | undefined {
  const parsed = parseElement(el)
  if (parsed.type === 'f') return isPlainObject(container) ? { obj: container, field: parsed.name } : undefined
  if (!Array.isArray(container)) return undefined
  if (parsed.type === 'i') return { list: container, index: parsed.index }
  if (parsed.type === 'v') return { list: container, index: container.findIndex(e => deepEqual(e, parsed.value)) }
  const list = sem.list(schema)
  if (list.type !== 'associative') return undefined
  return { list: container, index: container.findIndex(e => { const k = elementKey(e, list); return k !== undefined && sameKey(k, parsed.key) }) }
}

/** The value at `path` in `obj`, or undefined when it is absent. */
export function valueAt (obj: unknown, path: FieldPath, sem: MergeSemantics): unknown {
  let cur: unknown = obj
  const schema: string[] = []
  for (const el of path) {
    const at = locate(cur, el, schema, sem)
    if (at === undefined) return undefined
    if ('obj' in at) {
      if (!Object.hasOwn(at.obj, at.field)) return undefined
      cur = at.obj[at.field]
      schema.push(at.field)
    } else {
      if (at.index < 0 || at.index >= at.list.length) return undefined
      cur = at.list[at.index]
    }
  }
  return cur
}

/** Removes the value at `path` from `obj` (modified in place); nothing when it is absent. Returns whether something went. */
export function removeAt (obj: JsonMap, path: FieldPath, sem: MergeSemantics): boolean {
  let cur: unknown = obj
  const schema: string[] = []
  for (let i = 0; i < path.length; i++) {
    const at = locate(cur, path[i] as PathElement, schema, sem)
    if (at === undefined) return false
    const last = i === path.length - 1
    if ('obj' in at) {
      if (!Object.hasOwn(at.obj, at.field)) return false
      if (last) {
        delete at.obj[at.field]
        return true
      }
      cur = at.obj[at.field]
      schema.push(at.field)
    } else {
      if (at.index < 0 || at.index >= at.list.length) return false
      if (last) {
        at.list.splice(at.index, 1)
        return true
      }
      cur = at.list[at.index]
    }
  }
  return false
}

/** The field names along `path` (list elements left out), as merge semantics take them. */
export function schemaPathOf (path: FieldPath): string[] {
  return path.filter(el => el.startsWith('f:')).map(el => el.slice(2))
}

/** A path as Kubernetes prints it: `.spec.replicas`, `.spec.containers[name="web"].image`, `.metadata.finalizers[="x"]`. */
export function describePath (path: FieldPath): string {
  return path.map(el => {
    const p = parseElement(el)
    switch (p.type) {
      case 'f': return `.${p.name}`
      case 'i': return `[${p.index}]`
      case 'v': return `[=${JSON.stringify(p.value)}]`
      case 'k': return `[${Object.entries(p.key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`
    }
    return ''
  }).join('')
}
