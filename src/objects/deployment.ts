// Deployment (apps/v1): a desired number of pods from one template, rolled out through
// ReplicaSets. Defaults as Kubernetes: 1 replica, RollingUpdate 25%/25%, 10 old ReplicaSets
// kept, 600 s progress deadline, pod defaults in the template.

import type { LabelSelector } from '../store/selectors.ts'
import type { KObject, ObjectMeta } from '../store/types.ts'
import { validateObjectMeta } from './object-meta.ts'
import type { PodTemplateSpec } from './pod-spec.ts'
import type { FieldError, KindInfo } from './registry.ts'
import {
  dns1123SubdomainErrors, ensureRecord, forbidden, intRange, invalid, isInt, isRecord, notSupported
} from './validation.ts'
import { defaultTemplate, validateWorkloadSpec } from './workload.ts'

export interface DeploymentCondition {
  type: 'Available' | 'Progressing' | 'ReplicaFailure' | string
  status: 'True' | 'False' | 'Unknown'
  reason?: string
  message?: string
  lastUpdateTime?: string
  lastTransitionTime?: string
}

export interface DeploymentSpec {
  replicas?: number
  selector: LabelSelector
  template: PodTemplateSpec
  strategy?: {
    type?: 'RollingUpdate' | 'Recreate'
    rollingUpdate?: { maxSurge?: number | string, maxUnavailable?: number | string }
  }
  minReadySeconds?: number
  revisionHistoryLimit?: number
  progressDeadlineSeconds?: number
  paused?: boolean
}

export interface DeploymentStatus {
  observedGeneration?: number
  replicas?: number
  updatedReplicas?: number
  readyReplicas?: number
  availableReplicas?: number
  unavailableReplicas?: number
  conditions?: DeploymentCondition[]
  collisionCount?: number
}

export interface Deployment extends KObject {
  apiVersion: 'apps/v1'
  kind: 'Deployment'
  metadata: ObjectMeta
  spec: DeploymentSpec
  status?: DeploymentStatus
}

const STRATEGIES = ['RollingUpdate', 'Recreate']
const PERCENT = /^[0-9]+%$/

/** An int-or-percent field: an integer >= 0 or `N%`; returns its value as a percentage-or-count pair. */
function intOrPercent (field: string, v: unknown, errors: FieldError[]): { value: number, percent: boolean } | undefined {
  if (v === undefined || v === null) return undefined
  if (isInt(v)) {
    if (v < 0) errors.push(invalid(field, v, 'must be greater than or equal to 0'))
    return { value: v, percent: false }
  }
  if (typeof v === 'string' && PERCENT.test(v)) return { value: Number(v.slice(0, -1)), percent: true }
  errors.push(invalid(field, v, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"))
  return undefined
}

function validateStrategy (spec: Record<string, unknown>): FieldError[] {
  const strategy = spec.strategy
  if (strategy === undefined || strategy === null) return []
  if (!isRecord(strategy)) return [invalid('spec.strategy', strategy, 'must be an object')]
  const errors: FieldError[] = []
  if (strategy.type !== undefined && !STRATEGIES.includes(strategy.type as string)) errors.push(notSupported('spec.strategy.type', strategy.type, STRATEGIES))
  const ru = strategy.rollingUpdate
  if (ru === undefined || ru === null) return errors
  if (strategy.type === 'Recreate') return [...errors, forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'")]
  if (!isRecord(ru)) return [...errors, invalid('spec.strategy.rollingUpdate', ru, 'must be an object')]
  const surge = intOrPercent('spec.strategy.rollingUpdate.maxSurge', ru.maxSurge, errors)
  const unavailable = intOrPercent('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, errors)
  if (unavailable?.percent === true && unavailable.value > 100) errors.push(invalid('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'must not be greater than 100%'))
  if (surge?.value === 0 && unavailable?.value === 0) errors.push(invalid('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'))
  return errors
}

export const deploymentKind: KindInfo = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  plural: 'deployments',
  singular: 'deployment',
  shortNames: ['deploy'],
  namespaced: true,
  categories: ['all'],
  subresources: ['status', 'scale'],
  defaults (obj: KObject): void {
    const spec = ensureRecord(obj, 'spec')
    spec.replicas ??= 1
    const strategy = ensureRecord(spec, 'strategy')
    strategy.type ??= 'RollingUpdate'
    if (strategy.type === 'RollingUpdate') {
      const ru = ensureRecord(strategy, 'rollingUpdate')
      ru.maxSurge ??= '25%'
      ru.maxUnavailable ??= '25%'
    }
    spec.revisionHistoryLimit ??= 10
    spec.progressDeadlineSeconds ??= 600
    defaultTemplate(spec)
  },
  validate (obj: KObject): FieldError[] {
    const errors = [
      ...validateObjectMeta(obj, { namespaced: true, nameErrors: dns1123SubdomainErrors }),
      ...validateWorkloadSpec(obj, 'deployment')
    ]
    const spec = obj.spec
    if (!isRecord(spec)) return errors
    errors.push(...validateStrategy(spec))
    errors.push(...intRange('spec.minReadySeconds', spec.minReadySeconds, 0))
    errors.push(...intRange('spec.revisionHistoryLimit', spec.revisionHistoryLimit, 0))
    errors.push(...intRange('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 0))
    if (isInt(spec.progressDeadlineSeconds) && spec.progressDeadlineSeconds <= (isInt(spec.minReadySeconds) ? spec.minReadySeconds : 0)) {
      errors.push(invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'))
    }
    return errors
  }
}
