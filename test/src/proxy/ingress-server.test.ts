// The ingress reverse proxy against real backends on loopback: two hosts routed to two
// Services through the real routing table, round robin and refused endpoints passed over,
// 404 / 503 / 502 with bodies that say why, Exact over Prefix, forwarded headers, bodies
// streamed both ways, keep-alive clients, and malformed requests that leave it serving.

import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http'
import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { IngressRoutes, resolveBackend } from '../../../src/proxy/ingress-routes.ts'
import { IngressServer, originForm, type IngressLookup } from '../../../src/proxy/ingress-server.ts'
import type { KObject } from '../../../src/store/types.ts'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => { for (const c of cleanup.splice(0).reverse()) await c() })

async function listen (server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanup.push(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return (server.address() as { port: number }).port
}

/** A backend answering `name method url` and the headers it got, as JSON. */
async function echo (name: string): Promise<number> {
  return await listen(createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => { body += d.toString() })
    req.on('end', () => {
      res.setHeader('content-type', 'application/json')
      res.setHeader('x-backend', name)
      res.end(JSON.stringify({ name, method: req.method, url: req.url, headers: req.headers, body }))
    })
  }))
}

/** A port nothing listens on. */
async function closedPort (): Promise<number> {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as { port: number }).port
  await new Promise((resolve) => s.close(resolve))
  return port
}

interface Answer { status: number, headers: IncomingHttpHeaders, body: string }

async function call (port: number, opts: { host?: string, path?: string, method?: string, headers?: Record<string, string>, body?: string, agent?: Agent } = {}): Promise<Answer> {
  return await new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path ?? '/', agent: opts.agent ?? false,
      headers: { ...(opts.host !== undefined ? { host: opts.host } : {}), ...opts.headers }
    }, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => { body += d.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body }) })
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

const service = (name: string, ports: unknown[]): KObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports } })
const endpoints = (name: string, ports: number[], portName = 'http'): KObject => ({
  apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace: 'default' },
  subsets: ports.map((port) => ({ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: portName, port, protocol: 'TCP' }] }))
})
const backend = (name: string, port: number | string = 80): Record<string, unknown> =>
  ({ service: { name, port: typeof port === 'number' ? { number: port } : { name: port } } })

/** The lookup the role builds: IngressRoutes over these Ingresses, Services and Endpoints. */
function lookupOf (ingresses: KObject[], services: KObject[], eps: KObject[]): IngressLookup {
  const routes = new IngressRoutes(ingresses)
  const find = (list: KObject[]) => (ns: string, name: string): KObject | undefined => list.find((o) => o.metadata.namespace === ns && o.metadata.name === name)
  return (host, target) => {
    const route = routes.match(host, target)
    if (route === undefined) return { kind: 'none' }
    const r = resolveBackend(route.backend, find(services), find(eps))
    return r.backends.length > 0 ? { kind: 'backends', service: r.service, backends: r.backends } : { kind: 'unavailable', service: r.service, why: r.why ?? '' }
  }
}

async function serve (lookup: IngressLookup): Promise<number> {
  const server = new IngressServer({ address: '127.0.0.1', port: 0, lookup, connectTimeoutMs: 2000 })
  await server.listen()
  cleanup.push(async () => { await server.close() })
  return server.port
}

