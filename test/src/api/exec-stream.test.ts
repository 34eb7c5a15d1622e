// pods/NAME/exec over a WebSocket, spoken by a client of this test (so it runs without
// kubectl): the v5 and v4 channel protocols, stdin and its v5 close, the Status that ends a
// session, refusals before the switch (answered as HTTP Status, and again for the SPDY retry
// kubectl sends after a refused WebSocket), a session given up when the client goes.
// The PodIo is the kubelet's LocalPodIo over the FakeRuntime's scripted processes.

import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { CLOSE, decodeMessage, encodeData, STDIN } from '../../../src/api/exec-channels.ts'
import { createApiServer, type ApiServer } from '../../../src/api/server.ts'
import { LocalPodIo } from '../../../src/kubelet/pod-io.ts'
import { KINDS } from '../../../src/objects/kinds.ts'
import { harness, podObject, type Harness } from '../kubelet/helpers.ts'

let h: Harness
let api: ApiServer
let base: string

beforeAll(async () => {
  h = await harness()
  h.kubelet.start()
  await h.create(podObject('one'))
  await h.create(podObject('done', { restartPolicy: 'Never' }))
  await h.settle()
  h.runtime.exitContainer(h.pod('done')?.metadata.uid ?? '', 'app', 0)
  await h.settle()
  api = createApiServer({ backend: h.backend, kinds: KINDS, token: 't', host: '127.0.0.1', port: 0, podIo: new LocalPodIo(h.backend.reader, h.runtime) })
  await api.start()
  base = `ws://127.0.0.1:${api.port}/api/v1/namespaces/default/pods`
})

afterAll(async () => {
  await api?.stop()
  await h?.close()
})

interface Session { ws: WebSocket, messages: Buffer[], closed: Promise<number> }

async function open (path: string, protocols: string[]): Promise<Session> {
  const ws = new WebSocket(`${base}/${path}`, protocols, { headers: { Authorization: 'Bearer t' } })
  const messages: Buffer[] = []
  ws.on('message', (data: Buffer) => { messages.push(data) })
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => { resolve(code) }))
  await new Promise<void>((resolve, reject) => { ws.once('open', () => { resolve() }); ws.once('error', reject) })
  return { ws, messages, closed }
}

function decoded (s: Session): unknown[] {
  return s.messages.map((m) => {
    const d = decodeMessage(m)
    return d.kind === 'data' ? { channel: d.channel, text: d.data.toString() } : d
  })
}

describe('exec over WebSocket', () => {
  it('v5: output by channel, then the Status with the exit code, then a normal close', async () => {
    h.runtime.execExitCodes.set('false', 3)
    const s = await open('one/exec?command=false&command=now&stdout=true&stderr=true', ['v5.channel.k8s.io'])
    expect(s.ws.protocol).toBe('v5.channel.k8s.io')
    expect(await s.closed).toBe(1000)
    expect(decoded(s)).toEqual([
      { channel: 1, text: 'ran false now\n' },
      { channel: 2, text: 'false now: done\n' },
      { kind: 'status', status: { metadata: {}, status: 'Failure', message: 'command terminated with non-zero exit code: error executing command [false now], exit code 3', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } } }
    ])
  })

  it('v5: stdin reaches the process and the close of channel 0 ends it', async () => {
    const s = await open('one/exec?command=cat&stdin=true&stdout=true', ['v5.channel.k8s.io'])
    s.ws.send(encodeData(STDIN, Buffer.from('over ')))
    s.ws.send(encodeData(STDIN, Buffer.from('there')))
    s.ws.send(Buffer.from([CLOSE, STDIN]))
    expect(await s.closed).toBe(1000)
    expect(decoded(s)).toEqual([{ channel: 1, text: 'over ' }, { channel: 1, text: 'there' }, { kind: 'status', status: { metadata: {}, status: 'Success' } }])
  })

  it('v4 is served too (no close message: the shell exits on its own)', async () => {
    const s = await open('one/exec?command=sh&stdin=true&stdout=true', ['v4.channel.k8s.io'])
    expect(s.ws.protocol).toBe('v4.channel.k8s.io')
    s.ws.send(encodeData(STDIN, Buffer.from('echo four\nexit 0\n')))
    expect(await s.closed).toBe(1000)
    expect(decoded(s)).toEqual([{ channel: 1, text: 'four\n' }, { kind: 'status', status: { metadata: {}, status: 'Success' } }])
  })

  it('gives the process up when the client goes', async () => {
    const before = h.runtime.sessions.length
    const s = await open('one/exec?command=cat&stdin=true&stdout=true', ['v5.channel.k8s.io'])
    s.ws.terminate()
    const session = h.runtime.sessions[before]
    expect(await session?.exitCode).toBe(-1)
  })

  it('refuses a missing pod before the switch, and answers kubectl\'s SPDY retry the same way', async () => {
    const ws = new WebSocket(`${base}/nope/exec?command=true&stdout=true`, ['v5.channel.k8s.io'], { headers: { Authorization: 'Bearer t' } })
    const status = await new Promise<number>((resolve) => ws.once('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); res.resume() }))
    expect(status).toBe(404)
    const spdy = await new Promise<{ status: number, body: string }>((resolve, reject) => {
      const req = request(`http://127.0.0.1:${api.port}/api/v1/namespaces/default/pods/nope/exec?command=true&stdout=true`, { method: 'POST', headers: { Authorization: 'Bearer t', Connection: 'Upgrade', Upgrade: 'SPDY/3.1' } }, (res) => {
        let body = ''
        res.on('data', (c: Buffer) => { body += c.toString() })
        res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
      })
      req.on('error', reject)
      req.end()
    })
    expect(spdy.status).toBe(404)
    expect(JSON.parse(spdy.body)).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'pods "nope" not found' })
  })

  it('refuses an exec without a command or without streams, and a subprotocol it does not speak', async () => {
    const refused = async (path: string, protocols: string[]): Promise<number> => await new Promise((resolve) => {
      const ws = new WebSocket(`${base}/${path}`, protocols, { headers: { Authorization: 'Bearer t' } })
      ws.once('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); res.resume() })
      ws.once('open', () => { resolve(101); ws.close() })
      ws.once('error', () => {})
    })
    expect(await refused('one/exec?stdout=true', ['v5.channel.k8s.io'])).toBe(400)
    expect(await refused('one/exec?command=true', ['v5.channel.k8s.io'])).toBe(400)
    expect(await refused('one/exec?command=true&stdout=true', ['v3.channel.k8s.io'])).toBe(400)
  })

  it('refuses a container that is not running with the kubelet\'s message', async () => {
    const ws = new WebSocket(`${base}/done/exec?command=true&stdout=true`, ['v5.channel.k8s.io'], { headers: { Authorization: 'Bearer t' } })
    const answer = await new Promise<{ status: number, body: string }>((resolve) => ws.once('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (c: Buffer) => { body += c.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
    }))
    expect(answer.status).toBe(400)
    expect(JSON.parse(answer.body)).toMatchObject({ reason: 'BadRequest', message: 'cannot exec in a container that is not running: done/app' })
  })
})
