// The kinds the API serves: names as kubectl uses them, scope, and where validation and
// defaults live. One entry per kind; each kind's own file holds its validate/defaults.

import type { KObject } from '../store/types.ts'

export interface FieldError {
  /** JSON path of the offending field, e.g. `spec.containers[0].image`. */
  field: string
  message: string
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
