// Secret (core/v1): base64 values by key, typed (`Opaque` by default). `stringData` is a
// write-only convenience: defaults() merges it into `data` (base64-encoded, stringData wins)
// and removes it, as the Kubernetes API server does. Known types require their keys.

import type { KObject, ObjectMeta } from '../store/types.ts'
import { MAX_CONFIG_BYTES, validateKeyValues } from './configmap.ts'
import { validateObjectMeta } from './object-meta.ts'
import type { FieldError, KindInfo } from './registry.ts'
import { dns1123SubdomainErrors, invalid, isRecord, required, tooLong } from './validation.ts'

export interface Secret extends KObject {
  apiVersion: 'v1'
  kind: 'Secret'
  metadata: ObjectMeta
  type?: string
  data?: Record<string, string>
  stringData?: Record<string, string>
  immutable?: boolean
}

/** Keys each well-known type must have. */
const REQUIRED_KEYS: Record<string, string[]> = {
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey']
}

export const secretKind: KindInfo = {
  group: '',
  version: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  singular: 'secret',
  shortNames: [],
  namespaced: true,
  categories: [],
  subresources: [],
  defaults (obj: KObject): void {
    obj.type ??= 'Opaque'
    if (isRecord(obj.stringData)) {
      const data: Record<string, unknown> = isRecord(obj.data) ? obj.data : {}
      for (const [k, v] of Object.entries(obj.stringData)) {
        if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64')
      }
      obj.data = data
      delete obj.stringData
    }
  },
  validate (obj: KObject): FieldError[] {
    const errors = validateObjectMeta(obj, { namespaced: true, nameErrors: dns1123SubdomainErrors })
    const size = validateKeyValues('data', obj.data, new Set(), true, errors) + validateKeyValues('stringData', obj.stringData, new Set(), false, errors)
    if (size > MAX_CONFIG_BYTES) errors.push(tooLong('data', MAX_CONFIG_BYTES))
    if (obj.type !== undefined && (typeof obj.type !== 'string' || obj.type === '')) errors.push(invalid('type', obj.type, 'must be a non-empty string'))
    const data = isRecord(obj.data) ? obj.data : {}
    const stringData = isRecord(obj.stringData) ? obj.stringData : {}
    for (const key of REQUIRED_KEYS[obj.type as string] ?? []) {
      if (!(key in data) && !(key in stringData)) errors.push(required(`data[${key}]`))
    }
    if (obj.immutable !== undefined && typeof obj.immutable !== 'boolean') errors.push(invalid('immutable', obj.immutable, 'must be a boolean'))
    return errors
  }
}
