// Allocation of a Service's cluster IP and node ports, done while the write is applied so that
// every agent allocates the same values and two concurrent creates can never be given the same
// address or port (the apply is serialised by the Raft log). Deterministic: the lowest free
// value of the range, from the objects in the table only.
//
// The cluster IP range is the cluster's, fixed when the cluster is created: the ConfigMap
// kube-system/flotilla-cluster, key `serviceClusterIPRange` (default 10.96.0.0/12). Node ports
// come from 30000–32767. As the Kubernetes API server:
// - ClusterIP, NodePort and LoadBalancer Services get a cluster IP unless they ask for a
//   given one (which must be free and in the range) or for `None` (headless);
//   ExternalName Services have none.
// - NodePort and LoadBalancer Services get a node port per port unless they name one (free,
//   in range); other types have none.
// - An update keeps what the stored object was given when it leaves the field empty (as a
//   client that never saw it does), refuses to change a set cluster IP, and frees what the
//   new type does not use.

import type { ObjectTable } from './object-table.ts'
import type { KObject, StoreError } from './types.ts'

export const DEFAULT_SERVICE_CIDR = '10.96.0.0/12'
export const CLUSTER_CONFIG = { namespace: 'kube-system', name: 'flotilla-cluster' } as const
export const SERVICE_CIDR_KEY = 'serviceClusterIPRange'
export const NODE_PORT_MIN = 30000
export const NODE_PORT_MAX = 32767

type Rec = Record<string, unknown>
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v)

/** An IPv4 range: `base` is the network address as a number, `size` the count of addresses. */
export interface Ipv4Range { readonly base: number, readonly size: number, readonly cidr: string }

export function ipToNumber (ip: string): number | undefined {
  const parts = ip.split('.')
  if (parts.length !== 4) return undefined
  let n = 0
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined
    n = n * 256 + Number(p)
  }
  return n
}

export function numberToIp (n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.')
}

/** Parses `a.b.c.d/len` (IPv4, prefix 8–30); undefined if it is not one. */
export function parseCidr (cidr: string): Ipv4Range | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr.trim())
  if (m === null) return undefined
  const ip = ipToNumber(m[1] as string)
  const len = Number(m[2])
  if (ip === undefined || len < 8 || len > 30) return undefined
  const size = 2 ** (32 - len)
  return { base: ip - (ip % size), size, cidr: `${numberToIp(ip - (ip % size))}/${len}` }
}

/** The cluster's Service IP range, from its config ConfigMap (the default when absent or unreadable). */
export function serviceRange (table: ObjectTable): Ipv4Range {
  const cm = table.get({ group: '', kind: 'ConfigMap', ...CLUSTER_CONFIG })
  const value = isRecord(cm?.data) ? cm.data[SERVICE_CIDR_KEY] : undefined
  return (typeof value === 'string' ? parseCidr(value) : undefined) ?? parseCidr(DEFAULT_SERVICE_CIDR) as Ipv4Range
}

/** The address a well-known service gets: the `n`th of the range (kube-dns: 10). */
export function nthAddress (range: Ipv4Range, n: number): string {
  return numberToIp(range.base + n)
}

export const isServiceObject = (obj: KObject): boolean => obj.apiVersion === 'v1' && obj.kind === 'Service'

const invalid = (obj: KObject, field: string, value: unknown, why: string): StoreError => ({
  code: 422,
  reason: 'Invalid',
  message: `Service ${JSON.stringify(obj.metadata.name)} is invalid: ${field}: Invalid value: ${JSON.stringify(value)}: ${why}`
})

function typeOf (spec: Rec): string {
  return typeof spec.type === 'string' ? spec.type : 'ClusterIP'
}

const usesNodePorts = (type: string): boolean => type === 'NodePort' || type === 'LoadBalancer'

/** Cluster IPs and node ports held by every Service in the table except `except` (namespace/name). */
function used (table: ObjectTable, except: string): { ips: Set<number>, ports: Set<number> } {
  const ips = new Set<number>()
  const ports = new Set<number>()
  for (const svc of table.list('', 'Service')) {
    if (`${svc.metadata.namespace ?? ''}/${svc.metadata.name}` === except || !isRecord(svc.spec)) continue
    const ip = typeof svc.spec.clusterIP === 'string' ? ipToNumber(svc.spec.clusterIP) : undefined
    if (ip !== undefined) ips.add(ip)
    for (const p of Array.isArray(svc.spec.ports) ? svc.spec.ports : []) {
      if (isRecord(p) && typeof p.nodePort === 'number') ports.add(p.nodePort)
    }
  }
  return { ips, ports }
}

