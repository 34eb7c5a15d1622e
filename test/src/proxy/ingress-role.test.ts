// The ingress role against the real store: off without a port; with one, it serves on the node
// address and follows Ingresses (created, changed, deleted, other classes left alone), Services
// and Endpoints as they change; a port in use is retried until it frees up.

import { createServer, request, type Server } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import type { RoleContext } from '../../../src/agent/roles.ts'
import { realClock } from '../../../src/controllers/clock.ts'
import { IngressRole } from '../../../src/proxy/ingress-role.ts'
import type { KObject } from '../../../src/store/types.ts'
import { StoreBackend } from '../store-backend.ts'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => { for (const c of cleanup.splice(0).reverse()) await c() })

async function listen (server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  cleanup.push(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return (server.address() as { port: number }).port
}

const backend = async (name: string): Promise<number> => await listen(createServer((_req, res) => { res.end(name) }))

/** `status body` of a GET with this Host (fetch would not let the Host header be set). */
async function get (port: number, host: string, path = '/'): Promise<string> {
  return await new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { host } }, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => { body += d.toString() })
      res.on('end', () => { resolve(`${res.statusCode ?? 0} ${body}`) })
    })
    req.on('error', reject)
    req.end()
  })
}

async function write (b: StoreBackend, op: 'create' | 'update', object: KObject): Promise<KObject> {
  const r = await b.write({ op, object })
  if (!r.ok) throw new Error('error' in r ? r.error.message : 'batch')
  return (r as { object: KObject }).object
}

function ctx (backend: StoreBackend, lines: string[], ingressPort?: number): RoleContext {
  return {
    backend, nodeName: 'n', clusterId: 'c', nodeIp: '127.0.0.1', dataDir: '/nonexistent', runtime: 'fake', clock: realClock,
    silenceOf: () => undefined, log: (line) => { lines.push(line) }, ...(ingressPort !== undefined ? { ingressPort } : {})
  }
}

function role (c: RoleContext, retryMs?: number): IngressRole {
  const r = new IngressRole(c, retryMs !== undefined ? { retryMs } : {})
  cleanup.push(async () => { await r.stop() })
  return r
}

const endpoints = (port: number): KObject => ({
  apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'default' },
  subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'http', port, protocol: 'TCP' }] }]
})

const ingress = (host: string, cls?: string, name = 'web'): KObject => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: 'default' },
  spec: {
    ...(cls !== undefined ? { ingressClassName: cls } : {}),
    rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { name: 'http' } } } }] } }]
  }
})

