// PATCH bodies: JSON Merge Patch (RFC 7386) and JSON Patch (RFC 6902), applied to plain
// JSON values (the strategic merge patch kubectl sends lives in strategic-merge.ts). All are
// pure: the input document is never modified. A malformed patch document is a 400; a
// well-formed patch that does not apply (a failed `test`, a missing path) is a 422, as
// Kubernetes answers.

import { ApiError, badRequest } from './status.ts'
import { deepEqual } from '../store/deep.ts'
import { isPlainObject } from './body.ts'

export const MERGE_PATCH = 'application/merge-patch+json'
export const JSON_PATCH = 'application/json-patch+json'
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json'
export const PATCH_TYPES: readonly string[] = [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH]

/** Defines an own property even for keys like `__proto__`, which plain assignment would treat as the prototype. */
function setOwn (obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true })
}

function cloneJson<T> (v: T): T {
  return structuredClone(v)
}

/** RFC 7386 §2: null removes a member, objects merge recursively, anything else replaces. */
export function applyMergePatch (target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return cloneJson(patch)
  const result: Record<string, unknown> = {}
  if (isPlainObject(target)) {
    for (const [k, v] of Object.entries(target)) setOwn(result, k, cloneJson(v))
  }
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete result[k]
    else setOwn(result, k, applyMergePatch(Object.hasOwn(result, k) ? result[k] : undefined, v))
  }
  return result
}

interface Operation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test'
  path: string
  from?: string
  value?: unknown
}

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test'])

/** Checks the shape of a JSON Patch document (400 when it is not one). */
export function parseJsonPatch (doc: unknown): Operation[] {
  if (!Array.isArray(doc)) throw badRequest('a JSON Patch must be an array of operations')
  return doc.map((op: unknown, i): Operation => {
    if (!isPlainObject(op) || typeof op.op !== 'string' || !OPS.has(op.op) || typeof op.path !== 'string') {
      throw badRequest(`JSON Patch operation ${i} needs "op" (add, remove, replace, move, copy or test) and a string "path"`)
    }
    if ((op.op === 'move' || op.op === 'copy') && typeof op.from !== 'string') throw badRequest(`JSON Patch operation ${i} (${op.op}) needs a string "from"`)
    if ((op.op === 'add' || op.op === 'replace' || op.op === 'test') && !Object.hasOwn(op, 'value')) throw badRequest(`JSON Patch operation ${i} (${op.op}) needs a "value"`)
    return op as unknown as Operation
  })
}

const notApplicable = (message: string): ApiError => new ApiError(422, 'Invalid', `the JSON Patch does not apply: ${message}`)

/** RFC 6901 pointer → reference tokens. */
function tokens (pointer: string): string[] {
  if (pointer === '') return []
  if (!pointer.startsWith('/')) throw notApplicable(`path ${JSON.stringify(pointer)} must be empty or start with "/"`)
  return pointer.slice(1).split('/').map(t => t.replace(/~1/g, '/').replace(/~0/g, '~'))
}

function arrayIndex (arr: unknown[], token: string, forAdd: boolean, pointer: string): number {
  if (forAdd && token === '-') return arr.length
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw notApplicable(`${JSON.stringify(token)} in ${pointer} is not an array index`)
  const i = Number(token)
  if (i > arr.length || (!forAdd && i === arr.length)) throw notApplicable(`index ${i} in ${pointer} is out of range`)
  return i
}

/** The container that holds the last token of `pointer`, and that token. */
function parentOf (doc: unknown, pointer: string): { parent: unknown, key: string } {
  const toks = tokens(pointer)
  const key = toks.pop()
  if (key === undefined) throw notApplicable('the root has no parent')
  let cur = doc
  for (const t of toks) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, t, false, pointer)]
    else if (isPlainObject(cur) && Object.hasOwn(cur, t)) cur = cur[t]
    else throw notApplicable(`path ${pointer} does not exist`)
  }
  if (!Array.isArray(cur) && !isPlainObject(cur)) throw notApplicable(`path ${pointer} does not exist`)
  return { parent: cur, key }
}

function get (doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc
  const { parent, key } = parentOf(doc, pointer)
  if (Array.isArray(parent)) return parent[arrayIndex(parent, key, false, pointer)]
  const obj = parent as Record<string, unknown>
  if (!Object.hasOwn(obj, key)) throw notApplicable(`path ${pointer} does not exist`)
  return obj[key]
}

function add (doc: unknown, pointer: string, value: unknown): unknown {
  if (pointer === '') return value
  const { parent, key } = parentOf(doc, pointer)
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true, pointer), 0, value)
  else setOwn(parent as Record<string, unknown>, key, value)
  return doc
}

function remove (doc: unknown, pointer: string): unknown {
  if (pointer === '') throw notApplicable('cannot remove the whole document')
  const { parent, key } = parentOf(doc, pointer)
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(parent, key, false, pointer), 1)
  } else {
    const obj = parent as Record<string, unknown>
    if (!Object.hasOwn(obj, key)) throw notApplicable(`path ${pointer} does not exist`)
    delete obj[key]
  }
  return doc
}

function replace (doc: unknown, pointer: string, value: unknown): unknown {
  if (pointer === '') return value
  get(doc, pointer)
  const { parent, key } = parentOf(doc, pointer)
  if (Array.isArray(parent)) parent[arrayIndex(parent, key, false, pointer)] = value
  else setOwn(parent as Record<string, unknown>, key, value)
  return doc
}


/** RFC 6902 §4: applies the operations in order to a copy of `doc`; all or nothing. */
export function applyJsonPatch (doc: unknown, ops: readonly Operation[]): unknown {
  let cur = cloneJson(doc)
  for (const op of ops) {
    switch (op.op) {
      case 'add': cur = add(cur, op.path, cloneJson(op.value)); break
      case 'remove': cur = remove(cur, op.path); break
      case 'replace': cur = replace(cur, op.path, cloneJson(op.value)); break
      case 'move': {
        const from = op.from ?? ''
        if (op.path.startsWith(from + '/')) throw notApplicable(`cannot move ${from} into its own child ${op.path}`)
        const value = get(cur, from)
        cur = add(remove(cur, from), op.path, value)
        break
      }
      case 'copy': cur = add(cur, op.path, cloneJson(get(cur, op.from ?? ''))); break
      case 'test':
        if (!deepEqual(get(cur, op.path), op.value)) throw notApplicable(`test of ${op.path} failed`)
        break
    }
  }
  return cur
}
