// Validation primitives shared by every kind: FieldError constructors whose messages read like
// the Kubernetes API server's (`Invalid value: "Foo": a lowercase RFC 1123 subdomain must …`),
// name and label syntax checks, and small accessors for walking untyped objects.
//
// A FieldError's `message` is the part after the field path; `formatFieldError` joins them
// (`metadata.name: Invalid value: …`) and `invalidMessage` builds the Status message
// `Pod "x" is invalid: …` that the API returns with 422.

import type { FieldError } from './registry.ts'

// ---- constructors -------------------------------------------------------------------------

/** How Kubernetes prints a bad value in a message: strings quoted, the rest as JSON. */
export function formatValue (value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (value === undefined) return 'null'
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

export function required (field: string, detail?: string): FieldError {
  return { field, reason: 'FieldValueRequired', message: detail === undefined ? 'Required value' : `Required value: ${detail}` }
}

export function invalid (field: string, value: unknown, detail: string): FieldError {
  return { field, reason: 'FieldValueInvalid', message: `Invalid value: ${formatValue(value)}: ${detail}` }
}

export function notSupported (field: string, value: unknown, supported: readonly string[]): FieldError {
  return { field, reason: 'FieldValueNotSupported', message: `Unsupported value: ${formatValue(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` }
}

export function duplicate (field: string, value: unknown): FieldError {
  return { field, reason: 'FieldValueDuplicate', message: `Duplicate value: ${formatValue(value)}` }
}

export function forbidden (field: string, detail: string): FieldError {
  return { field, reason: 'FieldValueForbidden', message: `Forbidden: ${detail}` }
}

export function tooLong (field: string, max: number): FieldError {
  return { field, reason: 'FieldValueTooLong', message: `Too long: may not be more than ${max} bytes` }
}

export function notFound (field: string, value: unknown): FieldError {
  return { field, reason: 'FieldValueNotFound', message: `Not found: ${formatValue(value)}` }
}

/** `spec.containers[0].image: Required value` */
export function formatFieldError (e: FieldError): string {
  return e.field === '' ? e.message : `${e.field}: ${e.message}`
}

/** The Status message of a 422: `Pod "x" is invalid: a: …` or `… is invalid: [a: …, b: …]`. */
export function invalidMessage (kind: string, name: string, errors: readonly FieldError[]): string {
  const parts = errors.map(formatFieldError)
  const body = parts.length === 1 ? parts[0] as string : `[${parts.join(', ')}]`
  return `${kind} ${JSON.stringify(name)} is invalid: ${body}`
}

// ---- syntax ---------------------------------------------------------------------------------

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/

/** Problems with a DNS-1123 label (max 63): empty when valid. Messages as Kubernetes words them. */
export function dns1123LabelErrors (value: string): string[] {
  const out: string[] = []
  if (value.length > 63) out.push('must be no more than 63 characters')
  if (!DNS1123_LABEL.test(value)) out.push("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
  return out
}

/** Problems with a DNS-1123 subdomain (max 253). */
export function dns1123SubdomainErrors (value: string): string[] {
  const out: string[] = []
  if (value.length > 253) out.push('must be no more than 253 characters')
  if (!DNS1123_SUBDOMAIN.test(value)) out.push("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
  return out
}

/** Problems with a DNS-1035 label (Service names): must start with a letter. */
export function dns1035LabelErrors (value: string): string[] {
  const out: string[] = []
  if (value.length > 63) out.push('must be no more than 63 characters')
  if (!DNS1035_LABEL.test(value)) out.push("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
  return out
}

/** Problems with a qualified name (`prefix/name` or `name`), the syntax of label and annotation keys. */
export function qualifiedNameErrors (value: string): string[] {
  const parts = value.split('/')
  let name = value
  const out: string[] = []
  if (parts.length === 2) {
    const prefix = parts[0] as string
    name = parts[1] as string
    if (prefix.length === 0) out.push('prefix part must be non-empty')
    else out.push(...dns1123SubdomainErrors(prefix).map((m) => `prefix part ${m}`))
  } else if (parts.length > 2) {
    return ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
  }
  if (name.length === 0) out.push('name part must be non-empty')
  else {
    if (name.length > 63) out.push('name part must be no more than 63 characters')
    if (!QUALIFIED_NAME_PART.test(name)) out.push("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
  }
  return out
}

/** Problems with a label value (may be empty; max 63). */
export function labelValueErrors (value: string): string[] {
  const out: string[] = []
  if (value.length > 63) out.push('must be no more than 63 characters')
  if (!LABEL_VALUE.test(value)) out.push("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
  return out
}

/** Problems with an IANA service name (named ports): max 15, lower case, a letter, no `--`. */
export function ianaSvcNameErrors (value: string): string[] {
  const out: string[] = []
  if (value.length > 15) out.push('must be no more than 15 characters')
  if (!IANA_SVC_NAME.test(value)) out.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
  if (value.includes('--')) out.push('must not contain consecutive hyphens')
  if (!/[a-z]/.test(value)) out.push('must contain at least one letter (a-z)')
  return out
}

/** Problems with a ConfigMap / Secret key. */
export function configKeyErrors (value: string): string[] {
  const out: string[] = []
  if (value.length > 253) out.push('must be no more than 253 characters')
  if (!CONFIG_KEY.test(value)) out.push("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")
  if (value === '.') out.push("must not be '.'")
  else if (value === '..') out.push("must not be '..'")
  else if (value.startsWith('..')) out.push("must not start with '..'")
  return out
}

/** Invalid-value errors for `field`, one per message from a syntax check. */
export function syntaxErrors (field: string, value: string, messages: readonly string[]): FieldError[] {
  return messages.map((m) => invalid(field, value, m))
}

// ---- untyped access -------------------------------------------------------------------------

export function isRecord (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** `v` as a mutable record, creating and attaching an empty one under `parent[key]` if absent. */
export function ensureRecord (parent: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = parent[key]
  if (isRecord(v)) return v
  const fresh: Record<string, unknown> = {}
  parent[key] = fresh
  return fresh
}

export function isInt (v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v)
}

/** Checks an optional integer field against a lower bound (and optional upper bound). */
export function intRange (field: string, v: unknown, min: number, max?: number): FieldError[] {
  if (v === undefined || v === null) return []
  if (!isInt(v)) return [invalid(field, v, 'must be an integer')]
  if (max !== undefined && (v < min || v > max)) return [invalid(field, v, `must be between ${min} and ${max}, inclusive`)]
  if (v < min) return [invalid(field, v, `must be greater than or equal to ${min}`)]
  return []
}

/** Checks that an optional field, when present, is a string map; returns it (or undefined). */
export function stringMap (field: string, v: unknown, errors: FieldError[]): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined
  if (!isRecord(v)) {
    errors.push(invalid(field, v, 'must be a map of string keys to string values'))
    return undefined
  }
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') errors.push(invalid(`${field}[${k}]`, val, 'must be a string'))
  }
  return v as Record<string, string>
}

/** Label keys and values. */
export function validateLabels (field: string, v: unknown): FieldError[] {
  const errors: FieldError[] = []
  const labels = stringMap(field, v, errors)
  if (labels === undefined) return errors
  for (const [k, val] of Object.entries(labels)) {
    errors.push(...syntaxErrors(field, k, qualifiedNameErrors(k)))
    if (typeof val === 'string') errors.push(...syntaxErrors(`${field}[${k}]`, val, labelValueErrors(val)))
  }
  return errors
}

const MAX_ANNOTATIONS_BYTES = 256 * 1024

/** Annotation keys; total size at most 256 KiB. */
export function validateAnnotations (field: string, v: unknown): FieldError[] {
  const errors: FieldError[] = []
  const annotations = stringMap(field, v, errors)
  if (annotations === undefined) return errors
  let size = 0
  for (const [k, val] of Object.entries(annotations)) {
    errors.push(...syntaxErrors(field, k, qualifiedNameErrors(k.toLowerCase())))
    size += Buffer.byteLength(k) + (typeof val === 'string' ? Buffer.byteLength(val) : 0)
  }
  if (size > MAX_ANNOTATIONS_BYTES) errors.push(tooLong(field, MAX_ANNOTATIONS_BYTES))
  return errors
}
