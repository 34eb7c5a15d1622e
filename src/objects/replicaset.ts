// ReplicaSet (apps/v1): keeps a number of pods from one template running. Usually owned by
// a Deployment. Defaults: 1 replica and pod defaults in the template.

import type { LabelSelector } from '../store/selectors.ts'
import type { KObject, ObjectMeta } from '../store/types.ts'
import { validateObjectMeta } from './object-meta.ts'
import type { PodTemplateSpec } from './pod-spec.ts'
import type { FieldError, KindInfo } from './registry.ts'
import { dns1123SubdomainErrors, ensureRecord, intRange, isRecord } from './validation.ts'
import { defaultTemplate, validateWorkloadSpec } from './workload.ts'

export interface ReplicaSetSpec {
  replicas?: number
  selector: LabelSelector
  template: PodTemplateSpec
  minReadySeconds?: number
}

export interface ReplicaSetStatus {
  replicas: number
  fullyLabeledReplicas?: number
  readyReplicas?: number
  availableReplicas?: number
  observedGeneration?: number
  conditions?: Array<{ type: string, status: 'True' | 'False' | 'Unknown', reason?: string, message?: string, lastTransitionTime?: string }>
}

export interface ReplicaSet extends KObject {
  apiVersion: 'apps/v1'
  kind: 'ReplicaSet'
  metadata: ObjectMeta
  spec: ReplicaSetSpec
  status?: ReplicaSetStatus
}

export const replicaSetKind: KindInfo = {
  group: 'apps',
  version: 'v1',
  kind: 'ReplicaSet',
  plural: 'replicasets',
  singular: 'replicaset',
  shortNames: ['rs'],
  namespaced: true,
  categories: ['all'],
  subresources: ['status', 'scale'],
  defaults (obj: KObject): void {
    const spec = ensureRecord(obj, 'spec')
    spec.replicas ??= 1
    defaultTemplate(spec)
  },
  validate (obj: KObject): FieldError[] {
    const errors = [
      ...validateObjectMeta(obj, { namespaced: true, nameErrors: dns1123SubdomainErrors }),
      ...validateWorkloadSpec(obj, 'replicaset')
    ]
    if (isRecord(obj.spec)) errors.push(...intRange('spec.minReadySeconds', obj.spec.minReadySeconds, 0))
    return errors
  }
}
