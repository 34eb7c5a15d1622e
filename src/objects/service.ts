// Service (core/v1): a stable virtual address (or DNS name, for ExternalName) in front of the
// pods its selector picks. Defaults as Kubernetes: type ClusterIP, sessionAffinity None, TCP
// ports whose targetPort is the port. The cluster IP and node ports are allocated by the store
// as it applies the write (src/store/service-allocation.ts), not here.

import { isIP } from 'node:net'
import type { KObject, ObjectMeta } from '../store/types.ts'
import { validateObjectMeta } from './object-meta.ts'
import type { FieldError, KindInfo } from './registry.ts'
import {
  dns1035LabelErrors, dns1123LabelErrors, dns1123SubdomainErrors, duplicate, ensureRecord, forbidden, ianaSvcNameErrors,
  intRange, invalid, isInt, isRecord, notSupported, required, syntaxErrors, validateLabels
} from './validation.ts'

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName'

export interface ServicePort {
  name?: string
  protocol?: 'TCP' | 'UDP' | 'SCTP'
  port: number
  targetPort?: number | string
  nodePort?: number
  appProtocol?: string
}

export interface ServiceSpec {
  type?: ServiceType
  selector?: Record<string, string>
  ports?: ServicePort[]
  clusterIP?: string
  clusterIPs?: string[]
  externalName?: string
  externalIPs?: string[]
  sessionAffinity?: 'None' | 'ClientIP'
  externalTrafficPolicy?: 'Cluster' | 'Local'
  internalTrafficPolicy?: 'Cluster' | 'Local'
  publishNotReadyAddresses?: boolean
  [field: string]: unknown
}

export interface Service extends KObject {
  apiVersion: 'v1'
  kind: 'Service'
  metadata: ObjectMeta
  spec: ServiceSpec
  status?: { loadBalancer?: { ingress?: Array<{ ip?: string, hostname?: string }> } }
}

export const SERVICE_TYPES: readonly ServiceType[] = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort']
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const
const PROTOCOLS = ['TCP', 'UDP', 'SCTP']
const AFFINITIES = ['None', 'ClientIP']
const TRAFFIC_POLICIES = ['Cluster', 'Local']

function validatePorts (spec: Record<string, unknown>, type: string, errors: FieldError[]): void {
  const ports = spec.ports
  const headless = spec.clusterIP === 'None'
  if (ports === undefined || ports === null || (Array.isArray(ports) && ports.length === 0)) {
    if (type !== 'ExternalName' && !headless) errors.push(required('spec.ports'))
    return
  }
  if (!Array.isArray(ports)) {
    errors.push(invalid('spec.ports', ports, 'must be a list'))
    return
  }
  const names = new Set<string>()
  const seen = new Set<string>()
  ports.forEach((p: unknown, i) => {
    const field = `spec.ports[${i}]`
    if (!isRecord(p)) return errors.push(invalid(field, p, 'must be an object'))
    if (p.name === undefined || p.name === '') {
      if (ports.length > 1) errors.push(required(`${field}.name`))
    } else if (typeof p.name !== 'string') errors.push(invalid(`${field}.name`, p.name, 'must be a string'))
    else {
      errors.push(...syntaxErrors(`${field}.name`, p.name, dns1123LabelErrors(p.name)))
      if (names.has(p.name)) errors.push(duplicate(`${field}.name`, p.name))
      names.add(p.name)
    }
    if (p.port === undefined) errors.push(required(`${field}.port`))
    else errors.push(...intRange(`${field}.port`, p.port, 1, 65535))
    if (p.protocol !== undefined && !PROTOCOLS.includes(p.protocol as string)) errors.push(notSupported(`${field}.protocol`, p.protocol, PROTOCOLS))
    const target = p.targetPort
    if (isInt(target)) errors.push(...intRange(`${field}.targetPort`, target, 1, 65535))
    else if (typeof target === 'string' && target !== '') errors.push(...syntaxErrors(`${field}.targetPort`, target, ianaSvcNameErrors(target)))
    else if (target !== undefined && target !== '' && target !== 0) errors.push(invalid(`${field}.targetPort`, target, 'must be a port number or a port name'))
    if (p.nodePort !== undefined && p.nodePort !== 0) {
      if (type === 'ClusterIP' || type === 'ExternalName') errors.push(forbidden(`${field}.nodePort`, `may not be used when \`type\` is '${type}'`))
      else if (!isInt(p.nodePort) || p.nodePort < NODE_PORT_RANGE.min || p.nodePort > NODE_PORT_RANGE.max) {
        errors.push(invalid(`${field}.nodePort`, p.nodePort, `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}`))
      }
    }
    const key = `${String(p.port)}/${String(p.protocol ?? 'TCP')}`
    if (seen.has(key)) errors.push(duplicate(field, key))
    seen.add(key)
    return undefined
  })
}

