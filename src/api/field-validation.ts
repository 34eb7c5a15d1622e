// Server-side field validation (the `fieldValidation` query parameter kubectl sends: Strict
// by default for `kubectl apply` and `kubectl create`): fields a body sets that the kind's
// schema does not declare are refused (Strict, 400 BadRequest) or reported in a Warning
// header (Warn); Ignore, or no parameter, checks nothing. The schemas are the ones published
// in the OpenAPI documents (schemas/), so `kubectl explain` and validation agree. Parts of a
// schema written as free-form objects accept any field.
//
// What is checked: the object of a create, a PUT and an apply, and the patch document of a
// merge or strategic merge patch (its `$` directives aside); JSON patches are not checked.

import type { ServerResponse } from 'node:http'
import { isPlainObject } from './body.ts'
import { query, type RequestContext } from './context.ts'
import { schemaNameFor, SCHEMAS } from './schemas/index.ts'
import { badRequest } from './status.ts'

type Schema = Readonly<Record<string, unknown>>

const PREFIX = '#/components/schemas/'

/** The schema a field schema stands for: its `$ref` (direct or through allOf) resolved. */
function resolve (s: Schema | undefined): Schema | undefined {
  if (s === undefined) return undefined
  const direct = s.$ref
  const allOf = Array.isArray(s.allOf) ? (s.allOf[0] as Schema | undefined)?.$ref : undefined
  const r = typeof direct === 'string' ? direct : typeof allOf === 'string' ? allOf : undefined
  return r === undefined ? s : SCHEMAS[r.slice(PREFIX.length)]
}

/** Paths (as Kubernetes prints them: `spec.containers[0].foo`) of fields `value` sets that `schema` does not declare. */
export function unknownFields (value: unknown, schema: Schema | undefined, path = '', out: string[] = []): string[] {
  const s = resolve(schema)
  if (s === undefined || value === null || value === undefined) return out
  if (Array.isArray(value)) {
    const items = s.items as Schema | undefined
    if (items !== undefined) value.forEach((v, i) => unknownFields(v, items, `${path}[${i}]`, out))
    return out
  }
  if (!isPlainObject(value)) return out
  const props = s.properties as Record<string, Schema> | undefined
  const additional = s.additionalProperties as Schema | undefined
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$')) continue
    const sub = props?.[k] ?? additional
    const at = path === '' ? k : `${path}.${k}`
    if (sub === undefined) {
      if (props !== undefined && s['x-kubernetes-preserve-unknown-fields'] !== true && v !== null) out.push(at)
      continue
    }
    unknownFields(v, sub, at, out)
  }
  return out
}

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict'

/** The request's fieldValidation directive; Ignore when absent. */
export function fieldValidationOf (ctx: RequestContext): FieldValidation {
  const v = query(ctx, 'fieldValidation')
  if (v === undefined || v === '' || v === 'Ignore') return 'Ignore'
  if (v === 'Warn' || v === 'Strict') return v
  throw badRequest(`fieldValidation ${JSON.stringify(v)} is not one of Ignore, Warn or Strict`)
}

/** Adds RFC 7234 Warning headers, as the API server words them (kubectl prints them as `Warning: …`). */
function warn (res: ServerResponse, messages: readonly string[]): void {
  const existing = res.getHeader('Warning')
  const list = Array.isArray(existing) ? existing : typeof existing === 'string' ? [existing] : []
  res.setHeader('Warning', [...list, ...messages.map(m => `299 - ${JSON.stringify(m)}`)])
}

/**
 * Checks `body` (an object of the route's kind, or a patch of one) as the request's
 * fieldValidation says: 400 on unknown fields under Strict, Warning headers under Warn.
 */
export function checkFields (ctx: RequestContext, body: unknown): void {
  const mode = fieldValidationOf(ctx)
  if (mode === 'Ignore') return
  const { kind } = ctx.route
  const name = schemaNameFor(kind.group, kind.version, kind.kind)
  if (name === undefined) return
  const unknown = unknownFields(body, SCHEMAS[name]).map(p => `unknown field ${JSON.stringify(p)}`)
  if (unknown.length === 0) return
  if (mode === 'Warn') {
    warn(ctx.res, unknown)
    return
  }
  const version = kind.group === '' ? kind.version : `${kind.group}/${kind.version}`
  throw badRequest(`${kind.kind} in version ${JSON.stringify(version)} cannot be handled as a ${kind.kind}: strict decoding error: ${unknown.join(', ')}`)
}
