// Field selectors: `metadata.name=x,metadata.namespace!=y,status.phase=Running,spec.nodeName=`,
// terms ANDed, operators `=`, `==` and `!=`, with `\,` `\=` `\\` escapes as in
// k8s.io/apimachinery/pkg/fields. Any dotted path is accepted: its value is the string, number
// or boolean found there, and '' when absent (so `spec.nodeName=` selects unscheduled pods).

import type { KObject } from './types.ts'
import { SelectorError } from './selector-error.ts'

export interface FieldRequirement {
  path: string
  operator: '=' | '!='
  value: string
}

/** Split on unescaped `sep`, keeping escapes for the next stage. */
function splitUnescaped (text: string, sep: string): string[] {
  const parts: string[] = []
  let current = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    if (c === '\\' && i + 1 < text.length) {
      current += c + (text[i + 1] as string)
      i++
    } else if (c === sep) {
      parts.push(current)
      current = ''
    } else current += c
  }
  parts.push(current)
  return parts
}

function unescape (text: string, whole: string): string {
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    if (c !== '\\') { out += c; continue }
    const n = text[i + 1]
    if (n === undefined || !'\\,='.includes(n)) throw new SelectorError(`Invalid field selector ${JSON.stringify(whole)}: invalid escape sequence '\\${n ?? ''}': only \\\\, \\, and \\= may be escaped`)
    out += n
    i++
  }
  return out
}

/** Parse the syntax; throws SelectorError. Empty text selects everything. */
export function parseFieldSelector (text: string): FieldRequirement[] {
  if (text.trim() === '') return []
  return splitUnescaped(text, ',').map((term) => {
    for (let i = 0; i < term.length; i++) {
      if (term[i] === '\\') { i++; continue }
      for (const op of ['!=', '==', '='] as const) {
        if (!term.startsWith(op, i)) continue
        const path = unescape(term.slice(0, i), text).trim()
        if (path === '') throw new SelectorError(`Invalid field selector ${JSON.stringify(text)}: the term ${JSON.stringify(term)} has no field name before '${op}'`)
        if (!/^[A-Za-z0-9_.-]+$/.test(path)) throw new SelectorError(`Invalid field selector ${JSON.stringify(text)}: ${JSON.stringify(path)} is not a dotted field path such as metadata.name or status.phase`)
        return { path, operator: op === '!=' ? '!=' : '=', value: unescape(term.slice(i + op.length), text).trim() }
      }
    }
    throw new SelectorError(`Invalid field selector ${JSON.stringify(text)}: can't understand ${JSON.stringify(term)}: expected field=value, field==value or field!=value`)
  })
}

/** The selectable value at a dotted path: strings as they are, numbers and booleans as text, else ''. */
export function fieldValue (obj: KObject, path: string): string {
  let v: unknown = obj
  for (const part of path.split('.')) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return ''
    v = (v as Record<string, unknown>)[part]
  }
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return ''
}

export function matchesFields (reqs: readonly FieldRequirement[], obj: KObject): boolean {
  for (const r of reqs) {
    const equal = fieldValue(obj, r.path) === r.value
    if (equal !== (r.operator === '=')) return false
  }
  return true
}
