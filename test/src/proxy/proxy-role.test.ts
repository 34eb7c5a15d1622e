// The proxy role against the real store: listeners follow Services and Endpoints (node port on
// the node address, cluster IP from the cluster's range), move when endpoints change, close
// when the Service goes, and a second agent on the machine takes a cluster IP over when the
// first stops. Cluster IPs come from 127.77.0.0/24 here: loopback addresses are already local,
// so no route is touched.

import { createServer, connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { RoleContext } from '../../../src/agent/roles.ts'
import { realClock } from '../../../src/controllers/clock.ts'
import { ServiceProxy } from '../../../src/proxy/proxy-role.ts'
import type { KObject } from '../../../src/store/types.ts'
import { StoreBackend } from '../store-backend.ts'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => { for (const c of cleanup.splice(0).reverse()) await c() })

async function backend (name: string): Promise<number> {
  const server = createServer((s) => { s.end(name) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanup.push(async () => { await new Promise((resolve) => server.close(resolve)) })
  return (server.address() as { port: number }).port
}

async function ask (host: string, port: number): Promise<string> {
  return await new Promise((resolve) => {
    const s = connect({ host, port })
    let got = ''
    s.on('data', (d) => { got += d.toString() })
    s.on('error', (err) => { resolve(`error ${(err as NodeJS.ErrnoException).code ?? ''}`) })
    s.on('close', () => { resolve(got) })
  })
}

async function until (what: string, check: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

async function write (b: StoreBackend, op: 'create' | 'update', object: KObject): Promise<KObject> {
  const r = await b.write({ op, object })
  if (!r.ok) throw new Error('error' in r ? r.error.message : 'batch')
  return (r as { object: KObject }).object
}

function ctx (backend: StoreBackend, nodeIp = '127.0.0.1'): RoleContext {
  return { backend, nodeName: 'n', clusterId: 'c', nodeIp, dataDir: '/nonexistent', runtime: 'fake', clock: realClock, silenceOf: () => undefined, log: () => {} }
}

function proxy (b: StoreBackend, routes: string[] = []): ServiceProxy {
  const p = new ServiceProxy(ctx(b), { clusterIPs: true, retryMs: 20, routeRange: async (cidr) => { routes.push(cidr) } })
  cleanup.push(async () => { await p.stop() })
  return p
}

const endpoints = (port: number): KObject => ({
  apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'default' },
  subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'http', port, protocol: 'TCP' }] }]
})

async function setUp (): Promise<{ b: StoreBackend, nodePort: number, clusterIP: string }> {
  const b = await StoreBackend.open()
  await write(b, 'create', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'flotilla-cluster', namespace: 'kube-system' }, data: { serviceClusterIPRange: '127.77.0.0/24' } })
  const nodePort = 31000 + Math.floor(Math.random() * 1700)
  const svc = await write(b, 'create', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { type: 'NodePort', ports: [{ name: 'http', port: 8080, protocol: 'TCP', nodePort }] } })
  return { b, nodePort, clusterIP: (svc.spec as { clusterIP: string }).clusterIP }
}

describe('service proxy role', () => {
  it('serves a Service at its node port and cluster IP, follows its endpoints, and closes when it goes', async () => {
    const { b, nodePort, clusterIP } = await setUp()
    expect(clusterIP).toBe('127.77.0.1')
    const routes: string[] = []
    const p = proxy(b, routes)
    p.start()
    await p.settled()
    expect(routes).toEqual(['127.77.0.0/24'])
    expect(p.serving().map((f) => f.key).sort()).toEqual([`127.0.0.1:${nodePort}/TCP`, '127.77.0.1:8080/TCP'])
    // No endpoints yet: connections are accepted, then closed.
    expect(await ask('127.0.0.1', nodePort)).toBe('')
    await write(b, 'create', endpoints(await backend('one')))
    await p.settled()
    expect(await ask('127.0.0.1', nodePort)).toBe('one')
    expect(await ask(clusterIP, 8080)).toBe('one')
    await write(b, 'update', endpoints(await backend('two')))
    await p.settled()
    expect(await ask(clusterIP, 8080)).toBe('two')
    await b.write({ op: 'delete', ref: { group: '', kind: 'Service', namespace: 'default', name: 'web' } })
    await p.settled()
    expect(p.serving()).toEqual([])
    expect(await ask('127.0.0.1', nodePort)).toBe('error ECONNREFUSED')
  })

  it('leaves cluster IPs alone when they are off, and node ports to a second agent on its own address', async () => {
    const { b, nodePort } = await setUp()
    const p = new ServiceProxy(ctx(b, '127.0.0.3'), { clusterIPs: false })
    cleanup.push(async () => { await p.stop() })
    p.start()
    await p.settled()
    expect(p.serving().map((f) => f.key)).toEqual([`127.0.0.3:${nodePort}/TCP`])
  })

  it('a second agent on the machine waits for a cluster IP and takes it over when the first stops', async () => {
    const { b, clusterIP } = await setUp()
    await write(b, 'create', endpoints(await backend('up')))
    const first = proxy(b)
    first.start()
    await first.settled()
    const second = new ServiceProxy(ctx(b, '127.0.0.4'), { clusterIPs: true, retryMs: 20, routeRange: async () => {} })
    cleanup.push(async () => { await second.stop() })
    second.start()
    await second.settled()
    expect(second.unbound().get('127.77.0.1:8080/TCP')).toBe('served by another agent on this machine')
    await first.stop()
    await until('the second agent to serve the cluster IP', () => second.serving().some((f) => f.address === clusterIP))
    expect(await ask(clusterIP, 8080)).toBe('up')
  })

  it('routes nothing until the cluster config gives the Service range, then serves cluster IPs', async () => {
    const b = await StoreBackend.open()
    const nodePort = 31000 + Math.floor(Math.random() * 1700)
    await write(b, 'create', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { type: 'NodePort', ports: [{ name: 'http', port: 8080, protocol: 'TCP', nodePort }] } })
    const routes: string[] = []
    const p = proxy(b, routes)
    p.start()
    await p.settled()
    expect(routes).toEqual([])
    expect(p.serving().map((f) => f.key)).toEqual([`127.0.0.1:${nodePort}/TCP`])
    await write(b, 'create', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'flotilla-cluster', namespace: 'kube-system' }, data: { serviceClusterIPRange: '127.77.0.0/24' } })
    await write(b, 'create', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'default' }, spec: { ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] } })
    await p.settled()
    expect(routes).toEqual(['127.77.0.0/24'])
    expect(p.serving().map((f) => f.key)).toContain('127.77.0.1:8080/TCP')
  })

  it('says why cluster IPs cannot work when the range cannot be routed, and keeps serving node ports', async () => {
    const { b, nodePort } = await setUp()
    const logs: string[] = []
    const p = new ServiceProxy({ ...ctx(b), log: (l) => { logs.push(l) } }, { clusterIPs: true, routeRange: async () => { throw new Error('cannot route the Service range: Operation not permitted') } })
    cleanup.push(async () => { await p.stop() })
    p.start()
    await p.settled()
    expect(p.serving().map((f) => f.key)).toEqual([`127.0.0.1:${nodePort}/TCP`])
    expect(logs).toEqual(['proxy: cannot route the Service range: Operation not permitted'])
  })
})
