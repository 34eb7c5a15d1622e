// DnsServer over real sockets on 127.0.0.1, port 0: UDP and TCP queries, NXDOMAIN,
// forwarding to a second DnsServer acting as upstream, SERVFAIL on a silent upstream,
// truncation with TC, and malformed packets. Waits end on replies, never on fixed sleeps;
// client helpers carry a deadline so a missing reply fails the test instead of hanging it.

import { afterEach, describe, expect, it } from 'vitest'
import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { connect } from 'node:net'
import { DnsServer, DnsServerNotStartedError, type DnsServerOptions } from '../../../src/proxy/dns-server.ts'
import { ClusterDnsResolver } from '../../../src/proxy/dns-resolver.ts'
import { buildQuery, encodeMessage, parseMessage, Rcode, type DnsMessage } from '../../../src/proxy/dns-message.ts'
import { RecordType, type DnsRecord } from '../../../src/proxy/dns-records.ts'
import type { QuestionResolver } from '../../../src/proxy/dns-query-handler.ts'
import type { EndpointsLike, ServiceLike } from '../../../src/proxy/service-directory.ts'

const DEADLINE_MS = 3000
const HOST = '127.0.0.1'

const services: ServiceLike[] = [
  { metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80 }] } },
  { metadata: { name: 'big', namespace: 'default' }, spec: { clusterIP: 'None' } }
]
const bigEndpoints: EndpointsLike = { subsets: [{ addresses: Array.from({ length: 100 }, (_, i) => ({ ip: `10.244.${i >> 8}.${i & 0xff}` })), ports: [{ port: 80 }] }] }
const cluster = new ClusterDnsResolver({
  directory: {
    service: (ns, name) => services.find((s) => s.metadata.namespace === ns && s.metadata.name === name),
    endpoints: (ns, name) => ns === 'default' && name === 'big' ? bigEndpoints : undefined
  }
})

/** An upstream stand-in: answers `www.example.com` A with `count` addresses, NXDOMAIN otherwise. */
function exampleZone (count = 1): QuestionResolver {
  return {
    resolve: (q) => {
      const exists = q.name.toLowerCase() === 'www.example.com'
      const answers: DnsRecord[] = exists ? Array.from({ length: count }, (_, i) => ({ name: q.name, ttl: 60, type: 'A', address: `192.0.2.${i % 250}` })) : []
      return { action: 'answer', rcode: exists ? Rcode.NOERROR : Rcode.NXDOMAIN, answers, authorities: [], additionals: [] }
    }
  }
}

const started: Array<{ stop: () => Promise<void> | void }> = []
afterEach(async () => {
  await Promise.all(started.splice(0).map(async (s) => { await s.stop() }))
})

async function serve (options: Partial<DnsServerOptions> = {}): Promise<DnsServer> {
  const server = new DnsServer({ resolver: cluster, host: HOST, port: 0, ...options })
  await server.start()
  started.push(server)
  return server
}

async function silentUdpSocket (): Promise<number> {
  const socket = createSocket('udp4')
  await new Promise<void>((resolve) => { socket.bind(0, HOST, resolve) })
  started.push({ stop: async () => { await new Promise<void>((resolve) => { socket.close(() => { resolve() }) }) } })
  return socket.address().port
}

/** Sends each packet in order over one UDP socket and resolves with the first reply. */
async function udpExchange (port: number, ...packets: Uint8Array[]): Promise<Uint8Array> {
  const socket: UdpSocket = createSocket('udp4')
  try {
    return await new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error('no UDP reply before the deadline')) }, DEADLINE_MS)
      socket.on('message', (reply) => { clearTimeout(timer); resolve(new Uint8Array(reply)) })
      socket.on('error', reject)
      for (const packet of packets) socket.send(packet, port, HOST)
    })
  } finally {
    socket.close()
  }
}

async function udpQuery (port: number, query: DnsMessage): Promise<DnsMessage> {
  return parseMessage(await udpExchange(port, encodeMessage(query)))
}