const ingress: KObject = {
  apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z' },
  spec: {
    rules: [
      { host: 'a.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('alpha') }, { path: '/api', pathType: 'Exact', backend: backend('beta', 'http') }] } },
      { host: 'b.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('beta', 'http') }] } },
      { host: 'empty.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('empty') }] } }
    ]
  }
}

async function twoServices (): Promise<number> {
  const alpha = await echo('alpha')
  const beta = await echo('beta')
  const services = [service('alpha', [{ name: 'http', port: 80, protocol: 'TCP' }]), service('beta', [{ name: 'http', port: 8080, protocol: 'TCP' }]), service('empty', [{ name: 'http', port: 80, protocol: 'TCP' }])]
  return await serve(lookupOf([ingress], services, [endpoints('alpha', [alpha]), endpoints('beta', [beta])]))
}

describe('ingress server', () => {
  it('routes two hosts to two Services, Exact before Prefix, and forwards method, target and headers', async () => {
    const port = await twoServices()
    const a = await call(port, { host: 'a.example.com', path: '/x?q=1', headers: { 'x-forwarded-for': '10.9.9.9', connection: 'x-private', 'x-private': 'secret', 'x-app': 'kept' } })
    expect(a.status).toBe(200)
    expect(a.headers['x-backend']).toBe('alpha')
    const got = JSON.parse(a.body)
    expect(got).toMatchObject({ name: 'alpha', method: 'GET', url: '/x?q=1' })
    expect(got.headers).toMatchObject({ host: 'a.example.com', 'x-forwarded-for': '10.9.9.9, 127.0.0.1', 'x-forwarded-host': 'a.example.com', 'x-forwarded-proto': 'http', 'x-app': 'kept' })
    expect(got.headers['x-private']).toBeUndefined()
    expect(JSON.parse((await call(port, { host: 'b.example.com', path: '/x' })).body).name).toBe('beta')
    expect(JSON.parse((await call(port, { host: 'a.example.com', path: '/api' })).body).name).toBe('beta')
    expect(JSON.parse((await call(port, { host: 'a.example.com', path: '/api/v1' })).body).name).toBe('alpha')
    expect(JSON.parse((await call(port, { host: 'a.example.com:8080', method: 'DELETE', path: '/api' })).body)).toMatchObject({ name: 'beta', method: 'DELETE' })
  })

  it('forwards an absolute-form target in origin form, routed by the Host header', async () => {
    const port = await twoServices()
    const raw = await new Promise<string>((resolve) => {
      const s = connect({ host: '127.0.0.1', port })
      let got = ''
      s.on('data', (d) => { got += d.toString() })
      s.on('close', () => { resolve(got) })
      s.write('GET http://b.example.com/abs?x=1 HTTP/1.1\r\nHost: b.example.com\r\nConnection: close\r\n\r\n')
    })
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toMatchObject({ name: 'beta', url: '/abs?x=1' })
    expect(originForm('http://h.io')).toBe('/')
    expect(originForm('http://h.io?q')).toBe('/?q')
    expect(originForm('*')).toBe('*')
    expect(originForm('junk')).toBe('/')
  })

  it('answers 404 when no rule matches and 503 naming the Service when it has no ready endpoint', async () => {
    const port = await twoServices()
    const miss = await call(port, { host: 'c.example.com', path: '/nowhere' })
    expect(miss.status).toBe(404)
    expect(miss.body).toBe('404 Not Found: no Ingress rule matches host "c.example.com" and path "/nowhere"\n')
    const empty = await call(port, { host: 'empty.example.com' })
    expect(empty.status).toBe(503)
    expect(empty.body).toBe('503 Service Unavailable: Service default/empty has no ready endpoint (Service default/empty has no ready endpoints)\n')
  })

  it('spreads requests round robin, passes over a refusing endpoint, and answers 502 when every endpoint fails', async () => {
    const one = await echo('one')
    const two = await echo('two')
    const dead = await closedPort()
    const svc = [service('web', [{ name: 'http', port: 80, protocol: 'TCP' }])]
    const ing: KObject = { ...ingress, spec: { defaultBackend: backend('web') } }
    const port = await serve(lookupOf([ing], svc, [endpoints('web', [one, dead, two])]))
    const names: string[] = []
    for (let i = 0; i < 6; i++) {
      const r = await call(port, { path: `/${i}` })
      expect(r.status).toBe(200)
      names.push(r.headers['x-backend'] as string)
    }
    // one, dead→two, two, one, dead→two, two
    expect(names).toEqual(['one', 'two', 'two', 'one', 'two', 'two'])

    const allDead = await serve(lookupOf([ing], svc, [endpoints('web', [dead, await closedPort()])]))
    const r = await call(allDead)
    expect(r.status).toBe(502)
    expect(r.body).toMatch(/^502 Bad Gateway: no endpoint of Service default\/web answered \(127\.0\.0\.1:\d+: ECONNREFUSED; 127\.0\.0\.1:\d+: ECONNREFUSED\)\n$/)
  })

  it('answers 502 when the endpoint accepts and then drops the connection before answering', async () => {
    const rude = await listen(createServer((req) => { req.socket.destroy() }))
    const port = await serve(() => ({ kind: 'backends', service: 'default/rude', backends: [{ ip: '127.0.0.1', port: rude }] }))
    const r = await call(port)
    expect(r.status).toBe(502)
    expect(r.body).toMatch(/^502 Bad Gateway: the endpoint of Service default\/rude failed: ECONNRESET/)
  })

  it('streams request and response bodies', async () => {
    let release: () => void = () => {}
    const released = new Promise<void>((resolve) => { release = resolve })
    const streaming = await listen(createServer((req, res) => {
      let size = 0
      req.on('data', (d: Buffer) => { size += d.length })
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.write(`got ${size} bytes;`)
        void released.then(() => { res.end('done') })
      })
    }))
    const port = await serve(() => ({ kind: 'backends', service: 'default/s', backends: [{ ip: '127.0.0.1', port: streaming }] }))
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/upload', agent: false }, (res: IncomingMessage) => {
        let text = ''
        res.on('data', (d: Buffer) => {
          text += d.toString()
          // The first part arrives while the backend still holds the rest: streamed, not buffered.
          if (text.endsWith(';')) release()
        })
        res.on('end', () => { resolve(text) })
      })
      req.on('error', reject)
      // Sent chunked, in pieces, with no content-length.
      for (let i = 0; i < 64; i++) req.write(Buffer.alloc(16 * 1024, i))
      req.end()
    })
    expect(body).toBe(`got ${64 * 16 * 1024} bytes;done`)
  })

  it('keeps client connections alive across requests', async () => {
    const port = await twoServices()
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    cleanup.push(async () => { agent.destroy() })
    const sockets = new Set<unknown>()
    for (const host of ['a.example.com', 'b.example.com', 'c.example.com', 'a.example.com']) {
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/', agent, headers: { host } }, (res) => { res.resume(); res.on('end', resolve) })
        req.on('socket', (s) => { sockets.add(s) })
        req.on('error', reject)
        req.end()
      })
    }
    expect(sockets.size).toBe(1)
  })

  it('answers 400 to a malformed request and keeps serving', async () => {
    const port = await twoServices()
    const raw = await new Promise<string>((resolve) => {
      const s = connect({ host: '127.0.0.1', port })
      let got = ''
      s.on('data', (d) => { got += d.toString() })
      s.on('error', () => { resolve(got) })
      s.on('close', () => { resolve(got) })
      s.write('GARBAGE \x00\x01 nonsense\r\n\r\n')
    })
    expect(raw).toMatch(/^HTTP\/1\.1 400 Bad Request/)
    expect((await call(port, { host: 'a.example.com' })).status).toBe(200)
  })

  it('answers 500 when routing throws, and keeps serving', async () => {
    let fail = true
    const port = await serve(() => {
      if (fail) throw new Error('boom')
      return { kind: 'none' }
    })
    expect((await call(port)).status).toBe(500)
    fail = false
    expect((await call(port)).status).toBe(404)
  })
})
