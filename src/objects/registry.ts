// The kinds the API serves: names as kubectl uses them, scope, and where validation and
// defaults live. One entry per kind; each kind's own file holds its validate/defaults.

import type { KObject } from '../store/types.ts'

/** Kubernetes' cause types for field errors (Status.details.causes[].reason). */
export type FieldErrorReason =
  | 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueNotSupported' | 'FieldValueDuplicate'
  | 'FieldValueForbidden' | 'FieldValueTooLong' | 'FieldValueNotFound'

export interface FieldError {
  /** JSON path of the offending field, e.g. `spec.containers[0].image`. */
  field: string
  /** What follows the path, e.g. `Required value` or `Invalid value: "Foo": …`. */
  message: string
  /** The cause type, for Status.details.causes; set by the constructors in validation.ts. */
  reason?: FieldErrorReason
}

export interface KindInfo {
  /** API group, '' for the core group. */
  group: string
  version: string
  kind: string
  /** Lower-case plural used in URLs: `pods`. */
  plural: string
  singular: string
  shortNames: string[]
  namespaced: boolean
  /** Kubernetes `categories` (e.g. `all`). */
  categories: string[]
  /** Subresources served: `status`, `scale`, ... */
  subresources: string[]
  /** Fill defaults in place (idempotent). */
  defaults: (obj: KObject) => void
  /** Problems with the object; empty when valid. */
  validate: (obj: KObject) => FieldError[]
}

export function apiVersionOf (k: Pick<KindInfo, 'group' | 'version'>): string {
  return k.group === '' ? k.version : `${k.group}/${k.version}`
}

/** `apps/v1` → { group: 'apps', version: 'v1' }; `v1` → { group: '', version: 'v1' }. */
export function splitApiVersion (apiVersion: string): { group: string, version: string } {
  const slash = apiVersion.indexOf('/')
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) }
}
