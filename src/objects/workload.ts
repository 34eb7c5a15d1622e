// What Deployments and ReplicaSets share: a label selector that must select the pod
// template's own labels, a pod template valid as a pod spec (restartPolicy Always only),
// and a non-negative replica count. Also the structured LabelSelector's validation.

import { labelSelectorRequirements, matchesLabels, type LabelSelector } from '../store/selectors.ts'
import type { KObject } from '../store/types.ts'
import { defaultPodSpec } from './pod-spec.ts'
import { validatePodSpec } from './pod-spec-validation.ts'
import type { FieldError } from './registry.ts'
import {
  ensureRecord, intRange, invalid, isRecord, notSupported, qualifiedNameErrors, required, syntaxErrors,
  validateAnnotations, validateLabels
} from './validation.ts'

const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist']

/** Field errors of a metav1.LabelSelector at `path`. */
export function validateLabelSelector (sel: unknown, path: string): FieldError[] {
  if (!isRecord(sel)) return [invalid(path, sel, 'must be an object')]
  const errors = validateLabels(`${path}.matchLabels`, sel.matchLabels)
  const exprs = sel.matchExpressions
  if (exprs === undefined || exprs === null) return errors
  if (!Array.isArray(exprs)) return [...errors, invalid(`${path}.matchExpressions`, exprs, 'must be a list')]
  exprs.forEach((e: unknown, i) => {
    const field = `${path}.matchExpressions[${i}]`
    if (!isRecord(e)) return errors.push(invalid(field, e, 'must be an object'))
    if (typeof e.key !== 'string' || e.key === '') errors.push(required(`${field}.key`))
    else errors.push(...syntaxErrors(`${field}.key`, e.key, qualifiedNameErrors(e.key)))
    const values = Array.isArray(e.values) ? e.values : []
    if (!SELECTOR_OPERATORS.includes(e.operator as string)) errors.push(notSupported(`${field}.operator`, e.operator, SELECTOR_OPERATORS))
    else if ((e.operator === 'In' || e.operator === 'NotIn') && values.length === 0) errors.push(required(`${field}.values`, "must be specified when `operator` is 'In' or 'NotIn'"))
    else if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && values.length > 0) errors.push(forbiddenValues(`${field}.values`))
    return undefined
  })
  return errors
}

function forbiddenValues (field: string): FieldError {
  return { field, reason: 'FieldValueForbidden', message: "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'" }
}

/** Template defaults: those of a pod spec. */
export function defaultTemplate (spec: Record<string, unknown>): void {
  const template = ensureRecord(spec, 'template')
  defaultPodSpec(template.spec)
}

/**
 * Replicas >= 0, selector present, non-empty, valid and matching the template's labels, and
 * the template a valid pod spec. `what` names the kind in messages ('deployment').
 */
export function validateWorkloadSpec (obj: KObject, what: string): FieldError[] {
  const spec = obj.spec
  if (!isRecord(spec)) return [required('spec')]
  const errors = intRange('spec.replicas', spec.replicas, 0)
  const sel = spec.selector
  let selectorOk = false
  if (sel === undefined || sel === null) errors.push(required('spec.selector'))
  else {
    const selErrors = validateLabelSelector(sel, 'spec.selector')
    errors.push(...selErrors)
    if (selErrors.length === 0) {
      const s = sel as LabelSelector
      if (Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0) {
        errors.push(invalid('spec.selector', sel, `empty selector is invalid for ${what}`))
      } else selectorOk = true
    }
  }
  const template = spec.template
  if (!isRecord(template)) {
    errors.push(required('spec.template'))
    return errors
  }
  const tmeta = isRecord(template.metadata) ? template.metadata : {}
  errors.push(...validateLabels('spec.template.metadata.labels', tmeta.labels))
  errors.push(...validateAnnotations('spec.template.metadata.annotations', tmeta.annotations))
  if (selectorOk) {
    const labels = isRecord(tmeta.labels) ? tmeta.labels as Record<string, string> : {}
    if (!matchesLabels(labelSelectorRequirements(sel as LabelSelector), labels)) {
      errors.push(invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'))
    }
  }
  errors.push(...validatePodSpec(template.spec, 'spec.template.spec', { restartPolicies: ['Always'] }))
  return errors
}