/**
 * Fills `next.spec` (an unfrozen Service about to be stored) with its cluster IP and node
 * ports, given the stored version on an update; returns an Invalid error instead when what
 * it asks for cannot be had.
 */
export function allocateService (table: ObjectTable, next: KObject, stored?: KObject): StoreError | undefined {
  if (!isRecord(next.spec)) return undefined
  const spec = next.spec
  const old = isRecord(stored?.spec) ? stored.spec : undefined
  const type = typeOf(spec)
  const taken = used(table, `${next.metadata.namespace ?? ''}/${next.metadata.name}`)
  const ipError = allocateClusterIP(table, next, spec, old, type, taken.ips)
  if (ipError !== undefined) return ipError
  return allocateNodePorts(next, spec, old, type, taken.ports)
}

function allocateClusterIP (table: ObjectTable, obj: KObject, spec: Rec, old: Rec | undefined, type: string, taken: Set<number>): StoreError | undefined {
  if (type === 'ExternalName') {
    delete spec.clusterIP
    delete spec.clusterIPs
    return undefined
  }
  const oldIP = old !== undefined && typeOf(old) !== 'ExternalName' && typeof old.clusterIP === 'string' && old.clusterIP !== '' ? old.clusterIP : undefined
  let ip = typeof spec.clusterIP === 'string' && spec.clusterIP !== '' ? spec.clusterIP : undefined
  if (oldIP !== undefined) {
    if (ip !== undefined && ip !== oldIP) return invalid(obj, 'spec.clusterIP', ip, 'field is immutable')
    ip = oldIP
  } else if (ip === undefined) {
    const range = serviceRange(table)
    // The network address and the last (broadcast) one are never given out.
    for (let n = range.base + 1; n < range.base + range.size - 1; n++) {
      if (!taken.has(n)) { ip = numberToIp(n); break }
    }
    if (ip === undefined) return invalid(obj, 'spec.clusterIP', '', `no address left in the Service range ${range.cidr}: delete Services that are not needed`)
  } else if (ip !== 'None') {
    const n = ipToNumber(ip)
    const range = serviceRange(table)
    if (n === undefined) return invalid(obj, 'spec.clusterIP', ip, 'must be empty, \'None\', or an IPv4 address')
    if (n <= range.base || n >= range.base + range.size - 1) return invalid(obj, 'spec.clusterIP', ip, `provided IP is not in the valid range. The range of valid IPs is ${range.cidr}`)
    if (taken.has(n)) return invalid(obj, 'spec.clusterIP', ip, 'provided IP is already allocated')
  }
  spec.clusterIP = ip
  spec.clusterIPs = [ip]
  if (ip !== 'None') {
    spec.ipFamilies ??= ['IPv4']
    spec.ipFamilyPolicy ??= 'SingleStack'
  }
  return undefined
}

function allocateNodePorts (obj: KObject, spec: Rec, old: Rec | undefined, type: string, taken: Set<number>): StoreError | undefined {
  const ports = Array.isArray(spec.ports) ? spec.ports.filter(isRecord) : []
  if (!usesNodePorts(type)) {
    for (const p of ports) delete p.nodePort
    return undefined
  }
  const oldPorts = old !== undefined && usesNodePorts(typeOf(old)) && Array.isArray(old.ports) ? old.ports.filter(isRecord) : []
  const mine = new Set<number>()
  for (const [i, p] of ports.entries()) {
    if (typeof p.nodePort === 'number' && p.nodePort !== 0) {
      const kept = oldPorts.some((o) => o.nodePort === p.nodePort)
      if (!kept && (taken.has(p.nodePort) || mine.has(p.nodePort))) return invalid(obj, `spec.ports[${i}].nodePort`, p.nodePort, 'provided port is already allocated')
      mine.add(p.nodePort)
      continue
    }
    delete p.nodePort
    const same = oldPorts.find((o) => o.port === p.port && (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP') && typeof o.nodePort === 'number')
    if (same !== undefined && !mine.has(same.nodePort as number)) {
      p.nodePort = same.nodePort
      mine.add(same.nodePort as number)
    }
  }
  for (const p of ports) {
    if (typeof p.nodePort === 'number') continue
    let port: number | undefined
    for (let n = NODE_PORT_MIN; n <= NODE_PORT_MAX; n++) {
      if (!taken.has(n) && !mine.has(n)) { port = n; break }
    }
    if (port === undefined) return invalid(obj, 'spec.ports.nodePort', '', `no node port left in ${NODE_PORT_MIN}-${NODE_PORT_MAX}: delete NodePort Services that are not needed`)
    p.nodePort = port
    mine.add(port)
  }
  return undefined
}
