// Cluster DNS answers, rule by rule, against the Kubernetes DNS-based service discovery
// specification (kubernetes/dns docs/specification.md) and CoreDNS's kubernetes plugin.

import { describe, expect, it } from 'vitest'
import { ClusterDnsResolver, type DnsResolution } from '../../../src/proxy/dns-resolver.ts'
import { Rcode } from '../../../src/proxy/dns-message.ts'
import { CLASS_IN, RecordType, type DnsRecord } from '../../../src/proxy/dns-records.ts'
import type { EndpointsLike, ServiceDirectory, ServiceLike } from '../../../src/proxy/service-directory.ts'

function directory (services: ServiceLike[], endpoints: Record<string, EndpointsLike> = {}, namespaces?: string[]): ServiceDirectory {
  const dir: ServiceDirectory = {
    service: (ns, name) => services.find((s) => s.metadata.namespace === ns && s.metadata.name === name),
    endpoints: (ns, name) => endpoints[`${ns}/${name}`]
  }
  if (namespaces !== undefined) dir.namespaceExists = (ns) => namespaces.includes(ns)
  return dir
}

const web: ServiceLike = { metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80 }, { name: 'dns', port: 53, protocol: 'UDP' }, { port: 9000 }] } }
const dual: ServiceLike = { metadata: { name: 'dual', namespace: 'default' }, spec: { clusterIP: '10.96.0.21', clusterIPs: ['10.96.0.21', 'fd00::21'] } }
const pending: ServiceLike = { metadata: { name: 'pending', namespace: 'default' }, spec: { ports: [{ port: 80 }] } }
const db: ServiceLike = { metadata: { name: 'db', namespace: 'data' }, spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] } }
const ext: ServiceLike = { metadata: { name: 'ext', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'db.example.com.' } }
const alias: ServiceLike = { metadata: { name: 'alias', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'web.default.svc.cluster.local' } }
const loop: ServiceLike = { metadata: { name: 'loop', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'loop.default.svc.cluster.local' } }
const endpoints: Record<string, EndpointsLike> = {
  'data/db': {
    subsets: [
      {
        addresses: [{ ip: '10.244.1.5', hostname: 'db-0' }, { ip: '10.244.2.7', hostname: 'db-1' }, { ip: '10.244.3.9' }],
        notReadyAddresses: [{ ip: '10.244.4.4', hostname: 'db-2' }],
        ports: [{ name: 'pg', port: 5433 }]
      },
      // The same address in a second port group must be answered once.
      { addresses: [{ ip: '10.244.1.5', hostname: 'db-0' }], ports: [{ name: 'metrics', port: 9187 }] }
    ]
  }
}

const resolver = new ClusterDnsResolver({ directory: directory([web, dual, pending, db, ext, alias, loop], endpoints) })

function ask (name: string, type: number = RecordType.A, r = resolver): Extract<DnsResolution, { action: 'answer' }> {
  const result = r.resolve({ name, type, class: CLASS_IN })
  if (result.action !== 'answer') throw new Error(`expected an answer for ${name}, got ${result.action}`)
  return result
}

const data = (records: DnsRecord[]): unknown[] => records.map((r) => {
  const { name: _name, ttl: _ttl, class: _class, ...rest } = r
  return rest
})

