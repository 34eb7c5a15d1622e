// The port-forward protocol over a SPDY session, with a scripted client and a fake PodIo whose
// ports are local TCP servers: error and data streams paired by requestid (in any order, several
// at once), bytes piped both ways with half-close, the kubelet's message on the error stream when
// the pod's port cannot be reached, refused streams with bad headers, and a pair whose second
// stream never comes.

import { once } from 'node:events'
import { connect, createServer, type Server } from 'node:net'
import type { Duplex } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { PodIoError, type PodIo, type PortForwardRequest } from '../../../src/api/pod-io.ts'
import { PortForwardSession } from '../../../src/api/port-forward-session.ts'
import { RstStatus } from '../../../src/api/spdy/frames.ts'
import { SpdySession } from '../../../src/api/spdy/session.ts'
import { connectedPair, type SpdyTestClient } from './spdy/spdy-client.ts'

const cleanup: Array<() => void> = []
afterEach(() => {
  for (const f of cleanup.splice(0)) f()
})

async function listen (onConnection: (s: import('node:net').Socket) => void): Promise<{ server: Server, port: number }> {
  const server = createServer((s) => {
    s.on('error', () => {})
    onConnection(s)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  cleanup.push(() => { server.close() })
  return { server, port: (server.address() as { port: number }).port }
}

/** A PodIo whose pod ports are local TCP ports (fake, for tests only). */
class LocalPortsPodIo implements PodIo {
  readonly requests: PortForwardRequest[] = []
  constructor (private readonly ports: Map<number, number>) {}
  async * logs (): AsyncIterable<string> {}
  async exec (): Promise<never> { throw new PodIoError(400, 'no exec here') }
  async execStream (): Promise<never> { throw new PodIoError(400, 'no exec here') }
  async portForward (req: PortForwardRequest): Promise<Duplex> {
    this.requests.push(req)
    const local = this.ports.get(req.port)
    if (local === undefined) throw new PodIoError(503, `connect ECONNREFUSED 10.0.0.5:${req.port}`)
    const s = connect(local, '127.0.0.1')
    await once(s, 'connect')
    return s
  }
}

async function start (io: PodIo, pairTimeoutMs?: number): Promise<SpdyTestClient> {
  const { client, server, serverSocket } = await connectedPair((s) => {
    const session = new SpdySession(s)
    new PortForwardSession(session, { podIo: io, namespace: 'default', pod: 'web', signal: new AbortController().signal, ...(pairTimeoutMs !== undefined ? { pairTimeoutMs } : {}) })
    cleanup.push(() => { session.destroy() })
  })
  await serverSocket
  cleanup.push(() => { client.close(); server.close() })
  return client
}

async function openPair (c: SpdyTestClient, errorId: number, dataId: number, port: number, requestId: string): Promise<void> {
  await c.synStream(errorId, { streamtype: 'error', port: String(port), requestid: requestId })
  c.data(errorId, '', true) // kubectl closes its side of the error stream at once
  await c.synStream(dataId, { streamtype: 'data', port: String(port), requestid: requestId })
}

describe('PortForwardSession', () => {
  it('pairs the error and data streams of a request, pipes the data both ways, and ends the error stream empty', async () => {
    const echo = await listen((s) => { s.pipe(s) })
    const io = new LocalPortsPodIo(new Map([[8080, echo.port]]))
    const c = await start(io)
    await openPair(c, 1, 3, 8080, '0')
    await c.next('both replies', () => c.received.filter((f) => f.type === 'syn_reply').length === 2)
    c.data(3, 'hello ')
    c.data(3, 'pod', true)
    // The echo server ends after our FIN: the data stream comes back whole, then FIN.
    expect((await c.streamData(3)).toString()).toBe('hello pod')
    // kubectl resets the data stream when it has read it all, then reads the error stream.
    c.send({ type: 'rst_stream', streamId: 3, status: RstStatus.CANCEL })
    expect((await c.streamData(1)).toString()).toBe('')
    expect(io.requests).toEqual([{ namespace: 'default', pod: 'web', port: 8080 }])
  })

  it('keeps concurrent requests apart by requestid, whatever order their streams come in', async () => {
    const echo = await listen((s) => { s.pipe(s) })
    const greeter = await listen((s) => { s.end('two says hi') })
    const io = new LocalPortsPodIo(new Map([[1, echo.port], [2, greeter.port]]))
    const c = await start(io)
    await c.synStream(1, { streamtype: 'error', port: '1', requestid: 'a' })
    await c.synStream(3, { streamtype: 'error', port: '2', requestid: 'b' })
    await c.synStream(5, { streamtype: 'data', port: '2', requestid: 'b' })
    await c.synStream(7, { streamtype: 'data', port: '1', requestid: 'a' })
    c.data(7, 'one', true)
    expect((await c.streamData(5)).toString()).toBe('two says hi')
    expect((await c.streamData(7)).toString()).toBe('one')
  })

  it('writes why on the error stream when the pod\'s port refuses, and ends both streams', async () => {
    const c = await start(new LocalPortsPodIo(new Map()))
    await openPair(c, 1, 3, 9, '0')
    expect((await c.streamData(1)).toString()).toBe('error forwarding port 9 to pod default/web: connect ECONNREFUSED 10.0.0.5:9')
    expect((await c.streamData(3)).length).toBe(0)
    // Only this request failed: the session goes on.
    c.send({ type: 'ping', id: 3 })
    await c.next('PING', (f) => f.type === 'ping')
    expect(c.closed).toBe(false)
  })

  it('pairs streams without requestid by their IDs, as old clients send them', async () => {
    const echo = await listen((s) => { s.pipe(s) })
    const c = await start(new LocalPortsPodIo(new Map([[80, echo.port]])))
    await c.synStream(1, { streamtype: 'error', port: '80' })
    await c.synStream(3, { streamtype: 'data', port: '80' })
    c.data(3, 'old', true)
    expect((await c.streamData(3)).toString()).toBe('old')
  })

  it('refuses streams without a valid port or stream type, and a second data stream for one request', async () => {
    const echo = await listen((s) => { s.pipe(s) })
    const c = await start(new LocalPortsPodIo(new Map([[80, echo.port]])))
    await c.synStream(1, { streamtype: 'data', port: '0', requestid: '1' })
    await c.synStream(3, { streamtype: 'video', port: '80', requestid: '2' })
    await c.synStream(5, { streamtype: 'data', requestid: '3' })
    await c.synStream(7, { streamtype: 'data', port: '80', requestid: '4' })
    await c.synStream(9, { streamtype: 'data', port: '80', requestid: '4' })
    for (const id of [1, 3, 5]) await c.next(`RST ${id}`, (f) => f.type === 'rst_stream' && f.streamId === id && f.status === RstStatus.REFUSED_STREAM)
    await c.next('RST 9', (f) => f.type === 'rst_stream' && f.streamId === 9 && f.status === RstStatus.PROTOCOL_ERROR)
  })

  it('says so on the error stream when the data stream never comes', async () => {
    const c = await start(new LocalPortsPodIo(new Map()), 100)
    await c.synStream(1, { streamtype: 'error', port: '80', requestid: 'lonely' })
    expect((await c.streamData(1)).toString()).toBe('timed out waiting for the data stream of port-forward request lonely')
  })

  it('closes the pod connection when the client goes away', async () => {
    let podSide: import('node:net').Socket | undefined
    const sink = await listen((s) => {
      podSide = s
      s.resume()
    })
    const c = await start(new LocalPortsPodIo(new Map([[80, sink.port]])))
    await openPair(c, 1, 3, 80, '0')
    c.data(3, 'partial')
    const deadline = Date.now() + 5000
    while (podSide === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
    const closed = once(podSide as import('node:net').Socket, 'close')
    c.socket.destroy()
    await closed
  })
})