/** Sends `queries` framed on one TCP connection, dribbled in 7-byte writes, and reads `queries.length` replies. */
async function tcpQuery (port: number, ...queries: DnsMessage[]): Promise<DnsMessage[]> {
  const framed = Buffer.concat(queries.map((q) => {
    const body = encodeMessage(q)
    const prefix = Buffer.alloc(2)
    prefix.writeUInt16BE(body.length)
    return Buffer.concat([prefix, body])
  }))
  const socket = connect({ host: HOST, port })
  try {
    return await new Promise<DnsMessage[]>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error('no TCP replies before the deadline')) }, DEADLINE_MS)
      let buffered = Buffer.alloc(0)
      const replies: DnsMessage[] = []
      socket.on('error', reject)
      socket.on('data', (chunk) => {
        buffered = Buffer.concat([buffered, chunk])
        while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
          const length = buffered.readUInt16BE(0)
          replies.push(parseMessage(new Uint8Array(buffered.subarray(2, 2 + length))))
          buffered = buffered.subarray(2 + length)
        }
        if (replies.length === queries.length) { clearTimeout(timer); resolve(replies) }
      })
      for (let i = 0; i < framed.length; i += 7) socket.write(framed.subarray(i, i + 7))
    })
  } finally {
    socket.destroy()
  }
}

