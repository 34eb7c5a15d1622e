// Label selectors: the string syntax of `?labelSelector=` (`a=b,c!=d,e in (f,g),h notin (i),j,!k`)
// and the structured `LabelSelector` of Deployments, ReplicaSets and Services
// ({ matchLabels, matchExpressions }), both compiled to one list of requirements that are
// ANDed. Semantics follow k8s.io/apimachinery/pkg/labels: `!=` and `notin` also match objects
// without the key; `in`, `=` and `==` require it; `gt`/`lt` compare integers.

import { labelValueErrors, qualifiedNameErrors } from '../objects/validation.ts'
import { SelectorError } from './selector-error.ts'

export type LabelOperator = '=' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt'

/** One parsed requirement; `values` is empty for `exists` and `!`. */
export interface LabelRequirement {
  key: string
  operator: LabelOperator
  values: string[]
}

/** metav1.LabelSelectorRequirement */
export interface LabelSelectorRequirement {
  key: string
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'
  values?: string[]
}

/** metav1.LabelSelector: an empty selector matches everything; an absent one matches nothing. */
export interface LabelSelector {
  matchLabels?: Record<string, string>
  matchExpressions?: LabelSelectorRequirement[]
}

type Token = { t: 'id', v: string } | { t: 'op', v: '=' | '==' | '!=' | '!' | '(' | ')' | ',' | '>' | '<' } | { t: 'end' }

function lex (text: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i] as string
    if (/\s/.test(c)) { i++; continue }
    const two = text.slice(i, i + 2)
    if (two === '==' || two === '!=') { out.push({ t: 'op', v: two }); i += 2; continue }
    if ('=!(),<>'.includes(c)) { out.push({ t: 'op', v: c as '=' }); i++; continue }
    let j = i
    while (j < text.length && !/[\s=!(),<>]/.test(text[j] as string)) j++
    out.push({ t: 'id', v: text.slice(i, j) })
    i = j
  }
  out.push({ t: 'end' })
  return out
}

const show = (tok: Token): string => tok.t === 'end' ? 'end of string' : `'${tok.v}'`

/** Parse the string syntax. Throws SelectorError naming what was expected. Empty text selects everything. */
export function parseLabelSelector (text: string): LabelRequirement[] {
  const tokens = lex(text)
  let pos = 0
  const peek = (): Token => tokens[pos] as Token
  const next = (): Token => tokens[pos++] as Token
  const fail = (detail: string): never => { throw new SelectorError(`Invalid label selector ${JSON.stringify(text)}: ${detail}`) }
  const reqs: LabelRequirement[] = []
  if (peek().t === 'end') return reqs
  for (;;) {
    let tok = next()
    if (tok.t === 'op' && tok.v === '!') {
      const key = next()
      if (key.t !== 'id') fail(`found ${show(key)}, expected: a label key after '!'`)
      reqs.push(requirement(text, (key as { v: string }).v, '!', []))
    } else if (tok.t === 'id') {
      const key = tok.v
      tok = peek()
      if (tok.t === 'end' || (tok.t === 'op' && tok.v === ',')) {
        reqs.push(requirement(text, key, 'exists', []))
      } else if (tok.t === 'op' && (tok.v === '=' || tok.v === '==' || tok.v === '!=')) {
        next()
        const value = peek()
        let v = ''
        if (value.t === 'id') { v = value.v; next() } else if (!(value.t === 'end' || (value.t === 'op' && value.v === ','))) fail(`found ${show(value)}, expected: a label value`)
        reqs.push(requirement(text, key, tok.v === '!=' ? '!=' : '=', [v]))
      } else if (tok.t === 'op' && (tok.v === '>' || tok.v === '<')) {
        next()
        const value = next()
        if (value.t !== 'id' || !/^-?[0-9]+$/.test(value.v)) fail(`found ${show(value)}, expected: an integer after '${tok.v}'`)
        reqs.push(requirement(text, key, tok.v === '>' ? 'gt' : 'lt', [(value as { v: string }).v]))
      } else if (tok.t === 'id' && (tok.v === 'in' || tok.v === 'notin')) {
        next()
        const values = parseSet(next, peek, fail)
        reqs.push(requirement(text, key, tok.v, values))
      } else {
        fail(`found ${show(tok)}, expected: '=', '!=', '==', 'in', 'notin', ',' or end of string`)
      }
    } else {
      fail(`found ${show(tok)}, expected: a label key or '!'`)
    }
    const sep = next()
    if (sep.t === 'end') return reqs
    if (!(sep.t === 'op' && sep.v === ',')) fail(`found ${show(sep)}, expected: ',' or end of string`)
  }
}

