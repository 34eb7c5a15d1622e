// Cluster DNS answering logic (the Kubernetes DNS specification, as kube-dns and CoreDNS's
// kubernetes plugin serve it), pure over a ServiceDirectory. Given one question it either
// answers authoritatively (names inside the cluster domain) or says "forward" (any other
// name: the server sends those upstream).
//
// Names under <domain> (default cluster.local), matched case-insensitively, trailing dot
// or not; answers echo the question's spelling:
//   <svc>.<ns>.svc            ClusterIP Service: its cluster IP(s) as A/AAAA; no IP allocated
//                             yet: NOERROR with no answers. Headless (clusterIP None): one
//                             A/AAAA per ready endpoint address (none ready: NOERROR, empty).
//                             ExternalName: a CNAME to spec.externalName, whatever the type
//                             asked (chased when it points back into the cluster domain,
//                             up to 8 links, stopping at a loop).
//   <host>.<svc>.<ns>.svc     headless only: the endpoint whose hostname (or, without one,
//                             its dashed IP, "10-1-2-3") is <host>.
//   _<port>._<proto>.<svc>.<ns>.svc  SRV per named port: to <svc>.<ns>.svc.<domain> for a
//                             ClusterIP Service; one per ready endpoint, to its <host> name,
//                             for a headless one; address records go in the additional section.
//   <a-b-c-d>.<ns>.pod        the A record a.b.c.d (IPv6 with dashes for colons: AAAA), as
//                             CoreDNS's "pods insecure" mode.
// A name that exists but has no record of the asked type is NOERROR with no answers
// (NODATA); a name that does not exist is NXDOMAIN. Both carry the zone's SOA in the
// authority section, so resolvers cache the negative answer for `ttl` seconds (RFC 2308).

import { ipFamily, formatIPv6, parseIPv4, parseIPv6 } from './ip-text.ts'
import { CLASS_ANY, CLASS_IN, RecordType, recordTypeCode, type DnsRecord } from './dns-records.ts'
import { Rcode, type DnsQuestion } from './dns-message.ts'
import type { EndpointAddressLike, EndpointSubsetLike, ServiceDirectory, ServiceLike } from './service-directory.ts'

export interface ClusterDnsOptions {
  /** Where the cluster's objects are read. */
  directory: ServiceDirectory
  /** The cluster domain. Default "cluster.local". */
  domain?: string
  /** TTL of every answer, and of negative answers (SOA minimum), in seconds. Default 5. */
  ttl?: number
}

export type DnsResolution =
  | { action: 'answer', rcode: number, answers: DnsRecord[], authorities: DnsRecord[], additionals: DnsRecord[] }
  | { action: 'forward' }

/** The records a name holds (all types), or undefined when the name does not exist. */
interface NameNode { records: DnsRecord[], additionals: DnsRecord[] }

const EMPTY_NODE: NameNode = { records: [], additionals: [] }
/** CNAMEs followed inside the cluster domain before giving up (a loop of ExternalNames). */
const MAX_CNAME_CHAIN = 8

export class ClusterDnsResolver {
  readonly domain: string
  readonly ttl: number
  private readonly directory: ServiceDirectory

  constructor (options: ClusterDnsOptions) {
    this.directory = options.directory
    this.domain = trimDot(options.domain ?? 'cluster.local').toLowerCase()
    this.ttl = options.ttl ?? 5
  }

  /** Whether `name` lies in the cluster domain (and is answered here rather than forwarded). */
  inZone (name: string): boolean {
    const lower = trimDot(name).toLowerCase()
    return lower === this.domain || lower.endsWith(`.${this.domain}`)
  }

