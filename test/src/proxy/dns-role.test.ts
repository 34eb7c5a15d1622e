// The cluster DNS role against the real store: it serves at the kube-dns Service's cluster IP
// once the cluster has one, answers Service names from the replica as they change, and a
// second agent on the machine takes the address over when the first stops. The Service range
// is 127.77.0.0/24 here (loopback: already local, no route touched) and the port is not 53.

import { createSocket } from 'node:dgram'
import { afterEach, describe, expect, it } from 'vitest'
import type { RoleContext } from '../../../src/agent/roles.ts'
import { realClock } from '../../../src/controllers/clock.ts'
import { buildQuery, encodeMessage, parseMessage, Rcode } from '../../../src/proxy/dns-message.ts'
import { RecordType } from '../../../src/proxy/dns-records.ts'
import { ClusterDnsRole } from '../../../src/proxy/dns-role.ts'
import { bootstrapCommands } from '../../../src/store/bootstrap.ts'
import { StoreBackend } from '../store-backend.ts'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => { for (const c of cleanup.splice(0).reverse()) await c() })

function ctx (backend: StoreBackend): RoleContext {
  return { backend, nodeName: 'n', clusterId: 'c', nodeIp: '127.0.0.1', dataDir: '/nonexistent', runtime: 'docker', clock: realClock, silenceOf: () => undefined, log: () => {} }
}

function role (b: StoreBackend, port: number, routes: string[] = []): ClusterDnsRole {
  const r = new ClusterDnsRole(ctx(b), { port, retryMs: 20, upstreams: [], routeRange: async (cidr) => { routes.push(cidr) } })
  cleanup.push(async () => { await r.stop() })
  return r
}

/** One UDP query; the answers' addresses and the rcode. */
async function query (address: string, name: string): Promise<{ rcode: number, addresses: string[] }> {
  const [host, port] = address.split(':') as [string, string]
  const socket = createSocket('udp4')
  try {
    const reply = await new Promise<Buffer>((resolve, reject) => {
      socket.once('message', resolve)
      socket.once('error', reject)
      socket.send(encodeMessage(buildQuery(7, name, RecordType.A)), Number(port), host)
    })
    const m = parseMessage(reply)
    return { rcode: m.flags.rcode, addresses: m.answers.flatMap((a) => a.type === 'A' ? [a.address] : []) }
  } finally {
    socket.close()
  }
}

async function until (what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('cluster DNS role', () => {
  it('waits for the cluster DNS Service, then answers Service names from the replica', async () => {
    const b = await StoreBackend.open()
    const routes: string[] = []
    const r = role(b, 0, routes)
    r.start()
    await r.settled()
    expect(r.address).toBe('')
    await b.write({ op: 'batch', commands: bootstrapCommands(b.now(), () => b.newUid(), { serviceCidr: '127.77.0.0/24' }) })
    await until('the server to start', () => r.address !== '')
    expect(r.address).toMatch(/^127\.77\.0\.10:\d+$/)
    expect(routes).toEqual(['127.77.0.0/24'])
    expect(await query(r.address, 'web.default.svc.cluster.local')).toEqual({ rcode: Rcode.NXDOMAIN, addresses: [] })
    await b.write({ op: 'create', object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { ports: [{ port: 80, protocol: 'TCP' }] } } })
    expect(await query(r.address, 'web.default.svc.cluster.local')).toEqual({ rcode: Rcode.NOERROR, addresses: ['127.77.0.1'] })
    expect(await query(r.address, 'kube-dns.kube-system.svc.cluster.local')).toEqual({ rcode: Rcode.NOERROR, addresses: ['127.77.0.10'] })
  })

  it('a second agent on the machine takes the address over when the first stops', async () => {
    const b = await StoreBackend.open()
    await b.write({ op: 'batch', commands: bootstrapCommands(b.now(), () => b.newUid(), { serviceCidr: '127.77.0.0/24' }) })
    const first = role(b, 0)
    first.start()
    await until('the first server', () => first.address !== '')
    const port = Number(first.address.split(':')[1])
    const second = role(b, port)
    second.start()
    await second.settled()
    expect(second.address).toBe('')
    await first.stop()
    await until('the second agent to serve', () => second.address === `127.77.0.10:${port}`)
    expect((await query(second.address, 'kube-dns.kube-system.svc.cluster.local')).addresses).toEqual(['127.77.0.10'])
  })

  it('stays off with simulated nodes', async () => {
    const b = await StoreBackend.open()
    await b.write({ op: 'batch', commands: bootstrapCommands(b.now(), () => b.newUid(), { serviceCidr: '127.77.0.0/24' }) })
    const r = new ClusterDnsRole({ ...ctx(b), runtime: 'fake' }, { port: 0, upstreams: [], routeRange: async () => { throw new Error('must not route') } })
    cleanup.push(async () => { await r.stop() })
    r.start()
    await r.settled()
    expect(r.address).toBe('')
  })
})