describe('ClusterDnsResolver', () => {
  it('answers a ClusterIP Service with its cluster IP and a short TTL', () => {
    const result = ask('web.default.svc.cluster.local')
    expect(result.rcode).toBe(Rcode.NOERROR)
    expect(result.answers).toEqual([{ name: 'web.default.svc.cluster.local', ttl: 5, type: 'A', address: '10.96.0.20' }])
    expect(result.authorities).toEqual([])
  })

  it('matches names case-insensitively, tolerates a trailing dot, and echoes the asked spelling', () => {
    const result = ask('WEB.Default.SVC.Cluster.Local.')
    expect(data(result.answers)).toEqual([{ type: 'A', address: '10.96.0.20' }])
    expect(result.answers[0]?.name).toBe('WEB.Default.SVC.Cluster.Local')
  })

  it('answers AAAA from clusterIPs on a dual-stack Service, and only the asked family', () => {
    expect(data(ask('dual.default.svc.cluster.local', RecordType.AAAA).answers)).toEqual([{ type: 'AAAA', address: 'fd00::21' }])
    expect(data(ask('dual.default.svc.cluster.local', RecordType.A).answers)).toEqual([{ type: 'A', address: '10.96.0.21' }])
  })

  it('answers AAAA for an IPv4-only name with NOERROR and no answers (NODATA), not NXDOMAIN', () => {
    const result = ask('web.default.svc.cluster.local', RecordType.AAAA)
    expect(result.rcode).toBe(Rcode.NOERROR)
    expect(result.answers).toEqual([])
    expect(result.authorities.map((r) => r.type)).toEqual(['SOA'])
  })

  it('answers a Service with no cluster IP yet with an empty NOERROR', () => {
    const result = ask('pending.default.svc.cluster.local')
    expect(result.rcode).toBe(Rcode.NOERROR)
    expect(result.answers).toEqual([])
  })

  it('answers a headless Service with every ready endpoint address, once each', () => {
    const result = ask('db.data.svc.cluster.local')
    expect(data(result.answers)).toEqual([
      { type: 'A', address: '10.244.1.5' },
      { type: 'A', address: '10.244.2.7' },
      { type: 'A', address: '10.244.3.9' }
    ])
  })

  it('includes not-ready addresses when the Service publishes them', () => {
    const publishing = { ...db, spec: { ...db.spec, publishNotReadyAddresses: true } }
    const r = new ClusterDnsResolver({ directory: directory([publishing], endpoints) })
    expect(ask('db.data.svc.cluster.local', RecordType.A, r).answers.map((a) => a.type === 'A' ? a.address : '')).toContain('10.244.4.4')
  })

  it('answers a headless endpoint by hostname, or by dashed IP when it has none', () => {
    expect(data(ask('db-1.db.data.svc.cluster.local').answers)).toEqual([{ type: 'A', address: '10.244.2.7' }])
    expect(data(ask('10-244-3-9.db.data.svc.cluster.local').answers)).toEqual([{ type: 'A', address: '10.244.3.9' }])
    expect(ask('db-2.db.data.svc.cluster.local').rcode).toBe(Rcode.NXDOMAIN)
    expect(ask('db-9.db.data.svc.cluster.local').rcode).toBe(Rcode.NXDOMAIN)
    // Endpoint names belong to headless Services only.
    expect(ask('anything.web.default.svc.cluster.local').rcode).toBe(Rcode.NXDOMAIN)
  })

  it('answers an ExternalName Service with only a CNAME, whatever the type asked', () => {
    for (const type of [RecordType.A, RecordType.AAAA, RecordType.CNAME, RecordType.SRV]) {
      const result = ask('ext.default.svc.cluster.local', type)
      expect(result.rcode).toBe(Rcode.NOERROR)
      expect(data(result.answers)).toEqual([{ type: 'CNAME', target: 'db.example.com' }])
    }
  })

  it('follows an ExternalName that points back into the cluster, and stops on a loop', () => {
    expect(data(ask('alias.default.svc.cluster.local').answers)).toEqual([
      { type: 'CNAME', target: 'web.default.svc.cluster.local' },
      { type: 'A', address: '10.96.0.20' }
    ])
    expect(data(ask('loop.default.svc.cluster.local').answers)).toEqual([{ type: 'CNAME', target: 'loop.default.svc.cluster.local' }])
    const chain: ServiceLike[] = Array.from({ length: 12 }, (_, i) => ({ metadata: { name: `c${i}`, namespace: 'default' }, spec: { type: 'ExternalName', externalName: `c${i + 1}.default.svc.cluster.local` } }))
    const long = new ClusterDnsResolver({ directory: directory(chain) })
    expect(ask('c0.default.svc.cluster.local', RecordType.A, long).answers).toHaveLength(8)
  })

  it('answers SRV for a named port of a ClusterIP Service, with the address as additional', () => {
    const result = ask('_http._tcp.web.default.svc.cluster.local', RecordType.SRV)
    expect(data(result.answers)).toEqual([{ type: 'SRV', priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' }])
    expect(result.additionals).toEqual([{ name: 'web.default.svc.cluster.local', ttl: 5, type: 'A', address: '10.96.0.20' }])
    expect(data(ask('_dns._udp.web.default.svc.cluster.local', RecordType.SRV).answers)).toMatchObject([{ port: 53 }])
  })

  it('answers SRV for a headless Service with one record per ready endpoint and its endpoint port', () => {
    const result = ask('_pg._tcp.db.data.svc.cluster.local', RecordType.SRV)
    expect(data(result.answers)).toEqual([
      { type: 'SRV', priority: 0, weight: 33, port: 5433, target: 'db-0.db.data.svc.cluster.local' },
      { type: 'SRV', priority: 0, weight: 33, port: 5433, target: 'db-1.db.data.svc.cluster.local' },
      { type: 'SRV', priority: 0, weight: 33, port: 5433, target: '10-244-3-9.db.data.svc.cluster.local' }
    ])
    expect(result.additionals.map((r) => r.name)).toEqual(['db-0.db.data.svc.cluster.local', 'db-1.db.data.svc.cluster.local', '10-244-3-9.db.data.svc.cluster.local'])
  })

  it('answers NXDOMAIN for an unknown port or protocol, NODATA for an A query on an SRV name', () => {
    expect(ask('_nope._tcp.web.default.svc.cluster.local', RecordType.SRV).rcode).toBe(Rcode.NXDOMAIN)
    expect(ask('_http._udp.web.default.svc.cluster.local', RecordType.SRV).rcode).toBe(Rcode.NXDOMAIN)
    const a = ask('_http._tcp.web.default.svc.cluster.local', RecordType.A)
    expect([a.rcode, a.answers, a.additionals]).toEqual([Rcode.NOERROR, [], []])
  })

  it('answers pod names made of a dashed IP', () => {
    expect(data(ask('10-244-1-5.default.pod.cluster.local').answers)).toEqual([{ type: 'A', address: '10.244.1.5' }])
    expect(data(ask('fd00--5.default.pod.cluster.local', RecordType.AAAA).answers)).toEqual([{ type: 'AAAA', address: 'fd00::5' }])
    expect(ask('10-244-1-5.default.pod.cluster.local', RecordType.AAAA).rcode).toBe(Rcode.NOERROR)
    expect(ask('10-244-1-999.default.pod.cluster.local').rcode).toBe(Rcode.NXDOMAIN)
    expect(ask('x.10-244-1-5.default.pod.cluster.local').rcode).toBe(Rcode.NXDOMAIN)
  })

  it('answers unknown names in the cluster domain with NXDOMAIN and the zone SOA', () => {
    for (const name of ['nope.default.svc.cluster.local', 'google.com.default.svc.cluster.local', 'x.cluster.local', 'a.b.c.d.e.f.svc.cluster.local']) {
      const result = ask(name)
      expect(result.rcode, name).toBe(Rcode.NXDOMAIN)
      expect(result.answers).toEqual([])
      expect(result.authorities).toMatchObject([{ type: 'SOA', name: 'cluster.local', minimum: 5 }])
    }
  })

  it('treats the zone apex, svc, pod and namespaces as existing names (NODATA), SOA at the apex', () => {
    expect(data(ask('cluster.local', RecordType.SOA).answers)).toMatchObject([{ type: 'SOA', mname: 'ns.dns.cluster.local' }])
    for (const name of ['cluster.local', 'svc.cluster.local', 'default.svc.cluster.local', 'pod.cluster.local', 'default.pod.cluster.local']) {
      const result = ask(name)
      expect([result.rcode, result.answers.length], name).toEqual([Rcode.NOERROR, 0])
    }
  })

  it('answers NXDOMAIN under a namespace the directory says does not exist', () => {
    const r = new ClusterDnsResolver({ directory: directory([web], {}, ['default']) })
    expect(ask('default.svc.cluster.local', RecordType.A, r).rcode).toBe(Rcode.NOERROR)
    expect(ask('ghost.svc.cluster.local', RecordType.A, r).rcode).toBe(Rcode.NXDOMAIN)
    expect(ask('10-0-0-1.ghost.pod.cluster.local', RecordType.A, r).rcode).toBe(Rcode.NXDOMAIN)
  })

  it('says forward for names outside the cluster domain', () => {
    for (const name of ['example.com', 'cluster.local.example.com', 'notcluster.local', '']) {
      expect(resolver.resolve({ name, type: RecordType.A, class: CLASS_IN }).action, name).toBe('forward')
    }
  })

  it('serves a configured domain and TTL', () => {
    const r = new ClusterDnsResolver({ directory: directory([web]), domain: 'Corp.Internal.', ttl: 30 })
    expect(ask('web.default.svc.corp.internal', RecordType.A, r).answers).toMatchObject([{ ttl: 30, address: '10.96.0.20' }])
    expect(r.resolve({ name: 'web.default.svc.cluster.local', type: RecordType.A, class: CLASS_IN }).action).toBe('forward')
  })
})
