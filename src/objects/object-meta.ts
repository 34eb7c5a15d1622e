// Validation of `metadata`, common to every kind: the name (each kind says which syntax),
// generateName, the namespace for namespaced kinds (and its absence for cluster-scoped ones),
// labels, annotations, ownerReferences and finalizers.

import type { KObject } from '../store/types.ts'
import type { FieldError } from './registry.ts'
import {
  dns1123LabelErrors, forbidden, invalid, isRecord, qualifiedNameErrors, required, syntaxErrors,
  validateAnnotations, validateLabels
} from './validation.ts'

export interface MetaRules {
  namespaced: boolean
  /** Syntax of `metadata.name`, e.g. dns1123SubdomainErrors. */
  nameErrors: (name: string) => string[]
}

/** A generateName prefix is checked as a name with its trailing dash masked (as Kubernetes does). */
function maskTrailingDash (prefix: string): string {
  return prefix.length > 1 && prefix.endsWith('-') ? `${prefix.slice(0, -1)}a` : prefix
}

export function validateObjectMeta (obj: KObject, rules: MetaRules): FieldError[] {
  const errors: FieldError[] = []
  const meta: unknown = obj.metadata
  if (!isRecord(meta)) return [required('metadata')]
  const { name, generateName, namespace } = meta
  if (name === undefined || name === '') {
    if (typeof generateName === 'string' && generateName !== '') {
      errors.push(...syntaxErrors('metadata.generateName', generateName, rules.nameErrors(maskTrailingDash(generateName))))
    } else {
      errors.push(required('metadata.name', 'name or generateName is required'))
    }
  } else if (typeof name !== 'string') {
    errors.push(invalid('metadata.name', name, 'must be a string'))
  } else {
    errors.push(...syntaxErrors('metadata.name', name, rules.nameErrors(name)))
  }
  if (rules.namespaced) {
    if (namespace === undefined || namespace === '') errors.push(required('metadata.namespace'))
    else if (typeof namespace !== 'string') errors.push(invalid('metadata.namespace', namespace, 'must be a string'))
    else errors.push(...syntaxErrors('metadata.namespace', namespace, dns1123LabelErrors(namespace)))
  } else if (namespace !== undefined && namespace !== '') {
    errors.push(forbidden('metadata.namespace', 'not allowed on this type'))
  }
  errors.push(...validateLabels('metadata.labels', meta.labels))
  errors.push(...validateAnnotations('metadata.annotations', meta.annotations))
  errors.push(...validateOwnerReferences(meta.ownerReferences))
  errors.push(...validateFinalizers(meta.finalizers))
  return errors
}

function validateOwnerReferences (v: unknown): FieldError[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) return [invalid('metadata.ownerReferences', v, 'must be a list')]
  const errors: FieldError[] = []
  let controllers = 0
  v.forEach((ref: unknown, i) => {
    const field = `metadata.ownerReferences[${i}]`
    if (!isRecord(ref)) {
      errors.push(invalid(field, ref, 'must be an object'))
      return
    }
    for (const key of ['apiVersion', 'kind', 'name', 'uid'] as const) {
      if (typeof ref[key] !== 'string' || ref[key] === '') errors.push(required(`${field}.${key}`))
    }
    if (ref.controller === true) controllers++
  })
  if (controllers > 1) errors.push(invalid('metadata.ownerReferences', v, 'Only one reference can have Controller set to true'))
  return errors
}

function validateFinalizers (v: unknown): FieldError[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) return [invalid('metadata.finalizers', v, 'must be a list of strings')]
  const errors: FieldError[] = []
  v.forEach((f: unknown, i) => {
    if (typeof f !== 'string') errors.push(invalid(`metadata.finalizers[${i}]`, f, 'must be a string'))
    else errors.push(...syntaxErrors(`metadata.finalizers[${i}]`, f, qualifiedNameErrors(f)))
  })
  return errors
}