  resolve (question: DnsQuestion): DnsResolution {
    if (!this.inZone(question.name)) return { action: 'forward' }
    if (question.class !== CLASS_IN && question.class !== CLASS_ANY) return this.answer(Rcode.NOTIMP, [], [])
    const answers: DnsRecord[] = []
    const additionals: DnsRecord[] = []
    let name = trimDot(question.name)
    const visited = new Set<string>()
    for (let hop = 0; ; hop++) {
      visited.add(name.toLowerCase())
      const node = this.lookup(name)
      if (node === undefined) return this.answer(Rcode.NXDOMAIN, answers, additionals)
      const matching = node.records.filter((r) => r.type === 'CNAME' || question.type === RecordType.ANY || recordTypeCode(r) === question.type)
      answers.push(...matching)
      if (matching.some((r) => r.type === 'SRV')) additionals.push(...node.additionals)
      const cname = matching.find((r) => r.type === 'CNAME')
      if (cname === undefined || question.type === RecordType.CNAME || cname.type !== 'CNAME') break
      // The client's resolver follows a CNAME out of the cluster itself; one that points back
      // in is answered here, as no upstream could.
      name = trimDot(cname.target)
      if (!this.inZone(name) || visited.has(name.toLowerCase()) || hop + 1 >= MAX_CNAME_CHAIN) break
    }
    return this.answer(Rcode.NOERROR, answers, additionals)
  }

  private answer (rcode: number, answers: DnsRecord[], additionals: DnsRecord[]): DnsResolution {
    const negative = answers.length === 0
    return { action: 'answer', rcode, answers, authorities: negative ? [this.soa()] : [], additionals }
  }

  private soa (): DnsRecord {
    return {
      name: this.domain,
      ttl: this.ttl,
      type: 'SOA',
      mname: `ns.dns.${this.domain}`,
      rname: `hostmaster.${this.domain}`,
      serial: 1,
      refresh: 7200,
      retry: 1800,
      expire: 86400,
      minimum: this.ttl
    }
  }

  /** The node for `name` (inside the zone), in the question's spelling. */
  private lookup (name: string): NameNode | undefined {
    const lower = name.toLowerCase()
    if (lower === this.domain) return { records: [this.soa()], additionals: [] }
    // Escaped bytes (a "\." inside a label) never occur in Kubernetes names.
    if (lower.includes('\\')) return undefined
    const labels = lower.slice(0, -(this.domain.length + 1)).split('.')
    const [first, second, third, fourth, fifth] = [...labels].reverse()
    const nsExists = (ns: string): boolean => this.directory.namespaceExists?.(ns) ?? true
    if (first === 'svc') {
      if (second === undefined) return EMPTY_NODE
      if (third === undefined) return nsExists(second) ? EMPTY_NODE : undefined
      const service = this.directory.service(second, third)
      if (service === undefined) return undefined
      if (fourth === undefined) return this.serviceNode(name, service)
      if (isExternalName(service)) return undefined
      if (fifth === undefined) return this.endpointNode(name, service, fourth)
      if (labels.length === 5 && fifth.startsWith('_') && fourth.startsWith('_')) return this.srvNode(name, service, fifth.slice(1), fourth.slice(1))
      return undefined
    }
    if (first === 'pod') {
      if (second === undefined) return EMPTY_NODE
      if (!nsExists(second)) return undefined
      if (third === undefined) return EMPTY_NODE
      if (fourth !== undefined) return undefined
      const record = this.podRecord(name, third)
      return record === undefined ? undefined : { records: [record], additionals: [] }
    }
    return undefined
  }

  private serviceNode (owner: string, service: ServiceLike): NameNode {
    if (isExternalName(service)) {
      const target = service.spec.externalName
      if (target === undefined || target === '') return EMPTY_NODE
      return { records: [{ name: owner, ttl: this.ttl, type: 'CNAME', target: trimDot(target) }], additionals: [] }
    }
    if (isHeadless(service)) return { records: this.publishedAddresses(service).map((a) => this.addressRecord(owner, a.ip)), additionals: [] }
    return { records: clusterIPs(service).map((ip) => this.addressRecord(owner, ip)), additionals: [] }
  }

  private endpointNode (owner: string, service: ServiceLike, host: string): NameNode | undefined {
    if (!isHeadless(service)) return undefined
    const records = this.publishedAddresses(service)
      .filter((a) => endpointLabel(a) === host)
      .map((a) => this.addressRecord(owner, a.ip))
    return records.length === 0 ? undefined : { records, additionals: [] }
  }

