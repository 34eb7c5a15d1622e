// The first byte of a connection picks its server: 0x16 (a TLS handshake record) goes to the
// secure one, anything else to the plain one, and that server reads the byte itself; silent
// connections are closed after the timeout, and closeAll() ends every connection.

import { EventEmitter, once } from 'node:events'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { ProtocolSniffer } from '../../../src/api/protocol-sniffer.ts'

const started: ProtocolSniffer[] = []
afterEach(async () => {
  for (const s of started.splice(0)) {
    s.closeAll()
    await new Promise<void>((resolve) => { s.server.close(() => { resolve() }) })
  }
})

async function start (timeoutMs = 30_000, secure = true): Promise<{ sniffer: ProtocolSniffer, plain: EventEmitter, tls: EventEmitter, port: number }> {
  const plain = new EventEmitter()
  const tls = new EventEmitter()
  const sniffer = new ProtocolSniffer({ plain, secure: secure ? tls : undefined, firstByteTimeoutMs: timeoutMs })
  started.push(sniffer)
  sniffer.server.listen(0, '127.0.0.1')
  await once(sniffer.server, 'listening')
  return { sniffer, plain, tls, port: (sniffer.server.address() as AddressInfo).port }
}

/** The first `n` bytes the chosen server reads from the connection it was handed. */
async function firstBytes (server: EventEmitter, n: number): Promise<Buffer> {
  const [socket] = await once(server, 'connection') as [Socket]
  return await new Promise((resolve) => {
    let got = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk])
      if (got.length >= n) resolve(got.subarray(0, n))
    })
  })
}

describe('ProtocolSniffer', () => {
  it('hands a connection starting with 0x16 to the secure server, with the byte put back', async () => {
    const { port, tls } = await start()
    const got = firstBytes(tls, 3)
    connect(port, '127.0.0.1').end(Buffer.from([0x16, 0x03, 0x01]))
    expect([...await got]).toEqual([0x16, 0x03, 0x01])
  })

  it('hands any other connection to the plain server, with the byte put back', async () => {
    const { port, plain } = await start()
    const got = firstBytes(plain, 4)
    connect(port, '127.0.0.1').end('GET ')
    expect((await got).toString()).toBe('GET ')
  })

  it('without a secure server, hands even a TLS handshake to the plain one', async () => {
    const { port, plain } = await start(30_000, false)
    const got = firstBytes(plain, 1)
    connect(port, '127.0.0.1').end(Buffer.from([0x16]))
    expect([...await got]).toEqual([0x16])
  })

  it('closes a connection that sends nothing within the timeout, and one that ends before a byte', async () => {
    const { port, plain, tls } = await start(100)
    const dispatched: unknown[] = []
    plain.on('connection', (s) => dispatched.push(s))
    tls.on('connection', (s) => dispatched.push(s))
    const silent = connect(port, '127.0.0.1')
    await once(silent, 'close')
    const quitter = connect(port, '127.0.0.1')
    await once(quitter, 'connect')
    quitter.end()
    await once(quitter, 'close')
    expect(dispatched).toEqual([])
  })

  it('closeAll() ends connections, dispatched or not', async () => {
    const { sniffer, port, plain } = await start()
    const handed = connect(port, '127.0.0.1')
    handed.write('G')
    await once(plain, 'connection')
    const waiting = connect(port, '127.0.0.1')
    await once(waiting, 'connect')
    const closed = Promise.all([once(handed, 'close'), once(waiting, 'close')])
    sniffer.closeAll()
    await closed
  })
})
