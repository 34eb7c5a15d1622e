// ConfigMap (core/v1): string (`data`) and base64 binary (`binaryData`) values by key. Keys
// are `[-._a-zA-Z0-9]+`, unique across both maps; the whole object's payload is at most 1 MiB.

import type { KObject, ObjectMeta } from '../store/types.ts'
import { validateObjectMeta } from './object-meta.ts'
import type { FieldError, KindInfo } from './registry.ts'
import { configKeyErrors, dns1123SubdomainErrors, duplicate, invalid, isRecord, syntaxErrors, tooLong } from './validation.ts'

export interface ConfigMap extends KObject {
  apiVersion: 'v1'
  kind: 'ConfigMap'
  metadata: ObjectMeta
  data?: Record<string, string>
  binaryData?: Record<string, string>
  immutable?: boolean
}

/** Total payload limit of ConfigMaps and Secrets. */
export const MAX_CONFIG_BYTES = 1024 * 1024

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** Where a base64 string stops being valid, or -1 when it is valid (standard alphabet, padded). */
export function base64ErrorOffset (s: string): number {
  if (BASE64.test(s)) return -1
  for (let i = 0; i < s.length; i++) {
    if (!/[A-Za-z0-9+/=]/.test(s[i] as string)) return i
  }
  return s.length - (s.length % 4 === 0 ? 1 : s.length % 4)
}

/**
 * Keys and values of a key-value map (`data`, `binaryData`, Secret `data`). `seen` carries
 * keys across maps for the uniqueness rule; `base64` requires base64 values. Returns the
 * payload size in bytes (decoded for base64).
 */
export function validateKeyValues (field: string, v: unknown, seen: Set<string>, base64: boolean, errors: FieldError[]): number {
  if (v === undefined || v === null) return 0
  if (!isRecord(v)) {
    errors.push(invalid(field, v, 'must be a map of string keys to string values'))
    return 0
  }
  let size = 0
  for (const [key, value] of Object.entries(v)) {
    errors.push(...syntaxErrors(`${field}[${key}]`, key, configKeyErrors(key)))
    if (seen.has(key)) errors.push(duplicate(`${field}[${key}]`, key))
    seen.add(key)
    if (typeof value !== 'string') {
      errors.push(invalid(`${field}[${key}]`, value, 'must be a string'))
      continue
    }
    if (base64) {
      const at = base64ErrorOffset(value)
      if (at >= 0) errors.push(invalid(`${field}[${key}]`, '<value omitted>', `illegal base64 data at input byte ${at}`))
      else size += Buffer.from(value, 'base64').length
    } else size += Buffer.byteLength(value)
  }
  return size
}

export const configMapKind: KindInfo = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  singular: 'configmap',
  shortNames: ['cm'],
  namespaced: true,
  categories: [],
  subresources: [],
  defaults (): void {},
  validate (obj: KObject): FieldError[] {
    const errors = validateObjectMeta(obj, { namespaced: true, nameErrors: dns1123SubdomainErrors })
    const seen = new Set<string>()
    const size = validateKeyValues('data', obj.data, seen, false, errors) + validateKeyValues('binaryData', obj.binaryData, seen, true, errors)
    if (size > MAX_CONFIG_BYTES) errors.push(tooLong('', MAX_CONFIG_BYTES))
    if (obj.immutable !== undefined && typeof obj.immutable !== 'boolean') errors.push(invalid('immutable', obj.immutable, 'must be a boolean'))
    return errors
  }
}
