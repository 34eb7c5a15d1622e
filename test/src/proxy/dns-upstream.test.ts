// Exchanges with an upstream DNS server: address parsing, accepting only the reply that
// carries the query's id, and every wait ending (timeout, abort).

import { afterEach, describe, expect, it } from 'vitest'
import { createSocket, type Socket } from 'node:dgram'
import { exchangeUdp, InvalidUpstreamError, parseUpstream, UpstreamError } from '../../../src/proxy/dns-upstream.ts'
import { buildQuery, encodeMessage, parseMessage, replyTo } from '../../../src/proxy/dns-message.ts'
import { RecordType } from '../../../src/proxy/dns-records.ts'

const sockets: Socket[] = []
afterEach(() => { for (const s of sockets.splice(0)) s.close() })

async function udpSocket (): Promise<Socket> {
  const socket = createSocket('udp4')
  await new Promise<void>((resolve) => { socket.bind(0, '127.0.0.1', resolve) })
  sockets.push(socket)
  return socket
}

describe('parseUpstream', () => {
  it('reads addresses with and without ports', () => {
    expect(parseUpstream('10.0.0.2')).toEqual({ host: '10.0.0.2', port: 53 })
    expect(parseUpstream('10.0.0.2:5353')).toEqual({ host: '10.0.0.2', port: 5353 })
    expect(parseUpstream('fd00::2')).toEqual({ host: 'fd00::2', port: 53 })
    expect(parseUpstream('[fd00::2]:5353')).toEqual({ host: 'fd00::2', port: 5353 })
    for (const bad of ['dns.example.com', '10.0.0.2:0', '10.0.0.2:70000', '[fd00::2]:x', '']) expect(() => parseUpstream(bad), bad).toThrow(InvalidUpstreamError)
  })
})

describe('exchangeUdp', () => {
  it('ignores a reply with another id and takes the one that matches', async () => {
    const server = await udpSocket()
    const query = buildQuery(0x0102, 'www.example.com', RecordType.A)
    server.on('message', (_msg, from) => {
      server.send(encodeMessage(replyTo({ ...query, id: 0x0999 }, { answers: [{ name: 'www.example.com', ttl: 1, type: 'A', address: '6.6.6.6' }] })), from.port, from.address)
      server.send(encodeMessage(replyTo(query, { answers: [{ name: 'www.example.com', ttl: 1, type: 'A', address: '192.0.2.1' }] })), from.port, from.address)
    })
    const reply = parseMessage(await exchangeUdp(encodeMessage(query), { host: '127.0.0.1', port: server.address().port }, { timeoutMs: 3000 }))
    expect(reply.answers).toMatchObject([{ address: '192.0.2.1' }])
  })

  it('gives up with UpstreamError on timeout and on abort', async () => {
    const silent = await udpSocket()
    const upstream = { host: '127.0.0.1', port: silent.address().port }
    const query = encodeMessage(buildQuery(1, 'www.example.com', RecordType.A))
    await expect(exchangeUdp(query, upstream, { timeoutMs: 20 })).rejects.toThrow(/no reply within 20 ms/)
    const controller = new AbortController()
    const pending = exchangeUdp(query, upstream, { timeoutMs: 60_000, signal: controller.signal })
    controller.abort()
    await expect(pending).rejects.toBeInstanceOf(UpstreamError)
  })
})