function validateClusterIP (spec: Record<string, unknown>, type: string, errors: FieldError[]): void {
  const ip = spec.clusterIP
  if (ip === undefined || ip === '') return
  if (type === 'ExternalName') errors.push(forbidden('spec.clusterIP', 'may not be set for ExternalName services'))
  else if (ip !== 'None' && (typeof ip !== 'string' || isIP(ip) === 0)) errors.push(invalid('spec.clusterIP', ip, "must be empty, 'None', or a valid IP address"))
  else if (ip === 'None' && type !== 'ClusterIP') errors.push(invalid('spec.clusterIP', ip, "may only be 'None' when `type` is 'ClusterIP'"))
}

export const serviceKind: KindInfo = {
  group: '',
  version: 'v1',
  kind: 'Service',
  plural: 'services',
  singular: 'service',
  shortNames: ['svc'],
  namespaced: true,
  categories: ['all'],
  subresources: ['status'],
  defaults (obj: KObject): void {
    const spec = ensureRecord(obj, 'spec')
    spec.type ??= 'ClusterIP'
    spec.sessionAffinity ??= 'None'
    if (spec.type !== 'ExternalName') spec.internalTrafficPolicy ??= 'Cluster'
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster'
    if (Array.isArray(spec.ports)) {
      for (const p of spec.ports) {
        if (!isRecord(p)) continue
        p.protocol ??= 'TCP'
        if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port
      }
    }
  },
  validate (obj: KObject): FieldError[] {
    const errors = validateObjectMeta(obj, { namespaced: true, nameErrors: dns1035LabelErrors })
    const spec = obj.spec
    if (!isRecord(spec)) return [...errors, required('spec')]
    const type = (spec.type ?? 'ClusterIP') as string
    if (!SERVICE_TYPES.includes(type as ServiceType)) errors.push(notSupported('spec.type', type, SERVICE_TYPES))
    validatePorts(spec, type, errors)
    validateClusterIP(spec, type, errors)
    if (type === 'ExternalName') {
      const name = spec.externalName
      if (typeof name !== 'string' || name === '') errors.push(required('spec.externalName'))
      else errors.push(...syntaxErrors('spec.externalName', name, dns1123SubdomainErrors(name.endsWith('.') ? name.slice(0, -1) : name)))
    }
    errors.push(...validateLabels('spec.selector', spec.selector))
    if (spec.sessionAffinity !== undefined && !AFFINITIES.includes(spec.sessionAffinity as string)) errors.push(notSupported('spec.sessionAffinity', spec.sessionAffinity, AFFINITIES))
    for (const key of ['externalTrafficPolicy', 'internalTrafficPolicy']) {
      if (spec[key] !== undefined && !TRAFFIC_POLICIES.includes(spec[key] as string)) errors.push(notSupported(`spec.${key}`, spec[key], TRAFFIC_POLICIES))
    }
    if (spec.externalTrafficPolicy !== undefined && type !== 'NodePort' && type !== 'LoadBalancer') {
      errors.push(invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, 'may only be set when `type` is \'NodePort\' or \'LoadBalancer\''))
    }
    return errors
  }
}
