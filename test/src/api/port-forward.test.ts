// pods/NAME/portforward on a real API server: the two protocol switches kubectl asks for (a
// WebSocket with the subprotocol SPDY/3.1+portforward.k8s.io, and Upgrade: SPDY/3.1 with
// X-Stream-Protocol-Version) are answered with 101 and a SPDY session behind them; requests
// that cannot be switched get a Status before the switch (so kubectl falls back or prints it).

import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { request, type IncomingMessage } from 'node:http'
import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { PodIoError, type PodIo } from '../../../src/api/pod-io.ts'
import { createApiServer, type ApiServer } from '../../../src/api/server.ts'
import { encodeFrame, FrameDecoder } from '../../../src/api/spdy/frames.ts'
import { KINDS } from '../../../src/objects/kinds.ts'
import { StoreBackend } from '../store-backend.ts'
import { SpdyTestClient } from './spdy/spdy-client.ts'

/** Refuses every port (a fake, for tests only): these tests are about the switch itself. */
const refusing: PodIo = {
  async * logs () {},
  async exec () { throw new PodIoError(400, 'no exec here') },
  async execStream () { throw new PodIoError(400, 'no exec here') },
  async portForward () { throw new PodIoError(503, 'no pods here') }
}

let api: ApiServer | undefined
let backend: StoreBackend | undefined
afterEach(async () => {
  await api?.stop()
  await backend?.close()
  api = undefined
  backend = undefined
})

async function serve (): Promise<number> {
  backend = await StoreBackend.open()
  api = createApiServer({ backend, kinds: KINDS, token: 't', host: '127.0.0.1', port: 0, podIo: refusing })
  await api.start()
  return api.port
}

const PATH = '/api/v1/namespaces/default/pods/web/portforward'

/** Sends an upgrade request; resolves with the answer, switched (101, with the socket) or not. */
async function upgrade (port: number, method: string, headers: Record<string, string>): Promise<{ status: number, headers: IncomingMessage['headers'], body: string, socket?: Socket }> {
  return await new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: PATH, method, headers: { Authorization: 'Bearer t', Connection: 'Upgrade', ...headers } })
    req.on('upgrade', (res: IncomingMessage, socket: Socket, head: Buffer) => {
      if (head.length > 0) socket.unshift(head)
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '', socket })
    })
    req.on('response', (res: IncomingMessage) => {
      let body = ''
      res.on('data', (c: Buffer) => { body += c.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body }) })
    })
    req.on('error', reject)
    req.end()
  })
}

/** One masked binary WebSocket frame, as a client sends it (RFC 6455, section 5.2). */
function wsClientFrame (payload: Buffer): Buffer {
  if (payload.length > 125) throw new Error('short frames only')
  const mask = randomBytes(4)
  const masked = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] as number)))
  return Buffer.concat([Buffer.from([0x82, 0x80 | payload.length]), mask, masked])
}

describe('pods/portforward protocol switch', () => {
  it('switches to SPDY/3.1 with the negotiated X-Stream-Protocol-Version and serves a session', async () => {
    const port = await serve()
    const r = await upgrade(port, 'POST', { Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'portforward.k8s.io' })
    expect(r.status).toBe(101)
    expect(r.headers.upgrade).toBe('SPDY/3.1')
    expect(r.headers['x-stream-protocol-version']).toBe('portforward.k8s.io')
    const c = new SpdyTestClient(r.socket as Socket)
    await c.synStream(1, { streamtype: 'error', port: '80', requestid: '0' })
    await c.synStream(3, { streamtype: 'data', port: '80', requestid: '0' })
    expect((await c.streamData(1)).toString()).toBe('error forwarding port 80 to pod default/web: no pods here')
    c.close()
  })

  it('switches to a WebSocket with the tunnel subprotocol and speaks SPDY inside binary messages', async () => {
    const port = await serve()
    const socket = connect(port, '127.0.0.1')
    await once(socket, 'connect')
    socket.write([
      `GET ${PATH} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Authorization: Bearer t', 'Connection: Upgrade', 'Upgrade: websocket',
      'Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, 'Sec-WebSocket-Protocol: SPDY/3.1+portforward.k8s.io', '', ''
    ].join('\r\n'))
    let received = Buffer.alloc(0)
    socket.on('data', (c: Buffer) => { received = Buffer.concat([received, c]) })
    const deadline = Date.now() + 5000
    while (!received.includes('\r\n\r\n') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
    const end = received.indexOf('\r\n\r\n')
    const head = received.subarray(0, end).toString()
    expect(head).toMatch(/^HTTP\/1\.1 101 /)
    expect(head).toMatch(/\r\nSec-WebSocket-Protocol: SPDY\/3\.1\+portforward\.k8s\.io(\r\n|$)/i)
    received = received.subarray(end + 4)
    // A SPDY PING (ID 5) in one binary message comes back in one.
    socket.write(wsClientFrame(encodeFrame({ type: 'ping', id: 5 })))
    while (received.length < 14 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(received.subarray(0, 2)).toEqual(Buffer.from([0x82, 12]))
    expect(new FrameDecoder().push(received.subarray(2, 14))).toEqual([{ type: 'ping', id: 5 }])
    socket.destroy()
  })

  it('refuses a WebSocket without the tunnel subprotocol, so kubectl falls back to SPDY', async () => {
    const port = await serve()
    const r = await upgrade(port, 'GET', { Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64'), 'Sec-WebSocket-Protocol': 'v4.channel.k8s.io' })
    expect(r.status).toBe(400)
    expect((JSON.parse(r.body) as { message: string }).message).toContain('needs the subprotocol SPDY/3.1+portforward.k8s.io (offered: v4.channel.k8s.io)')
  })

  it('refuses a SPDY upgrade for another stream protocol with 403, as the kubelet does', async () => {
    const port = await serve()
    const r = await upgrade(port, 'POST', { Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v9.portforward.k8s.io' })
    expect(r.status).toBe(403)
    expect((JSON.parse(r.body) as { message: string }).message).toContain('unable to negotiate protocol: client supports [v9.portforward.k8s.io], server supports [portforward.k8s.io]')
  })

  it('refuses other protocols, and a request without the token', async () => {
    const port = await serve()
    const other = await upgrade(port, 'POST', { Upgrade: 'h2c' })
    expect(other.status).toBe(400)
    expect((JSON.parse(other.body) as { message: string }).message).toContain('not to "h2c"')
    const anonymous = await upgrade(port, 'POST', { Upgrade: 'SPDY/3.1', Authorization: '' })
    expect(anonymous.status).toBe(401)
  })
})
