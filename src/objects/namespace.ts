// Namespace (core/v1): a cluster-scoped name space for namespaced objects. Its name is a
// DNS-1123 label; a new namespace is Active and labelled kubernetes.io/metadata.name=<name>.
// It carries spec.finalizers ["kubernetes"]: deleting it marks it Terminating, the namespace
// controller deletes its contents, then removes that finalizer and the namespace goes.

import type { KObject, ObjectMeta } from '../store/types.ts'
import { validateObjectMeta } from './object-meta.ts'
import type { FieldError, KindInfo } from './registry.ts'
import { dns1123LabelErrors, ensureRecord, invalid, isRecord, notSupported } from './validation.ts'

export interface Namespace extends KObject {
  apiVersion: 'v1'
  kind: 'Namespace'
  metadata: ObjectMeta
  spec?: { finalizers?: string[] }
  status?: { phase?: 'Active' | 'Terminating' }
}

const PHASES = ['Active', 'Terminating']

export const namespaceKind: KindInfo = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  singular: 'namespace',
  shortNames: ['ns'],
  namespaced: false,
  categories: [],
  subresources: ['status'],
  defaults (obj: KObject): void {
    // Kubernetes labels every namespace with its own name, so selectors can pick namespaces.
    if (typeof obj.metadata.name === 'string' && obj.metadata.name !== '') {
      obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name }
    }
    ensureRecord(obj, 'spec').finalizers ??= ['kubernetes']
    ensureRecord(obj, 'status').phase ??= 'Active'
  },
  validate (obj: KObject): FieldError[] {
    const errors = validateObjectMeta(obj, { namespaced: false, nameErrors: dns1123LabelErrors })
    const status = obj.status
    if (status !== undefined && !isRecord(status)) errors.push(invalid('status', status, 'must be an object'))
    else if (isRecord(status) && status.phase !== undefined && !PHASES.includes(status.phase as string)) errors.push(notSupported('status.phase', status.phase, PHASES))
    return errors
  }
}