describe('DnsServer', () => {
  it('answers a UDP query for a Service authoritatively', async () => {
    const server = await serve()
    expect(server.port).toBeGreaterThan(0)
    const reply = await udpQuery(server.port, buildQuery(0x4242, 'web.default.svc.cluster.local', RecordType.A))
    expect(reply.id).toBe(0x4242)
    expect(reply.flags).toMatchObject({ qr: true, aa: true, rd: true, rcode: Rcode.NOERROR })
    expect(reply.answers).toMatchObject([{ type: 'A', address: '10.96.0.20', ttl: 5 }])
  })

  it('answers several queries on one TCP connection, written in pieces', async () => {
    const server = await serve()
    const replies = await tcpQuery(server.port, buildQuery(1, 'web.default.svc.cluster.local', RecordType.A), buildQuery(2, '_http._tcp.web.default.svc.cluster.local', RecordType.SRV))
    const byId = new Map(replies.map((r) => [r.id, r]))
    expect(byId.get(1)?.answers).toMatchObject([{ type: 'A', address: '10.96.0.20' }])
    expect(byId.get(2)?.answers).toMatchObject([{ type: 'SRV', port: 80, target: 'web.default.svc.cluster.local' }])
  })

  it('answers an unknown cluster name with an authoritative NXDOMAIN', async () => {
    const server = await serve()
    const reply = await udpQuery(server.port, buildQuery(3, 'nope.default.svc.cluster.local', RecordType.A))
    expect(reply.flags).toMatchObject({ qr: true, aa: true, rcode: Rcode.NXDOMAIN })
    expect(reply.authorities).toMatchObject([{ type: 'SOA' }])
  })

  it('forwards other names to an upstream server and relays its answer', async () => {
    const upstream = await serve({ resolver: exampleZone() })
    const server = await serve({ upstreams: [`${HOST}:${upstream.port}`] })
    const reply = await udpQuery(server.port, buildQuery(4, 'WWW.example.com', RecordType.A))
    expect(reply.id).toBe(4)
    expect(reply.flags.rcode).toBe(Rcode.NOERROR)
    expect(reply.answers).toMatchObject([{ name: 'WWW.example.com', type: 'A', address: '192.0.2.0', ttl: 60 }])
    const missing = await udpQuery(server.port, buildQuery(5, 'nope.example.com', RecordType.A))
    expect(missing.flags.rcode).toBe(Rcode.NXDOMAIN)
    // Cluster answers from a forwarding server offer recursion.
    expect((await udpQuery(server.port, buildQuery(6, 'web.default.svc.cluster.local', RecordType.A))).flags.ra).toBe(true)
  })

  it('answers SERVFAIL when the upstream stays silent past the timeout, and logs it', async () => {
    const silent = await silentUdpSocket()
    const problems: string[] = []
    const server = await serve({ upstreams: [`${HOST}:${silent}`], upstreamTimeoutMs: 50, log: (m) => problems.push(m) })
    const started = Date.now()
    const reply = await udpQuery(server.port, buildQuery(7, 'www.example.com', RecordType.A))
    expect(reply.flags.rcode).toBe(Rcode.SERVFAIL)
    expect(reply.id).toBe(7)
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(/no reply within 50 ms/)
    // An outage is logged once, not once per query.
    expect((await udpQuery(server.port, buildQuery(70, 'www.example.com', RecordType.A))).flags.rcode).toBe(Rcode.SERVFAIL)
    expect(problems).toHaveLength(1)
  })

  it('tries the next upstream when one times out', async () => {
    const silent = await silentUdpSocket()
    const upstream = await serve({ resolver: exampleZone() })
    const server = await serve({ upstreams: [`${HOST}:${silent}`, `${HOST}:${upstream.port}`], upstreamTimeoutMs: 50 })
    expect((await udpQuery(server.port, buildQuery(8, 'www.example.com', RecordType.A))).answers).toHaveLength(1)
  })

  it('answers SERVFAIL for forwarded names when it has no upstream', async () => {
    const server = await serve()
    const reply = await udpQuery(server.port, buildQuery(9, 'www.example.com', RecordType.A))
    expect(reply.flags).toMatchObject({ rcode: Rcode.SERVFAIL, ra: false })
  })

  it('truncates a large UDP answer with TC and gives it whole over TCP', async () => {
    const server = await serve()
    const query = buildQuery(10, 'big.default.svc.cluster.local', RecordType.A)
    const bytes = await udpExchange(server.port, encodeMessage(query))
    expect(bytes.length).toBeLessThanOrEqual(512)
    const udp = parseMessage(bytes)
    expect(udp.flags.tc).toBe(true)
    expect(udp.answers.length).toBeLessThan(100)
    const [tcp] = await tcpQuery(server.port, query)
    expect(tcp?.flags.tc).toBe(false)
    expect(tcp?.answers).toHaveLength(100)
  })

  it('fetches a truncated upstream answer over TCP for a TCP client', async () => {
    const upstream = await serve({ resolver: exampleZone(60) })
    const server = await serve({ upstreams: [`${HOST}:${upstream.port}`] })
    const [reply] = await tcpQuery(server.port, buildQuery(11, 'www.example.com', RecordType.A))
    expect(reply?.flags.tc).toBe(false)
    expect(reply?.answers).toHaveLength(60)
  })

  it('answers FORMERR to a query whose header reads but whose body does not, and drops what has no header', async () => {
    const server = await serve()
    const broken = Uint8Array.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1])
    const reply = parseMessage(await udpExchange(server.port, broken))
    expect(reply).toMatchObject({ id: 0x1234, flags: { qr: true, rcode: Rcode.FORMERR }, questions: [] })
    // Garbage too short for a header gets no reply: the first reply is the valid query's.
    const next = parseMessage(await udpExchange(server.port, Uint8Array.from([1, 2, 3]), encodeMessage(buildQuery(12, 'web.default.svc.cluster.local', RecordType.A))))
    expect(next.id).toBe(12)
  })

  it('answers NOTIMP to other opcodes and SERVFAIL when the resolver throws', async () => {
    const problems: string[] = []
    const failing: QuestionResolver = { resolve: () => { throw new Error('store unavailable') } }
    const server = await serve({ resolver: failing, log: (m) => problems.push(m) })
    const status = buildQuery(13, 'web.default.svc.cluster.local', RecordType.A)
    status.flags.opcode = 2
    expect((await udpQuery(server.port, status)).flags.rcode).toBe(Rcode.NOTIMP)
    expect((await udpQuery(server.port, buildQuery(14, 'web.default.svc.cluster.local', RecordType.A))).flags.rcode).toBe(Rcode.SERVFAIL)
    expect(problems.join('\n')).toMatch(/store unavailable/)
  })

  it('releases its port on stop', async () => {
    const server = new DnsServer({ resolver: cluster, host: HOST, port: 0 })
    expect(() => server.port).toThrow(DnsServerNotStartedError)
    await server.start()
    const port = server.port
    await server.stop()
    expect(() => server.port).toThrow(DnsServerNotStartedError)
    const again = await serve({ port })
    expect(again.port).toBe(port)
  })
})
