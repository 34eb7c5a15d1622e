// A compact way to write OpenAPI v3 schemas of Kubernetes types as data, and the compiler to
// the form the Kubernetes API server publishes (the form `kubectl explain` reads):
// one component schema per type, fields that name another type as `allOf: [{$ref}]`, list
// and map semantics as `x-kubernetes-list-type` / `x-kubernetes-list-map-keys` /
// `x-kubernetes-map-type`, kinds tagged with `x-kubernetes-group-version-kind`.
//
// Field types, as strings (IntOrString and Quantity carry a format but no type, so that kubectl
// explain names them, as it does for Kubernetes):
//   string | integer | boolean | number    scalars
//   int-or-string | quantity | time        the shared apimachinery types
//   object                                 a free-form object (unknown fields kept)
//   Name                                   another type, by its short name (Container)
//   []T | {}T                              a list of T | a map from string to T

export interface FieldDef {
  type: string
  description: string
  required?: boolean
  enum?: readonly string[]
  /** For a list: merge elements on these key fields (x-kubernetes-list-type: map). */
  keys?: readonly string[]
  /** For a list of scalars: a set (x-kubernetes-list-type: set). */
  set?: boolean
  /** For a map: replaced as a whole (x-kubernetes-map-type: atomic). */
  atomic?: boolean
  /** The value the server fills in when the field is left out. */
  default?: string | number | boolean
}

export interface TypeDef {
  description: string
  fields: Readonly<Record<string, FieldDef>>
  /** Unknown fields are kept (x-kubernetes-preserve-unknown-fields). */
  open?: boolean
  /** The object is replaced as a whole (x-kubernetes-map-type: atomic). */
  atomic?: boolean
  gvk?: { group: string, version: string, kind: string }
}

/** Types of one Go package, named `${prefix}${short name}` in the documents. */
export interface TypeGroup {
  prefix: string
  types: Readonly<Record<string, TypeDef>>
}

/** A field: `f('integer', 'How many …', { required: true })`. */
export function f (type: string, description: string, options: Omit<FieldDef, 'type' | 'description'> = {}): FieldDef {
  return { type, description, ...options }
}

const SCALARS = new Set(['string', 'integer', 'boolean', 'number'])

/** Schemas of the shared apimachinery types, referenced by the field types of the same name. */
export const SHARED: Readonly<Record<string, { name: string, schema: Record<string, unknown> }>> = {
  'int-or-string': {
    name: 'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
    schema: { description: 'A value that holds either a whole number or a string (a port number or a port name, a count or a percentage).', format: 'int-or-string' }
  },
  quantity: {
    name: 'io.k8s.apimachinery.pkg.api.resource.Quantity',
    schema: { description: 'An amount of a resource in Kubernetes\' notation: 100m is a tenth of a CPU, 64Mi is 64 mebibytes, 1 is one unit.', format: 'quantity' }
  },
  time: {
    name: 'io.k8s.apimachinery.pkg.apis.meta.v1.Time',
    schema: { description: 'A point in time, written in RFC 3339 form (2024-01-02T15:04:05Z).', type: 'string', format: 'date-time' }
  }
}

const ref = (name: string): Record<string, unknown> => ({ $ref: `#/components/schemas/${name}` })

