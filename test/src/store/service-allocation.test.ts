// Cluster IPs and node ports allocated as a Service write is applied (as the Kubernetes API
// server's allocators): lowest free value, asked-for values checked, kept across updates that
// leave them out, freed by a type change and by deletion.

import { describe, expect, it } from 'vitest'
import { parseCidr, allocateService } from '../../../src/store/service-allocation.ts'
import type { KObject } from '../../../src/store/types.ts'
import { StoreBackend } from '../store-backend.ts'

function service (name: string, spec: Record<string, unknown>): KObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports: [{ port: 80, protocol: 'TCP' }], ...spec } }
}

async function create (b: StoreBackend, obj: KObject): Promise<KObject> {
  const r = await b.write({ op: 'create', object: obj })
  if (!r.ok) throw new Error('error' in r ? r.error.message : 'batch')
  return (r as { object: KObject }).object
}

async function refused (b: StoreBackend, cmd: Parameters<StoreBackend['write']>[0]): Promise<string> {
  const r = await b.write(cmd)
  if (r.ok || !('error' in r)) throw new Error('expected the write to be refused')
  expect(r.error.code).toBe(422)
  return r.error.message
}

const spec = (o: KObject): Record<string, any> => o.spec as Record<string, any>

describe('Service allocation in the store', () => {
  it('gives ClusterIP Services the lowest free address of the default range, and none to ExternalName', async () => {
    const b = await StoreBackend.open()
    const a = await create(b, service('a', {}))
    const c = await create(b, service('c', { type: 'NodePort' }))
    const e = await create(b, service('e', { type: 'ExternalName', externalName: 'example.com', clusterIP: undefined }))
    expect(spec(a).clusterIP).toBe('10.96.0.1')
    expect(spec(a).clusterIPs).toEqual(['10.96.0.1'])
    expect(spec(a).ipFamilies).toEqual(['IPv4'])
    expect(spec(c).clusterIP).toBe('10.96.0.2')
    expect(spec(e).clusterIP).toBeUndefined()
    // Deleting frees the address for the next Service.
    await b.write({ op: 'delete', ref: { group: '', kind: 'Service', namespace: 'default', name: 'a' } })
    expect(spec(await create(b, service('d', {}))).clusterIP).toBe('10.96.0.1')
  })

  it('takes the range from the cluster config ConfigMap', async () => {
    const b = await StoreBackend.open()
    await create(b, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'flotilla-cluster', namespace: 'kube-system' }, data: { serviceClusterIPRange: '172.30.0.0/24' } })
    expect(spec(await create(b, service('a', {}))).clusterIP).toBe('172.30.0.1')
    expect(await refused(b, { op: 'create', object: service('b', { clusterIP: '10.96.0.5' }) })).toContain('not in the valid range. The range of valid IPs is 172.30.0.0/24')
  })

  it('honours an asked-for address once, and headless stays headless', async () => {
    const b = await StoreBackend.open()
    expect(spec(await create(b, service('a', { clusterIP: '10.96.0.10' }))).clusterIP).toBe('10.96.0.10')
    expect(await refused(b, { op: 'create', object: service('b', { clusterIP: '10.96.0.10' }) })).toBe('Service "b" is invalid: spec.clusterIP: Invalid value: "10.96.0.10": provided IP is already allocated')
    const h = await create(b, service('h', { clusterIP: 'None' }))
    expect(spec(h).clusterIP).toBe('None')
    expect(spec(h).clusterIPs).toEqual(['None'])
  })

  it('keeps the address on an update that leaves it out, and refuses to change it', async () => {
    const b = await StoreBackend.open()
    const a = await create(b, service('a', { type: 'NodePort' }))
    const updated = await b.write({ op: 'update', object: service('a', { type: 'NodePort', selector: { app: 'x' } }) })
    expect(updated.ok).toBe(true)
    const now = (updated as { object: KObject }).object
    expect(spec(now).clusterIP).toBe(spec(a).clusterIP)
    expect(spec(now).ports[0].nodePort).toBe(spec(a).ports[0].nodePort)
    expect(await refused(b, { op: 'update', object: service('a', { clusterIP: '10.96.0.99' }) })).toContain('spec.clusterIP: Invalid value: "10.96.0.99": field is immutable')
    // An update that only repeats what is stored writes nothing.
    const same = await b.write({ op: 'update', object: service('a', { type: 'NodePort', selector: { app: 'x' } }) })
    expect((same as { object: KObject }).object.metadata.resourceVersion).toBe(now.metadata.resourceVersion)
  })

  it('gives NodePort and LoadBalancer ports distinct node ports from 30000, checks asked-for ones, and frees them on a type change', async () => {
    const b = await StoreBackend.open()
    const a = await create(b, service('a', { type: 'NodePort', ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'https', port: 443, protocol: 'TCP', nodePort: 30000 }] }))
    expect(spec(a).ports.map((p: { nodePort: number }) => p.nodePort)).toEqual([30001, 30000])
    const lb = await create(b, service('lb', { type: 'LoadBalancer' }))
    expect(spec(lb).ports[0].nodePort).toBe(30002)
    expect(spec(await create(b, service('c', {}))).ports[0].nodePort).toBeUndefined()
    expect(await refused(b, { op: 'create', object: service('d', { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP', nodePort: 30002 }] }) })).toContain('spec.ports[0].nodePort: Invalid value: 30002: provided port is already allocated')
    const back = await b.write({ op: 'update', object: service('lb', { type: 'ClusterIP', ports: [{ port: 80, protocol: 'TCP', nodePort: 30002 }] }) })
    expect(spec((back as { object: KObject }).object).ports[0].nodePort).toBeUndefined()
    expect(spec(await create(b, service('e', { type: 'NodePort' }))).ports[0].nodePort).toBe(30002)
  })

  it('two creates in one batch never share an address or a port', async () => {
    const b = await StoreBackend.open()
    const r = await b.write({ op: 'batch', commands: [service('a', { type: 'NodePort' }), service('b', { type: 'NodePort' })].map((object) => ({ op: 'create' as const, object })) })
    const objs = (r as { results: Array<{ object: KObject }> }).results.map((x) => x.object)
    expect(new Set(objs.map((o) => spec(o).clusterIP)).size).toBe(2)
    expect(new Set(objs.map((o) => spec(o).ports[0].nodePort)).size).toBe(2)
  })

  it('parses ranges and leaves objects without a spec alone', () => {
    expect(parseCidr('10.96.0.0/12')).toEqual({ base: 0x0a600000, size: 2 ** 20, cidr: '10.96.0.0/12' })
    expect(parseCidr('10.96.1.7/24')?.cidr).toBe('10.96.1.0/24')
    expect(parseCidr('10.96.0.0')).toBeUndefined()
    expect(parseCidr('300.1.1.1/24')).toBeUndefined()
    expect(allocateService(null as never, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' } })).toBeUndefined()
  })
})
