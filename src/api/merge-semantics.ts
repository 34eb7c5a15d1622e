// How server-side apply treats each list and object of a kind, read from the kind's OpenAPI
// schema (schemas/), as Kubernetes reads it from its own:
// - x-kubernetes-list-type map: an associative list, merged element by element on the key
//   fields of x-kubernetes-list-map-keys (a key field's schema default fills a missing key:
//   container ports without a protocol are TCP);
// - x-kubernetes-list-type set: a set of scalars (metadata.finalizers);
// - x-kubernetes-list-type atomic, and any list the schema does not describe: replaced and
//   owned as one value;
// - x-kubernetes-map-type atomic on a field or its type: an object replaced and owned as one
//   value (label selectors, a Service's selector, owner references);
// - every other object is granular: each field is owned on its own.

import { isPlainObject } from './body.ts'
import { schemaNameFor, SCHEMAS } from './schemas/index.ts'

/** Field names from the object's root to the value, list elements left out: ['spec', 'template', 'spec', 'containers']. */
export type SchemaPath = readonly string[]

export type ListSemantics =
  | { type: 'atomic' }
  | { type: 'set' }
  | { type: 'associative', keys: readonly string[], defaults: Readonly<Record<string, unknown>> }

export interface MergeSemantics {
  list: (path: SchemaPath) => ListSemantics
  /** Whether the object at `path` (or each element of the list at `path`) is owned as a whole. */
  atomicObject: (path: SchemaPath) => boolean
  /** Whether the object at `path` is a map of keys to values (labels, data), not a struct of fields. */
  isMap: (path: SchemaPath) => boolean
}

type Schema = Readonly<Record<string, unknown>>

const PREFIX = '#/components/schemas/'
const ATOMIC: ListSemantics = { type: 'atomic' }

/** The type a field schema refers to ($ref directly or through allOf), or the schema itself. */
function resolve (s: Schema | undefined): Schema | undefined {
  if (s === undefined) return undefined
  const allOf = Array.isArray(s.allOf) ? s.allOf[0] as Schema | undefined : undefined
  const r = s.$ref ?? allOf?.$ref
  return typeof r === 'string' ? SCHEMAS[r.slice(PREFIX.length)] : s
}

/** The field schema at `path` under `root`, stepping into list items; undefined where the schema says nothing. */
function fieldSchemaAt (root: Schema | undefined, path: SchemaPath): Schema | undefined {
  let cur: Schema | undefined = root
  for (const name of path) {
    let t = resolve(cur)
    if (t?.type === 'array') t = resolve(t.items as Schema | undefined)
    if (t === undefined) return undefined
    const props = t.properties as Record<string, Schema> | undefined
    const next: Schema | undefined = props?.[name] ?? (isPlainObject(t.additionalProperties) ? t.additionalProperties : undefined)
    if (next === undefined) return undefined
    cur = next
  }
  return cur
}

function listOf (s: Schema | undefined): ListSemantics {
  if (s?.type !== 'array') return ATOMIC
  const type = s['x-kubernetes-list-type']
  if (type === 'set') return { type: 'set' }
  const keys = s['x-kubernetes-list-map-keys']
  if (type !== 'map' || !Array.isArray(keys)) return ATOMIC
  const item = resolve(s.items as Schema | undefined)
  const props = (item?.properties ?? {}) as Record<string, Schema>
  const defaults: Record<string, unknown> = {}
  for (const k of keys as string[]) {
    const d = props[k]?.default
    if (d !== undefined) defaults[k] = d
  }
  return { type: 'associative', keys: keys as string[], defaults }
}

function isAtomicObject (s: Schema | undefined): boolean {
  if (s === undefined) return false
  if (s.type === 'array') return resolve(s.items as Schema | undefined)?.['x-kubernetes-map-type'] === 'atomic'
  return s['x-kubernetes-map-type'] === 'atomic' || resolve(s)?.['x-kubernetes-map-type'] === 'atomic'
}

const cache = new Map<string, MergeSemantics>()

/** The merge semantics of one kind (every list atomic, every object granular, when no schema is written for it). */
export function mergeSemanticsFor (group: string, version: string, kind: string): MergeSemantics {
  const key = `${group}/${version}/${kind}`
  let sem = cache.get(key)
  if (sem === undefined) {
    const name = schemaNameFor(group, version, kind)
    const root = name === undefined ? undefined : SCHEMAS[name]
    sem = {
      list: path => listOf(fieldSchemaAt(root, path)),
      atomicObject: path => path.length > 0 && isAtomicObject(fieldSchemaAt(root, path)),
      isMap: path => {
        const s = resolve(fieldSchemaAt(root, path))
        return s?.type === 'object' && s.properties === undefined && isPlainObject(s.additionalProperties)
      }
    }
    cache.set(key, sem)
  }
  return sem
}
