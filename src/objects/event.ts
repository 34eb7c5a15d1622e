// Event (core/v1): a record of something that happened to an object — Scheduled, Pulled,
// Started, Killing, BackOff, Unhealthy, ScalingReplicaSet, NodeNotReady … — written by the
// scheduler, the controllers and the kubelet, listed by `kubectl get events` and shown by
// `describe`. Validation as Kubernetes' legacy Event rules: an involvedObject, the Event in
// the involved object's namespace (events about cluster-scoped objects live in `default`),
// type Normal or Warning, bounded reason and message.

import type { KObject, ObjectMeta } from '../store/types.ts'
import { validateObjectMeta } from './object-meta.ts'
import type { FieldError, KindInfo } from './registry.ts'
import { dns1123SubdomainErrors, intRange, invalid, isRecord, notSupported, required, tooLong } from './validation.ts'

export interface ObjectReference {
  apiVersion?: string
  kind?: string
  namespace?: string
  name?: string
  uid?: string
  resourceVersion?: string
  fieldPath?: string
}

export interface Event extends KObject {
  apiVersion: 'v1'
  kind: 'Event'
  metadata: ObjectMeta
  involvedObject: ObjectReference
  reason?: string
  message?: string
  source?: { component?: string, host?: string }
  firstTimestamp?: string
  lastTimestamp?: string
  count?: number
  type?: 'Normal' | 'Warning'
  eventTime?: string
  reportingComponent?: string
  reportingInstance?: string
}

export const EVENT_TYPES = ['Normal', 'Warning'] as const
/** Kubernetes' limits: reason 128 characters; the message is cut to 1 KiB by recorders. */
export const MAX_REASON_LENGTH = 128
export const MAX_MESSAGE_LENGTH = 1024

export const eventKind: KindInfo = {
  group: '',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  singular: 'event',
  shortNames: ['ev'],
  namespaced: true,
  categories: [],
  subresources: [],
  defaults (obj: KObject): void {
    if (obj.count === undefined) obj.count = 1
  },
  validate (obj: KObject): FieldError[] {
    const errors = validateObjectMeta(obj, { namespaced: true, nameErrors: dns1123SubdomainErrors })
    const involved = obj.involvedObject
    if (!isRecord(involved)) errors.push(required('involvedObject'))
    else {
      if (typeof involved.kind !== 'string' || involved.kind === '') errors.push(required('involvedObject.kind'))
      if (typeof involved.name !== 'string' || involved.name === '') errors.push(required('involvedObject.name'))
      const ns = typeof involved.namespace === 'string' ? involved.namespace : ''
      if (ns !== '' && ns !== obj.metadata.namespace) errors.push(invalid('involvedObject.namespace', ns, 'does not match event.namespace'))
    }
    if (obj.type !== undefined && !EVENT_TYPES.includes(obj.type as 'Normal')) errors.push(notSupported('type', obj.type, EVENT_TYPES))
    if (obj.reason !== undefined && (typeof obj.reason !== 'string' || obj.reason.length > MAX_REASON_LENGTH)) errors.push(tooLong('reason', MAX_REASON_LENGTH))
    if (obj.message !== undefined && (typeof obj.message !== 'string' || obj.message.length > MAX_MESSAGE_LENGTH)) errors.push(tooLong('message', MAX_MESSAGE_LENGTH))
    if (obj.count !== undefined) errors.push(...intRange('count', obj.count, 0))
    return errors
  }
}
