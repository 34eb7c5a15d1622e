// Node (core/v1): a machine that runs pods. In Flotilla every agent registers its own Node
// under its agent name. Validation is light: name, taints, and resource quantities.

import type { KObject, ObjectMeta } from '../store/types.ts'
import { validateObjectMeta } from './object-meta.ts'
import { parseQuantity } from './quantity.ts'
import type { FieldError, KindInfo } from './registry.ts'
import {
  dns1123SubdomainErrors, duplicate, invalid, isRecord, labelValueErrors, notSupported, qualifiedNameErrors,
  required, syntaxErrors
} from './validation.ts'

export interface Taint {
  key: string
  value?: string
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute'
  timeAdded?: string
}

export interface NodeCondition {
  type: 'Ready' | 'MemoryPressure' | 'DiskPressure' | 'PIDPressure' | 'NetworkUnavailable' | string
  status: 'True' | 'False' | 'Unknown'
  reason?: string
  message?: string
  lastHeartbeatTime?: string
  lastTransitionTime?: string
}

export interface NodeSpec {
  podCIDR?: string
  podCIDRs?: string[]
  unschedulable?: boolean
  taints?: Taint[]
  providerID?: string
}

export interface NodeStatus {
  capacity?: Record<string, string>
  allocatable?: Record<string, string>
  conditions?: NodeCondition[]
  addresses?: Array<{ type: 'InternalIP' | 'ExternalIP' | 'Hostname' | string, address: string }>
  nodeInfo?: Record<string, string>
  daemonEndpoints?: { kubeletEndpoint?: { Port: number } }
}

export interface Node extends KObject {
  apiVersion: 'v1'
  kind: 'Node'
  metadata: ObjectMeta
  spec?: NodeSpec
  status?: NodeStatus
}

const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute']

function validateTaints (v: unknown): FieldError[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) return [invalid('spec.taints', v, 'must be a list')]
  const errors: FieldError[] = []
  const seen = new Set<string>()
  v.forEach((t: unknown, i) => {
    const field = `spec.taints[${i}]`
    if (!isRecord(t)) return errors.push(invalid(field, t, 'must be an object'))
    if (typeof t.key !== 'string' || t.key === '') errors.push(required(`${field}.key`))
    else errors.push(...syntaxErrors(`${field}.key`, t.key, qualifiedNameErrors(t.key)))
    if (typeof t.value === 'string') errors.push(...syntaxErrors(`${field}.value`, t.value, labelValueErrors(t.value)))
    if (t.effect === undefined || t.effect === '') errors.push(required(`${field}.effect`))
    else if (!EFFECTS.includes(t.effect as string)) errors.push(notSupported(`${field}.effect`, t.effect, EFFECTS))
    const id = `${String(t.key)}:${String(t.effect)}`
    if (seen.has(id)) errors.push(duplicate(field, `${String(t.key)}:${String(t.effect)}`))
    seen.add(id)
    return undefined
  })
  return errors
}

function validateResourceList (field: string, v: unknown): FieldError[] {
  if (v === undefined || v === null) return []
  if (!isRecord(v)) return [invalid(field, v, 'must be a map of resource names to quantities')]
  const errors: FieldError[] = []
  for (const [name, q] of Object.entries(v)) {
    const value = parseQuantity(q)
    if (value === undefined) errors.push(invalid(`${field}[${name}]`, q, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"))
    else if (value < 0) errors.push(invalid(`${field}[${name}]`, q, 'must be greater than or equal to 0'))
  }
  return errors
}

export const nodeKind: KindInfo = {
  group: '',
  version: 'v1',
  kind: 'Node',
  plural: 'nodes',
  singular: 'node',
  shortNames: ['no'],
  namespaced: false,
  categories: [],
  subresources: ['status'],
  defaults (): void {},
  validate (obj: KObject): FieldError[] {
    const errors = validateObjectMeta(obj, { namespaced: false, nameErrors: dns1123SubdomainErrors })
    const spec = obj.spec
    if (spec !== undefined && spec !== null && !isRecord(spec)) errors.push(invalid('spec', spec, 'must be an object'))
    if (isRecord(spec)) {
      errors.push(...validateTaints(spec.taints))
      if (spec.unschedulable !== undefined && typeof spec.unschedulable !== 'boolean') errors.push(invalid('spec.unschedulable', spec.unschedulable, 'must be a boolean'))
    }
    const status = obj.status
    if (isRecord(status)) {
      errors.push(...validateResourceList('status.capacity', status.capacity))
      errors.push(...validateResourceList('status.allocatable', status.allocatable))
    }
    return errors
  }
}
