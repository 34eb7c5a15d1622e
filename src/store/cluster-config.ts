// The cluster-wide settings roles read from the replica, all created with the cluster
// (bootstrap.ts): the Service range and the cluster domain (the ConfigMap
// kube-system/flotilla-cluster), and where the cluster DNS is (the kube-system/kube-dns
// Service's cluster IP: every agent serves DNS there; pods get it as their nameserver).

import { CLUSTER_DOMAIN, CLUSTER_DOMAIN_KEY, KUBE_DNS } from './bootstrap.ts'
import { CLUSTER_CONFIG, SERVICE_CIDR_KEY } from './service-allocation.ts'
import type { ObjectReader } from './types.ts'

type Rec = Record<string, unknown>
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The cluster DNS address and domain, when the cluster has them. */
export function clusterDns (reader: ObjectReader): { server: string, domain: string } | undefined {
  const svc = reader.get({ group: '', kind: 'Service', ...KUBE_DNS })
  const ip = isRecord(svc?.spec) ? svc.spec.clusterIP : undefined
  if (typeof ip !== 'string' || ip === '' || ip === 'None') return undefined
  return { server: ip, domain: clusterDomain(reader) }
}

export function clusterDomain (reader: ObjectReader): string {
  const cm = reader.get({ group: '', kind: 'ConfigMap', ...CLUSTER_CONFIG })
  return isRecord(cm?.data) && typeof cm.data[CLUSTER_DOMAIN_KEY] === 'string' ? cm.data[CLUSTER_DOMAIN_KEY] : CLUSTER_DOMAIN
}

/** The cluster's Service range; undefined until the cluster config is in the replica (a new cluster's first moments). */
export function configuredServiceCidr (reader: ObjectReader): string | undefined {
  const cm = reader.get({ group: '', kind: 'ConfigMap', ...CLUSTER_CONFIG })
  const value = isRecord(cm?.data) ? cm.data[SERVICE_CIDR_KEY] : undefined
  return typeof value === 'string' ? value : undefined
}
