// Which fields a field selector may name, per kind, as kube-apiserver allows them (its
// GetAttrs / field label conversion funcs): metadata.name and metadata.namespace for every
// kind, plus a few per kind (a pod's spec.nodeName and status.phase, an Event's
// involvedObject.*, …). Any other field is a 400, as Kubernetes answers `kubectl get pods
// --field-selector spec.bogus=1`. The store itself compares any dotted path (agents' own
// informers rely on that); this check is only for requests that come through the API.

import type { KindInfo } from '../objects/registry.ts'
import { parseFieldSelector } from '../store/field-selector.ts'
import { ApiError } from './status.ts'

const EVERY_KIND = ['metadata.name', 'metadata.namespace']

const BY_KIND: Record<string, readonly string[]> = {
  '/Pod': [
    'spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork',
    'status.phase', 'status.podIP', 'status.podIPs', 'status.nominatedNodeName'
  ],
  '/Event': [
    'involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion',
    'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'
  ],
  '/Node': ['spec.unschedulable'],
  '/Namespace': ['status.phase'],
  '/Secret': ['type'],
  '/Service': ['spec.clusterIP', 'spec.type'],
  'apps/ReplicaSet': ['status.replicas']
}

/** The fields `kind` may be selected by. */
export function selectableFields (kind: Pick<KindInfo, 'group' | 'kind'>): readonly string[] {
  return [...EVERY_KIND, ...BY_KIND[`${kind.group}/${kind.kind}`] ?? []]
}

/**
 * Throws the 400 Kubernetes answers when `fieldSelector` names a field the kind cannot be
 * selected by. A selector that does not parse is left for the list or watch to refuse.
 */
export function checkFieldSelector (kind: KindInfo, fieldSelector: string | undefined): void {
  if (fieldSelector === undefined || fieldSelector === '') return
  let paths: string[]
  try {
    paths = parseFieldSelector(fieldSelector).map((r) => r.path)
  } catch {
    return
  }
  const allowed = selectableFields(kind)
  const bad = paths.find((p) => !allowed.includes(p))
  if (bad === undefined) return
  // kubectl puts "Unable to find … that match label selector …, field selector …:" before it.
  throw new ApiError(400, 'BadRequest', `field label not supported: ${bad}`)
}