  private srvNode (owner: string, service: ServiceLike, portName: string, protocol: string): NameNode | undefined {
    const serviceName = `${service.metadata.name}.${service.metadata.namespace ?? 'default'}.svc.${this.domain}`.toLowerCase()
    const matches = (p: { name?: string, protocol?: string }): boolean =>
      p.name !== undefined && p.name.toLowerCase() === portName && (p.protocol ?? 'TCP').toLowerCase() === protocol
    const port = service.spec.ports?.find(matches)
    if (port === undefined) return undefined
    if (!isHeadless(service)) {
      const srv: DnsRecord = { name: owner, ttl: this.ttl, type: 'SRV', priority: 0, weight: 100, port: port.port, target: serviceName }
      return { records: [srv], additionals: clusterIPs(service).map((ip) => this.addressRecord(serviceName, ip)) }
    }
    const targets: Array<{ address: EndpointAddressLike, port: number }> = []
    for (const subset of this.directory.endpoints(service.metadata.namespace ?? 'default', service.metadata.name)?.subsets ?? []) {
      const endpointPort = subset.ports?.find(matches)
      if (endpointPort === undefined) continue
      for (const address of this.subsetAddresses(service, subset)) targets.push({ address, port: endpointPort.port })
    }
    const weight = targets.length === 0 ? 100 : Math.max(1, Math.floor(100 / targets.length))
    const records: DnsRecord[] = []
    const additionals: DnsRecord[] = []
    for (const { address, port: targetPort } of targets) {
      const target = `${endpointLabel(address)}.${serviceName}`
      records.push({ name: owner, ttl: this.ttl, type: 'SRV', priority: 0, weight, port: targetPort, target })
      additionals.push(this.addressRecord(target, address.ip))
    }
    return { records, additionals }
  }

  private podRecord (owner: string, label: string): DnsRecord | undefined {
    const v4 = label.replaceAll('-', '.')
    if (parseIPv4(v4) !== undefined) return this.addressRecord(owner, v4)
    const v6 = parseIPv6(label.replaceAll('-', ':'))
    return v6 === undefined ? undefined : this.addressRecord(owner, formatIPv6(v6))
  }

  /** Ready endpoint addresses of a headless Service (and not-ready ones if it publishes them), valid IPs only. */
  private publishedAddresses (service: ServiceLike): EndpointAddressLike[] {
    const endpoints = this.directory.endpoints(service.metadata.namespace ?? 'default', service.metadata.name)
    const seen = new Set<string>()
    const out: EndpointAddressLike[] = []
    for (const subset of endpoints?.subsets ?? []) {
      for (const address of this.subsetAddresses(service, subset)) {
        // The same address appears once per port group; answer it once.
        const key = `${address.ip}/${endpointLabel(address)}`
        if (seen.has(key)) continue
        seen.add(key)
        out.push(address)
      }
    }
    return out
  }

  private subsetAddresses (service: ServiceLike, subset: EndpointSubsetLike): EndpointAddressLike[] {
    const ready = (subset.addresses ?? []).filter((a) => ipFamily(a.ip) !== 0)
    if (service.spec.publishNotReadyAddresses !== true) return ready
    return [...ready, ...(subset.notReadyAddresses ?? []).filter((a) => ipFamily(a.ip) !== 0)]
  }

  private addressRecord (owner: string, ip: string): DnsRecord {
    return ipFamily(ip) === 6
      ? { name: owner, ttl: this.ttl, type: 'AAAA', address: ip }
      : { name: owner, ttl: this.ttl, type: 'A', address: ip }
  }
}

function trimDot (name: string): string {
  return name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name
}

function isExternalName (service: ServiceLike): boolean {
  return service.spec.type === 'ExternalName'
}

function isHeadless (service: ServiceLike): boolean {
  return service.spec.clusterIP === 'None'
}

function clusterIPs (service: ServiceLike): string[] {
  const ips = service.spec.clusterIPs !== undefined && service.spec.clusterIPs.length > 0
    ? service.spec.clusterIPs
    : [service.spec.clusterIP ?? '']
  return ips.filter((ip) => ipFamily(ip) !== 0)
}

/** An endpoint's DNS label: its hostname, or its IP with dashes (as CoreDNS names endpoints without one). */
function endpointLabel (address: EndpointAddressLike): string {
  if (address.hostname !== undefined && address.hostname !== '') return address.hostname.toLowerCase()
  return address.ip.replaceAll(/[.:]/g, '-').toLowerCase()
}
