// The subsets a Service's Endpoints should hold, from the Service and the pods its selector
// picks, as Kubernetes' endpoints controller computes them: which pods are endpoints (an IP,
// not finished, not terminating unless publishNotReadyAddresses), ready or not, each service
// port's targetPort resolved per pod, then repacked — ports offered by the same set of
// addresses share a subset — and sorted, so the same pods always give the same subsets
// (the controller writes only when they differ).

import { endpointIPErrors, type EndpointAddress, type EndpointPort, type EndpointSubset } from '../objects/endpoints.ts'
import type { Pod } from '../objects/pod.ts'
import type { Service, ServicePort } from '../objects/service.ts'
import { isPodReady } from './pod-readiness.ts'

/** The label marking Endpoints this controller manages (Kubernetes' LabelManagedBy). */
export const MANAGED_BY_LABEL = 'endpoints.kubernetes.io/managed-by'
export const MANAGED_BY_VALUE = 'endpoint-controller'
/** Set (empty) on the Endpoints of a headless Service, as Kubernetes does. */
export const HEADLESS_LABEL = 'service.kubernetes.io/headless'

/** The pod's IP, or '' when it has none yet. */
export function podIPOf (pod: Pod): string {
  return pod.status?.podIP ?? pod.status?.podIPs?.[0]?.ip ?? ''
}

/** Kubernetes' ShouldPodBeInEndpoints: has an IP, is not finished, and is not terminating (unless included). */
export function shouldPodBeInEndpoints (pod: Pod, includeTerminating: boolean): boolean {
  if (podIPOf(pod) === '') return false
  if (!includeTerminating && pod.metadata.deletionTimestamp !== undefined) return false
  const phase = pod.status?.phase
  return phase !== 'Succeeded' && phase !== 'Failed'
}

/**
 * The pod port a service port reaches (Kubernetes' FindPort): a number as is; a name looked
 * up among the containers' ports (and sidecars') with the service port's protocol. Undefined
 * when the pod has no such port.
 */
export function findPort (pod: Pod, svcPort: ServicePort): number | undefined {
  const target = svcPort.targetPort ?? svcPort.port
  if (typeof target === 'number') return target === 0 ? svcPort.port : target
  if (target === '') return svcPort.port
  const protocol = svcPort.protocol ?? 'TCP'
  const sidecars = (pod.spec.initContainers ?? []).filter((c) => (c as { restartPolicy?: string }).restartPolicy === 'Always')
  for (const c of [...(pod.spec.containers ?? []), ...sidecars]) {
    const found = (c.ports ?? []).find((p) => p.name === target && (p.protocol ?? 'TCP') === protocol)
    if (found !== undefined) return found.containerPort
  }
  return undefined
}

/** The labels Kubernetes puts on a Service's Endpoints: the Service's, plus headless and managed-by. */
export function endpointsLabels (service: Service): Record<string, string> {
  const labels: Record<string, string> = { ...(service.metadata.labels ?? {}) }
  if (service.spec.clusterIP === 'None') labels[HEADLESS_LABEL] = ''
  else delete labels[HEADLESS_LABEL]
  labels[MANAGED_BY_LABEL] = MANAGED_BY_VALUE
  return labels
}

function addressOf (pod: Pod, service: Service): EndpointAddress {
  const a: EndpointAddress = { ip: podIPOf(pod) }
  const { hostname, subdomain, nodeName } = pod.spec as { hostname?: string, subdomain?: string, nodeName?: string }
  if (hostname !== undefined && hostname !== '' && subdomain === service.metadata.name) a.hostname = hostname
  if (nodeName !== undefined && nodeName !== '') a.nodeName = nodeName
  a.targetRef = { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name, uid: pod.metadata.uid ?? '' }
  return a
}

function endpointPort (svcPort: ServicePort, port: number): EndpointPort {
  const p: EndpointPort = { port, protocol: svcPort.protocol ?? 'TCP' }
  if (svcPort.name !== undefined && svcPort.name !== '') p.name = svcPort.name
  if (svcPort.appProtocol !== undefined) p.appProtocol = svcPort.appProtocol
  return p
}

export interface SubsetsResult {
  subsets: EndpointSubset[]
  /** Pods left out because the API would refuse their IP as an endpoint (loopback, link-local). */
  refused: string[]
}

interface Member { address: EndpointAddress, ready: boolean }

/** The sorted, repacked subsets of `service` over `pods` (already filtered by its selector). */
export function endpointSubsets (service: Service, pods: readonly Pod[]): SubsetsResult {
  const publishNotReady = service.spec.publishNotReadyAddresses === true
  const svcPorts = service.spec.ports ?? []
  const headless = service.spec.clusterIP === 'None'
  // Each distinct endpoint port and the addresses offering it; '' stands for "no ports" (headless).
  const byPort = new Map<string, { port: EndpointPort | undefined, members: Member[] }>()
  const add = (port: EndpointPort | undefined, member: Member): void => {
    const key = port === undefined ? '' : canonicalJson(port)
    const entry = byPort.get(key) ?? { port, members: [] }
    entry.members.push(member)
    byPort.set(key, entry)
  }
  const refused: string[] = []
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue
    const address = addressOf(pod, service)
    if (endpointIPErrors(address.ip).length > 0) {
      refused.push(`${pod.metadata.name} (${address.ip})`)
      continue
    }
    const member = { address, ready: publishNotReady || isPodReady(pod) }
    if (svcPorts.length === 0) {
      if (headless) add(undefined, member)
      continue
    }
    for (const sp of svcPorts) {
      const port = findPort(pod, sp)
      if (port !== undefined) add(endpointPort(sp, port), member)
    }
  }
  // Repack: ports offered by exactly the same addresses (with the same readiness) share a subset.
  const groups = new Map<string, { members: Member[], ports: EndpointPort[] }>()
  for (const { port, members } of byPort.values()) {
    members.sort((a, b) => compareAddresses(a.address, b.address))
    const key = canonicalJson(members)
    const group = groups.get(key) ?? { members, ports: [] }
    if (port !== undefined) group.ports.push(port)
    groups.set(key, group)
  }
  const subsets = [...groups.values()].map(({ members, ports }) => {
    const s: EndpointSubset = {}
    const ready = members.filter((m) => m.ready).map((m) => m.address)
    const notReady = members.filter((m) => !m.ready).map((m) => m.address)
    if (ready.length > 0) s.addresses = ready
    if (notReady.length > 0) s.notReadyAddresses = notReady
    if (ports.length > 0) s.ports = ports.sort(comparePorts)
    return s
  })
  subsets.sort((a, b) => compareStrings(canonicalJson(a), canonicalJson(b)))
  return { subsets, refused }
}

function compareStrings (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function compareAddresses (a: EndpointAddress, b: EndpointAddress): number {
  return compareStrings(a.ip, b.ip) || compareStrings(a.targetRef?.uid ?? '', b.targetRef?.uid ?? '')
}

function comparePorts (a: EndpointPort, b: EndpointPort): number {
  return compareStrings(a.name ?? '', b.name ?? '') || a.port - b.port || compareStrings(a.protocol, b.protocol)
}

/** JSON with object keys sorted: equal values give equal text whatever order their fields were written in. */
export function canonicalJson (v: unknown): string {
  return JSON.stringify(v, (_key, value: unknown) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value
    const sorted: Record<string, unknown> = {}
    for (const k of Object.keys(value).sort()) sorted[k] = (value as Record<string, unknown>)[k]
    return sorted
  })
}
