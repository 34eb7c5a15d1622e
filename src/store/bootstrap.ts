// The objects every cluster starts with: the namespaces `default`, `kube-system`,
// `kube-public` and `kube-node-lease`. The store does not invent them (that would need a
// clock and uids inside apply); the agent that creates a cluster proposes, once, as the first
// command of the new log:
//
//   { op: 'batch', commands: bootstrapCommands(new Date().toISOString(), () => randomUUID()) }
//
// Every agent then applies the same bytes. Re-proposing is harmless: the creates fail with
// AlreadyExists.
//
// With a ClusterConfig, the batch also fixes the cluster's Service range (the ConfigMap
// kube-system/flotilla-cluster, read by service-allocation.ts) and creates the cluster DNS
// Service kube-system/kube-dns at the 10th address of that range, which every agent serves.

import { createHash } from 'node:crypto'
import { namespaceKind } from '../objects/namespace.ts'
import { serviceKind } from '../objects/service.ts'
import { CLUSTER_CONFIG, nthAddress, parseCidr, SERVICE_CIDR_KEY } from './service-allocation.ts'
import type { KObject, StoreCommand } from './types.ts'

export const BOOTSTRAP_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public', 'kube-node-lease']

/**
 * Create commands for the initial namespaces. `now` is the creationTimestamp (RFC 3339);
 * `uidFor(name)` gives each namespace its uid.
 */
export function bootstrapCommands (now: string, uidFor: (name: string) => string, config?: ClusterConfig): StoreCommand[] {
  const namespaces: StoreCommand[] = BOOTSTRAP_NAMESPACES.map((name) => {
    const object: KObject = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, uid: uidFor(name), creationTimestamp: now }
    }
    namespaceKind.defaults(object)
    return { op: 'create', object }
  })
  if (config === undefined) return namespaces
  const range = parseCidr(config.serviceCidr)
  if (range === undefined) throw new Error(`invalid Service range ${JSON.stringify(config.serviceCidr)}: expected an IPv4 CIDR such as 10.96.0.0/16`)
  const configMap: KObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { ...CLUSTER_CONFIG, uid: uidFor(CLUSTER_CONFIG.name), creationTimestamp: now },
    data: { [SERVICE_CIDR_KEY]: range.cidr, [CLUSTER_DOMAIN_KEY]: CLUSTER_DOMAIN }
  }
  const dns: KObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { ...KUBE_DNS, uid: uidFor(KUBE_DNS.name), creationTimestamp: now, labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'Flotilla-DNS' } },
    spec: {
      clusterIP: nthAddress(range, DNS_ADDRESS_INDEX),
      ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }]
    }
  }
  serviceKind.defaults(dns)
  return [...namespaces, { op: 'create', object: configMap }, { op: 'create', object: dns }]
}

/** What a new cluster is created with. */
export interface ClusterConfig {
  /** The IPv4 range cluster IPs are allocated from, e.g. 10.96.0.0/16. */
  readonly serviceCidr: string
}

export const CLUSTER_DOMAIN = 'cluster.local'
export const CLUSTER_DOMAIN_KEY = 'clusterDomain'
/** The cluster DNS Service, served by every agent at its cluster IP. */
export const KUBE_DNS = { namespace: 'kube-system', name: 'kube-dns' } as const
const DNS_ADDRESS_INDEX = 10

/**
 * The Service range of a new cluster when none is asked for: a /20 of 10.96.0.0/12 picked by
 * the cluster's id, so that clusters sharing a machine (and its cluster-IP interface) do not
 * hand out the same addresses.
 */
export function defaultServiceCidr (clusterId: string): string {
  const block = createHash('sha256').update(clusterId).digest().readUInt8(0)
  const base = parseCidr('10.96.0.0/12') as { base: number }
  const start = base.base + block * 4096
  return `${nthAddress({ base: start, size: 4096, cidr: '' }, 0)}/20`
}
