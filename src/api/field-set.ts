// Sets of field paths, as server-side apply records ownership in `metadata.managedFields`.
//
// A path is a list of elements, each in Kubernetes' FieldsV1 notation:
//   f:<name>       a field of an object or a key of a map       (f:spec, f:app)
//   k:<json>       the element of an associative list with these key values
//                  (k:{"name":"web"}, k:{"containerPort":80,"protocol":"TCP"})
//   v:<json>       the element of a set-like list of scalars     (v:"example.com/finalizer")
// A set holds member paths. FieldsV1 writes it as a tree: each element is a key, a member
// without members below it is `{}`, and a member that also has members below it carries
// `".": {}`. Pure values: every operation returns a new set.

import { isPlainObject } from './body.ts'

export type PathElement = string
export type FieldPath = readonly PathElement[]

/** Joins path elements into one string key; no element contains a NUL. */
const SEP = '\u0000'

/** A FieldsV1 document that is not a tree of objects with f:/k:/v:/i: keys. */
export class FieldsV1Error extends Error {
  override readonly name = 'FieldsV1Error'
}

export class FieldSet {
  private readonly members: ReadonlySet<string>

  private constructor (members: ReadonlySet<string>) {
    this.members = members
  }

  static empty (): FieldSet {
    return new FieldSet(new Set())
  }

  static of (paths: Iterable<FieldPath>): FieldSet {
    const s = new Set<string>()
    for (const p of paths) if (p.length > 0) s.add(p.join(SEP))
    return new FieldSet(s)
  }

  get size (): number {
    return this.members.size
  }

  isEmpty (): boolean {
    return this.members.size === 0
  }

  has (path: FieldPath): boolean {
    return this.members.has(path.join(SEP))
  }

  /** Whether the set has `path` or any path below it. */
  hasPrefix (path: FieldPath): boolean {
    if (this.has(path)) return true
    const prefix = path.join(SEP) + SEP
    for (const m of this.members) if (m.startsWith(prefix)) return true
    return false
  }

  /** Member paths in a stable (sorted) order. */
  paths (): FieldPath[] {
    return [...this.members].sort().map(m => m.split(SEP))
  }

  union (other: FieldSet): FieldSet {
    return new FieldSet(new Set([...this.members, ...other.members]))
  }

  difference (other: FieldSet): FieldSet {
    return new FieldSet(new Set([...this.members].filter(m => !other.members.has(m))))
  }

  intersection (other: FieldSet): FieldSet {
    return new FieldSet(new Set([...this.members].filter(m => other.members.has(m))))
  }

  equals (other: FieldSet): boolean {
    return this.members.size === other.members.size && [...this.members].every(m => other.members.has(m))
  }

  /** The set in FieldsV1 form: a tree whose keys are path elements, sorted, `.` first. */
  toFieldsV1 (): Record<string, unknown> {
    interface Node { member: boolean, children: Map<string, Node> }
    const root: Node = { member: false, children: new Map() }
    for (const m of this.members) {
      let node = root
      for (const el of m.split(SEP)) {
        let child = node.children.get(el)
        if (child === undefined) {
          child = { member: false, children: new Map() }
          node.children.set(el, child)
        }
        node = child
      }
      node.member = true
    }
    const write = (node: Node): Record<string, unknown> => {
      const out: Record<string, unknown> = {}
      if (node.member && node.children.size > 0) out['.'] = {}
      for (const key of [...node.children.keys()].sort()) {
        Object.defineProperty(out, key, { value: write(node.children.get(key) as Node), enumerable: true, writable: true, configurable: true })
      }
      return out
    }
    return write(root)
  }

  /** Reads a FieldsV1 tree (as written by toFieldsV1 or by Kubernetes). */
  static fromFieldsV1 (doc: unknown): FieldSet {
    const out = new Set<string>()
    const walk = (node: unknown, path: string[]): void => {
      if (!isPlainObject(node)) throw new FieldsV1Error(`fieldsV1 at ${path.join('.') || 'its root'} must be an object`)
      const keys = Object.keys(node)
      if (path.length > 0 && (keys.length === 0 || keys.includes('.'))) out.add(path.join(SEP))
      for (const key of keys) {
        if (key === '.') continue
        if (!/^[fkvi]:/.test(key) || key.includes(SEP)) throw new FieldsV1Error(`fieldsV1 key ${JSON.stringify(key)} is not a path element (f:, k:, v: or i:)`)
        walk(node[key], [...path, key])
      }
    }
    walk(doc, [])
    return new FieldSet(out)
  }
}

export const fieldElement = (name: string): PathElement => `f:${name}`
export const keyElement = (key: Readonly<Record<string, unknown>>): PathElement => `k:${JSON.stringify(key)}`
export const valueElement = (value: unknown): PathElement => `v:${JSON.stringify(value)}`

/** The parts of an element: its type letter and its name or decoded JSON. */
export function parseElement (el: PathElement): { type: 'f', name: string } | { type: 'k', key: Record<string, unknown> } | { type: 'v', value: unknown } | { type: 'i', index: number } {
  const body = el.slice(2)
  switch (el[0]) {
    case 'f': return { type: 'f', name: body }
    case 'i': return { type: 'i', index: Number(body) }
    case 'k': {
      const key: unknown = JSON.parse(body)
      if (!isPlainObject(key)) throw new FieldsV1Error(`path element ${el} must name an object of key fields`)
      return { type: 'k', key }
    }
    case 'v': return { type: 'v', value: JSON.parse(body) as unknown }
    default: throw new FieldsV1Error(`path element ${JSON.stringify(el)} is not f:, k:, v: or i:`)
  }
}
