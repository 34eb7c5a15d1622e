// What the proxy on an agent should listen on, worked out from the Services and their
// Endpoints in the local replica: one frontend per Service port and address — the cluster IP
// (ClusterIP, NodePort and LoadBalancer Services, not headless ones) and the node's address at
// the node port (NodePort and LoadBalancer) — each with the ready endpoints it spreads over.
// Pure: the proxy role diffs successive tables against its listeners.

import type { KObject } from '../store/types.ts'

export interface Backend {
  readonly ip: string
  readonly port: number
}

export interface Frontend {
  /** Unique per listener: `address:port/protocol`. */
  readonly key: string
  /** `namespace/name` of the Service, and its port's name ('' when unnamed). */
  readonly service: string
  readonly portName: string
  readonly address: string
  readonly port: number
  readonly protocol: 'TCP' | 'UDP'
  readonly kind: 'clusterIP' | 'nodePort'
  /** Ready endpoints, in the Endpoints object's order. */
  readonly backends: readonly Backend[]
  /** Seconds a client IP sticks to its backend (sessionAffinity: ClientIP), or undefined. */
  readonly affinitySeconds: number | undefined
}

type Rec = Record<string, unknown>
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v)
const records = (v: unknown): Rec[] => Array.isArray(v) ? v.filter(isRecord) : []
const str = (v: unknown): string => typeof v === 'string' ? v : ''

/** Kubernetes' default ClientIP affinity timeout: 3 hours. */
const DEFAULT_AFFINITY_SECONDS = 10_800

/** The ready backends for a Service port named `portName` with `protocol`, from an Endpoints object. */
export function backendsFor (endpoints: KObject | undefined, portName: string, protocol: string): Backend[] {
  const out: Backend[] = []
  for (const subset of records(endpoints?.subsets)) {
    const port = records(subset.ports).find((p) => str(p.name) === portName && (str(p.protocol) || 'TCP') === protocol)
    if (port === undefined || typeof port.port !== 'number') continue
    for (const a of records(subset.addresses)) {
      if (str(a.ip) !== '') out.push({ ip: str(a.ip), port: port.port })
    }
  }
  return out
}

function affinityOf (spec: Rec): number | undefined {
  if (spec.sessionAffinity !== 'ClientIP') return undefined
  const cfg = isRecord(spec.sessionAffinityConfig) && isRecord(spec.sessionAffinityConfig.clientIP) ? spec.sessionAffinityConfig.clientIP : {}
  return typeof cfg.timeoutSeconds === 'number' && cfg.timeoutSeconds > 0 ? cfg.timeoutSeconds : DEFAULT_AFFINITY_SECONDS
}

/**
 * Every frontend of these Services. `endpointsOf(namespace, name)` gives a Service's
 * Endpoints; `nodeIp` is where node ports listen; `skip` leaves out Services the agent serves
 * itself (the cluster DNS).
 */
export function serviceFrontends (
  services: readonly KObject[],
  endpointsOf: (namespace: string, name: string) => KObject | undefined,
  nodeIp: string,
  skip: (service: KObject) => boolean = () => false
): Frontend[] {
  const out: Frontend[] = []
  for (const svc of services) {
    if (!isRecord(svc.spec) || skip(svc) || svc.metadata.deletionTimestamp !== undefined) continue
    const spec = svc.spec
    const type = str(spec.type) || 'ClusterIP'
    if (type === 'ExternalName') continue
    const namespace = svc.metadata.namespace ?? ''
    const service = `${namespace}/${svc.metadata.name}`
    const endpoints = endpointsOf(namespace, svc.metadata.name)
    const clusterIP = str(spec.clusterIP)
    const affinitySeconds = affinityOf(spec)
    for (const p of records(spec.ports)) {
      const protocol = str(p.protocol) || 'TCP'
      if ((protocol !== 'TCP' && protocol !== 'UDP') || typeof p.port !== 'number') continue
      const portName = str(p.name)
      const backends = backendsFor(endpoints, portName, protocol)
      const base = { service, portName, protocol, backends, affinitySeconds } as const
      if (clusterIP !== '' && clusterIP !== 'None') {
        out.push({ ...base, key: `${clusterIP}:${p.port}/${protocol}`, address: clusterIP, port: p.port, kind: 'clusterIP' })
      }
      if ((type === 'NodePort' || type === 'LoadBalancer') && typeof p.nodePort === 'number') {
        out.push({ ...base, key: `${nodeIp}:${p.nodePort}/${protocol}`, address: nodeIp, port: p.nodePort, kind: 'nodePort' })
      }
    }
  }
  return out
}