async function until (what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('ingress role', () => {
  it('is off unless a port is given', async () => {
    const b = await StoreBackend.open()
    const r = role(ctx(b, []))
    await r.start()
    expect(r.wantedPort).toBeUndefined()
    expect(r.port).toBeUndefined()
  })

  it('serves the Ingresses, Services and Endpoints of the replica as they change', async () => {
    const b = await StoreBackend.open()
    const lines: string[] = []
    const r = role(ctx(b, lines, 0))
    await r.start()
    const port = r.port as number
    expect(port).toBeGreaterThan(0)
    expect(lines).toEqual([`ingress: serving HTTP on 127.0.0.1:${port}`])
    expect(await get(port, 'web.io')).toBe('404 404 Not Found: no Ingress rule matches host "web.io" and path "/"\n')

    await write(b, 'create', ingress('web.io'))
    expect(await get(port, 'web.io')).toBe('503 503 Service Unavailable: Service default/web has no ready endpoint (Service default/web not found)\n')
    await write(b, 'create', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } })
    expect(await get(port, 'web.io')).toMatch(/^503 .*Service default\/web has no ready endpoints/)
    await write(b, 'create', endpoints(await backend('one')))
    expect(await get(port, 'web.io')).toBe('200 one')
    await write(b, 'update', endpoints(await backend('two')))
    expect(await get(port, 'web.io')).toBe('200 two')

    // Changed rules are seen at the next request; other classes are left to their controllers.
    const current = b.store.get({ group: 'networking.k8s.io', kind: 'Ingress', namespace: 'default', name: 'web' }) as KObject
    await write(b, 'update', { ...ingress('new.io'), metadata: current.metadata })
    expect(await get(port, 'web.io')).toMatch(/^404 /)
    expect(await get(port, 'new.io')).toBe('200 two')
    await write(b, 'create', ingress('nginx.io', 'nginx', 'other'))
    expect(await get(port, 'nginx.io')).toMatch(/^404 /)

    await b.write({ op: 'delete', ref: { group: 'networking.k8s.io', kind: 'Ingress', namespace: 'default', name: 'web' } })
    expect(await get(port, 'new.io')).toMatch(/^404 /)

    await r.stop()
    expect(r.port).toBeUndefined()
    await expect(get(port, 'new.io')).rejects.toThrow(/ECONNREFUSED/)
  })

  it('keeps status.loadBalancer.ingress of its class\'s Ingresses to the Ready nodes serving them', async () => {
    const b = await StoreBackend.open()
    const node = async (name: string, ip: string, ready: string): Promise<void> => {
      const created = await write(b, 'create', { apiVersion: 'v1', kind: 'Node', metadata: { name } })
      const r = await b.write({ op: 'update', subresource: 'status', object: { ...created, status: { conditions: [{ type: 'Ready', status: ready }], addresses: [{ type: 'InternalIP', address: ip }] } } })
      if (!r.ok) throw new Error('node status')
    }
    await node('n', '127.0.0.1', 'True')
    await node('other', '127.0.0.9', 'True')
    await node('dead', '127.0.0.8', 'Unknown')
    const created = await write(b, 'create', ingress('web.io'))
    await b.write({ op: 'update', subresource: 'status', object: { ...created, status: { loadBalancer: { ingress: [{ ip: '127.0.0.9' }, { ip: '127.0.0.8' }] } } } })
    await write(b, 'create', ingress('nginx.io', 'nginx', 'other'))
    const ips = (name: string): unknown => (b.store.get({ group: 'networking.k8s.io', kind: 'Ingress', namespace: 'default', name }) as KObject).status
    const r = role(ctx(b, [], 0))
    await r.start()
    await r.settled()
    expect(ips('web')).toEqual({ loadBalancer: { ingress: [{ ip: '127.0.0.1' }, { ip: '127.0.0.9' }] } })
    expect(ips('other')).toBeUndefined()
    // Settled: a Node change that alters nothing writes nothing.
    const writes = b.writes.length
    const other = b.store.get({ group: '', kind: 'Node', namespace: '', name: 'other' }) as KObject
    await write(b, 'update', { ...other, metadata: { ...other.metadata, labels: { poked: 'yes' } } })
    await r.settled()
    expect(b.writes.length).toBe(writes + 1)
    // This node turns NotReady: it takes itself out.
    const n = b.store.get({ group: '', kind: 'Node', namespace: '', name: 'n' }) as KObject
    await b.write({ op: 'update', subresource: 'status', object: { ...n, status: { ...(n.status as object), conditions: [{ type: 'Ready', status: 'Unknown' }] } } })
    await r.settled()
    expect(ips('web')).toEqual({ loadBalancer: { ingress: [{ ip: '127.0.0.9' }] } })
  })

  it('retries a port in use, saying so once, and serves when it frees up', async () => {
    const b = await StoreBackend.open()
    const squatter = createServer((_req, res) => { res.end('squatter') })
    const port = await listen(squatter)
    const lines: string[] = []
    const r = role(ctx(b, lines, port), 20)
    await r.start()
    expect(r.port).toBeUndefined()
    await until('a few retries', () => r.attempts >= 3)
    expect(lines).toEqual([`ingress: cannot listen on 127.0.0.1:${port}: in use on this machine (by another program, or another agent with the same --node-ip and --ingress-port); retrying every 20 ms`])
    squatter.closeAllConnections()
    await new Promise((resolve) => squatter.close(resolve))
    await until('the role to bind the freed port', () => r.port === port)
    expect(await get(port, 'any.io')).toMatch(/^404 /)
  })
})
