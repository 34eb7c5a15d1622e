// The resolver a pod's containers get (/etc/resolv.conf), from its dnsPolicy and dnsConfig as
// Kubernetes defines them: ClusterFirst (the default) uses the cluster DNS that every agent
// serves at the kube-dns Service's cluster IP, with the search path `<ns>.svc.<domain>
// svc.<domain> <domain>` and `ndots:5`; a hostNetwork pod uses the node's resolver unless it
// says ClusterFirstWithHostNet; Default is the node's resolver; None takes only dnsConfig.
// dnsConfig's nameservers, searches and options are added in every case (at most 3
// nameservers and 32 searches; options by name, later wins). Undefined: the node's resolver.

import type { Pod } from '../objects/pod.ts'
import { clusterDns } from '../store/cluster-config.ts'
import type { ObjectReader } from '../store/types.ts'

export interface PodDns {
  servers: string[]
  searches: string[]
  /** `name` or `name:value`, as in resolv.conf. */
  options: string[]
}

type Rec = Record<string, unknown>
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v)
const strings = (v: unknown): string[] => Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : []

export function podDns (reader: ObjectReader, pod: Pod): PodDns | undefined {
  const spec = pod.spec as Rec
  const policy = typeof spec.dnsPolicy === 'string' ? spec.dnsPolicy : 'ClusterFirst'
  const hostNetwork = spec.hostNetwork === true
  const config = isRecord(spec.dnsConfig) ? spec.dnsConfig : {}
  let base: PodDns | undefined
  if (policy === 'None') base = { servers: [], searches: [], options: [] }
  else if (policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && !hostNetwork)) {
    const dns = clusterDns(reader)
    if (dns !== undefined) {
      const ns = pod.metadata.namespace ?? 'default'
      base = { servers: [dns.server], searches: [`${ns}.svc.${dns.domain}`, `svc.${dns.domain}`, dns.domain], options: ['ndots:5'] }
    }
  }
  const extraServers = strings(config.nameservers)
  const extraSearches = strings(config.searches)
  const extraOptions = (Array.isArray(config.options) ? config.options : []).filter(isRecord)
    .filter((o) => typeof o.name === 'string' && o.name !== '')
    .map((o) => typeof o.value === 'string' && o.value !== '' ? `${String(o.name)}:${o.value}` : String(o.name))
  if (base === undefined) {
    if (extraServers.length === 0 && extraSearches.length === 0 && extraOptions.length === 0) return undefined
    base = { servers: [], searches: [], options: [] }
  }
  const options = new Map<string, string>()
  for (const o of [...base.options, ...extraOptions]) options.set(o.split(':')[0] as string, o)
  return {
    servers: [...new Set([...base.servers, ...extraServers])].slice(0, 3),
    searches: [...new Set([...base.searches, ...extraSearches])].slice(0, 32),
    options: [...options.values()]
  }
}