/** Compiles type groups into components.schemas; `resolve` maps a short name to the full one. */
export function compileSchemas (groups: readonly TypeGroup[]): Record<string, Record<string, unknown>> {
  const fullNames = new Map<string, string>()
  for (const g of groups) {
    for (const short of Object.keys(g.types)) {
      if (fullNames.has(short)) throw new Error(`schema type ${short} is defined twice`)
      fullNames.set(short, g.prefix + short)
    }
  }
  const typeRef = (type: string): string => {
    const shared = SHARED[type]
    if (shared !== undefined) return shared.name
    const full = fullNames.get(type)
    if (full === undefined) throw new Error(`schema type ${type} is not defined`)
    return full
  }
  /** The schema of a value of `type` (an element, or a field without its description). */
  const valueSchema = (type: string): Record<string, unknown> => {
    if (SCALARS.has(type)) return { type, default: type === 'string' ? '' : type === 'boolean' ? false : 0 }
    if (type === 'object') return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }
    if (type.startsWith('[]')) return { type: 'array', items: valueSchema(type.slice(2)) }
    if (type.startsWith('{}')) return { type: 'object', additionalProperties: valueSchema(type.slice(2)) }
    return { allOf: [ref(typeRef(type))], default: {} }
  }
  const fieldSchema = (def: FieldDef): Record<string, unknown> => {
    const { type } = def
    let s: Record<string, unknown>
    if (SCALARS.has(type)) s = { type, description: def.description }
    else if (type === 'object') s = { type: 'object', description: def.description, 'x-kubernetes-preserve-unknown-fields': true }
    else if (type.startsWith('[]')) s = { type: 'array', description: def.description, items: valueSchema(type.slice(2)) }
    else if (type.startsWith('{}')) s = { type: 'object', description: def.description, additionalProperties: valueSchema(type.slice(2)) }
    else s = { description: def.description, allOf: [ref(typeRef(type))] }
    if (def.enum !== undefined) s.enum = [...def.enum]
    if (def.default !== undefined) s.default = def.default
    if (type.startsWith('[]')) {
      // kubectl's client-side apply reads the strategic-merge markers (x-kubernetes-patch-*),
      // not the list types: without them it replaces lists whole, so a re-applied file would
      // always be 'configured' and fields set outside it would be lost. Every keyed or set list
      // Kubernetes publishes merges on its first key.
      if (def.keys !== undefined) {
        s['x-kubernetes-list-type'] = 'map'
        s['x-kubernetes-list-map-keys'] = [...def.keys]
        s['x-kubernetes-patch-merge-key'] = def.keys[0]
        s['x-kubernetes-patch-strategy'] = 'merge'
      } else if (def.set === true) {
        s['x-kubernetes-list-type'] = 'set'
        s['x-kubernetes-patch-strategy'] = 'merge'
      } else {
        s['x-kubernetes-list-type'] = 'atomic'
      }
    }
    if (def.atomic === true) s['x-kubernetes-map-type'] = 'atomic'
    return s
  }
  const out: Record<string, Record<string, unknown>> = {}
  for (const shared of Object.values(SHARED)) out[shared.name] = shared.schema
  for (const g of groups) {
    for (const [short, def] of Object.entries(g.types)) {
      const properties: Record<string, unknown> = {}
      for (const name of Object.keys(def.fields).sort()) properties[name] = fieldSchema(def.fields[name] as FieldDef)
      const s: Record<string, unknown> = { description: def.description, type: 'object', properties }
      const required = Object.entries(def.fields).filter(([, d]) => d.required === true).map(([n]) => n).sort()
      if (required.length > 0) s.required = required
      if (def.open === true) s['x-kubernetes-preserve-unknown-fields'] = true
      if (def.atomic === true) s['x-kubernetes-map-type'] = 'atomic'
      if (def.gvk !== undefined) s['x-kubernetes-group-version-kind'] = [def.gvk]
      out[g.prefix + short] = s
    }
  }
  return out
}

/** Names of the schemas `name` refers to, itself included (the closure a document must carry). */
export function referencedSchemas (schemas: Readonly<Record<string, unknown>>, roots: readonly string[]): Set<string> {
  const seen = new Set<string>()
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach(visit)
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref' && typeof x === 'string') add(x.slice('#/components/schemas/'.length))
        else visit(x)
      }
    }
  }
  const add = (name: string): void => {
    if (seen.has(name)) return
    seen.add(name)
    visit(schemas[name])
  }
  roots.forEach(add)
  return seen
}
