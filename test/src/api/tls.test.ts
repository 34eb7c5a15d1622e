// HTTPS and plain HTTP on one port: a TLS client that trusts the cluster CA gets the API (and
// watch streams) over HTTPS, while plain HTTP keeps working on the same port; without a
// certificate the server speaks plain HTTP only.

import { once } from 'node:events'
import { request as httpsRequest, type RequestOptions } from 'node:https'
import { connect as netConnect } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { describe, expect, it } from 'vitest'
import { createClusterCa, issueServingCertificate } from '../../../src/agent/tls/certificate.ts'
import { startApi, TOKEN, until } from './harness.ts'

const ca = createClusterCa()
const serving = issueServingCertificate(ca, { commonName: 'test', ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'] })
const tls = { key: serving.key, cert: serving.cert }

/** One HTTPS request trusting only the cluster CA; resolves with the status and the body (with `firstLine`, only its first line). */
async function httpsGet (port: number, path: string, opts: RequestOptions & { firstLine?: boolean } = {}): Promise<{ status: number, body: string }> {
  return await new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, ca: ca.cert, agent: false, headers: { Authorization: `Bearer ${TOKEN}` }, ...opts }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => {
        body += c
        if (opts.firstLine === true && body.includes('\n')) {
          res.destroy()
          resolve({ status: res.statusCode ?? 0, body: body.slice(0, body.indexOf('\n')) })
        }
      })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
    })
    req.on('error', reject)
    req.end()
  })
}

describe('HTTPS and HTTP on one port', () => {
  it('completes a TLS handshake with a client that trusts only the cluster CA', async () => {
    const h = await startApi({ tls })
    expect(h.api.tls).toBe(true)
    const socket = tlsConnect({ host: '127.0.0.1', port: h.api.port, ca: ca.cert })
    await once(socket, 'secureConnect')
    expect(socket.authorized).toBe(true)
    expect(socket.getPeerCertificate().subject.CN).toBe('test')
    socket.destroy()
  })

  it('answers the API over HTTPS and over plain HTTP on the same port, with the same token check', async () => {
    const h = await startApi({ tls })
    const created = await h.call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'over-http' } })
    expect(created.status).toBe(201)
    const list = await httpsGet(h.api.port, '/api/v1/namespaces/default/configmaps')
    expect(list.status).toBe(200)
    expect((JSON.parse(list.body) as { items: Array<{ metadata: { name: string } }> }).items.map((i) => i.metadata.name)).toEqual(['over-http'])
    expect((await httpsGet(h.api.port, '/api/v1/namespaces', { headers: {} })).status).toBe(401)
    expect((await httpsGet(h.api.port, '/healthz', { headers: {} })).body).toBe('ok')
  })

  it('streams a watch over HTTPS that sees a write made over HTTP', async () => {
    const h = await startApi({ tls })
    const event = httpsGet(h.api.port, '/api/v1/namespaces/default/configmaps?watch=1', { firstLine: true })
    // The watch is registered once the store has a watcher; then write over plain HTTP.
    await until(() => h.store.watching === 1)
    await h.call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'seen' } })
    const first = await event
    expect(first.status).toBe(200)
    expect(JSON.parse(first.body)).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'seen' } } })
  })

  it('refuses the handshake of a client that trusts another CA', async () => {
    const h = await startApi({ tls })
    const socket = tlsConnect({ host: '127.0.0.1', port: h.api.port, ca: createClusterCa().cert })
    const [err] = await once(socket, 'error') as [Error & { code?: string }]
    expect(err.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE')
    // The server is unharmed.
    expect((await h.call('GET', '/api/v1/namespaces')).status).toBe(200)
  })

  it('stop() ends connections that never sent a byte, and TLS ones', async () => {
    const h = await startApi({ tls })
    const idle = netConnect(h.api.port, '127.0.0.1')
    await once(idle, 'connect')
    const secure = tlsConnect({ host: '127.0.0.1', port: h.api.port, ca: ca.cert })
    await once(secure, 'secureConnect')
    const closed = Promise.all([once(idle, 'close'), once(secure, 'close')])
    await h.api.stop()
    await closed
    expect(h.api.server.listening).toBe(false)
  })

  it('without a certificate, speaks plain HTTP only', async () => {
    const h = await startApi()
    expect(h.api.tls).toBe(false)
    expect((await h.call('GET', '/api/v1/namespaces')).status).toBe(200)
    const socket = tlsConnect({ host: '127.0.0.1', port: h.api.port, ca: ca.cert })
    const [err] = await once(socket, 'error') as [Error]
    expect(err).toBeInstanceOf(Error)
  })
})