function parseSet (next: () => Token, peek: () => Token, fail: (d: string) => never): string[] {
  const open = next()
  if (!(open.t === 'op' && open.v === '(')) fail(`found ${show(open)}, expected: '('`)
  const values: string[] = []
  for (;;) {
    const tok = peek()
    if (tok.t === 'id') { values.push(tok.v); next() } else values.push('')
    const sep = next()
    if (sep.t === 'op' && sep.v === ')') return values
    if (!(sep.t === 'op' && sep.v === ',')) fail(`found ${show(sep)}, expected: ',' or ')'`)
  }
}

function requirement (text: string, key: string, operator: LabelOperator, values: string[]): LabelRequirement {
  const keyErrors = qualifiedNameErrors(key)
  if (keyErrors.length > 0) throw new SelectorError(`Invalid label selector ${JSON.stringify(text)}: invalid label key ${JSON.stringify(key)}: ${keyErrors.join('; ')}`)
  if (operator !== 'gt' && operator !== 'lt') {
    for (const v of values) {
      const valueErrors = labelValueErrors(v)
      if (valueErrors.length > 0) throw new SelectorError(`Invalid label selector ${JSON.stringify(text)}: invalid label value ${JSON.stringify(v)}: ${valueErrors.join('; ')}`)
    }
  }
  return { key, operator, values }
}

function matchesOne (r: LabelRequirement, labels: Readonly<Record<string, string>> | undefined): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, r.key)
  const value = has ? (labels as Record<string, string>)[r.key] as string : undefined
  switch (r.operator) {
    case '=': case 'in': return has && r.values.includes(value as string)
    case '!=': case 'notin': return !has || !r.values.includes(value as string)
    case 'exists': return has
    case '!': return !has
    case 'gt': case 'lt': {
      if (!has || !/^-?[0-9]+$/.test(value as string)) return false
      const n = Number(value)
      const bound = Number(r.values[0])
      return r.operator === 'gt' ? n > bound : n < bound
    }
  }
}

/** True when `labels` satisfy every requirement (an empty list matches everything). */
export function matchesLabels (reqs: readonly LabelRequirement[], labels: Readonly<Record<string, string>> | undefined): boolean {
  for (const r of reqs) if (!matchesOne(r, labels)) return false
  return true
}

const OPERATORS: Record<string, LabelOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' }

/** Requirements of a structured selector. Throws SelectorError for an unknown operator or bad values. */
export function labelSelectorRequirements (sel: LabelSelector): LabelRequirement[] {
  const reqs: LabelRequirement[] = []
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) reqs.push(requirement('matchLabels', key, '=', [value]))
  for (const e of sel.matchExpressions ?? []) {
    const operator = OPERATORS[e.operator]
    if (operator === undefined) throw new SelectorError(`Invalid label selector: ${JSON.stringify(e.operator)} is not a valid label selector operator`)
    const values = e.values ?? []
    if ((operator === 'in' || operator === 'notin') && values.length === 0) throw new SelectorError(`Invalid label selector: for 'in', 'notin' operators, values set can't be empty (key ${JSON.stringify(e.key)})`)
    if ((operator === 'exists' || operator === '!') && values.length > 0) throw new SelectorError(`Invalid label selector: values set must be empty for exists and does not exist (key ${JSON.stringify(e.key)})`)
    reqs.push(requirement('matchExpressions', e.key, operator, values))
  }
  return reqs
}

/** Does a structured selector select these labels? Absent selects nothing, `{}` everything; invalid selects nothing. */
export function selectorMatches (sel: LabelSelector | undefined | null, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (sel === undefined || sel === null) return false
  try {
    return matchesLabels(labelSelectorRequirements(sel), labels)
  } catch (err) {
    if (err instanceof SelectorError) return false
    throw err
  }
}

/** The string form, keys sorted as Kubernetes prints them: `app=web,tier in (a,b)`. */
export function formatLabelSelector (sel: LabelSelector | readonly LabelRequirement[]): string {
  const reqs = Array.isArray(sel) ? [...sel as readonly LabelRequirement[]] : labelSelectorRequirements(sel as LabelSelector)
  reqs.sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  return reqs.map((r) => {
    switch (r.operator) {
      case '=': case '!=': return `${r.key}${r.operator}${r.values[0] ?? ''}`
      case 'in': case 'notin': return `${r.key} ${r.operator} (${[...r.values].sort().join(',')})`
      case 'exists': return r.key
      case '!': return `!${r.key}`
      case 'gt': return `${r.key}>${r.values[0] ?? ''}`
      case 'lt': return `${r.key}<${r.values[0] ?? ''}`
    }
  }).join(',')
}
