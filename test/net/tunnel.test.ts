// Tunnels over real hosts: bytes both ways through a handler's TCP socket with half-close,
// chunk boundaries kept, 4 MiB with backpressure intact, refusals that keep the handler's
// error (name, message, fields), unknown names, and a reset on one side reaching the other.

import { createServer, connect, type Server, type Socket } from 'node:net'
import { Duplex, PassThrough } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { generateClusterKey } from '../../net/cluster-key.ts'
import { RpcError } from '../../net/errors.ts'
import type { Host } from '../../net/host.ts'
import { Tunnels } from '../../net/tunnel.ts'
import { HostTracker, until } from './helpers.ts'

class RefusedError extends Error {
  override readonly name = 'RefusedError'
  constructor (readonly code: number, message: string) { super(message) }
}

async function readAll (d: Duplex): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of d) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

describe('Tunnels', () => {
  const hosts = new HostTracker()
  const services = new Set<Tunnels>()
  const servers = new Set<Server>()
  afterEach(async () => {
    await Promise.all([...services].map(async s => { await s.stop() }))
    services.clear()
    for (const s of servers) s.close()
    servers.clear()
    await hosts.stopAll()
  })

  async function pair (): Promise<Array<{ host: Host, tunnels: Tunnels }>> {
    const key = generateClusterKey()
    const nodes = await Promise.all([0, 1].map(async () => {
      const host = await hosts.create({ clusterKey: key, log: () => {} })
      const tunnels = new Tunnels({ host }, { log: () => {} })
      services.add(tunnels)
      await tunnels.start()
      return { host, tunnels }
    }))
    const [a, b] = nodes as [{ host: Host, tunnels: Tunnels }, { host: Host, tunnels: Tunnels }]
    await a.host.addAddresses(b.host.peerId, b.host.listenAddresses)
    return nodes
  }

  /** A TCP server that answers each connection with "echo:" + what it got, after the client ended. */
  async function echoServer (): Promise<number> {
    const server = createServer({ allowHalfOpen: true }, (socket: Socket) => {
      const got: Buffer[] = []
      socket.on('data', (c: Buffer) => got.push(c))
      socket.on('end', () => { socket.end(Buffer.concat([Buffer.from('echo:'), ...got])) })
    })
    servers.add(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return (server.address() as { port: number }).port
  }

  it('carries bytes both ways to a handler\'s socket, with half-close', async () => {
    const [a, b] = await pair() as [{ host: Host, tunnels: Tunnels }, { host: Host, tunnels: Tunnels }]
    const port = await echoServer()
    let header: unknown
    b.tunnels.handle('tcp', async (h) => {
      header = h
      const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true })
      await new Promise((resolve) => socket.once('connect', resolve))
      return socket
    })
    const t = await a.tunnels.connect(b.host.peerId, 'tcp', { port })
    expect(header).toEqual({ port })
    t.write('hello ')
    t.end('world')
    expect((await readAll(t)).toString()).toBe('echo:hello world')
  })

  it('keeps chunk boundaries and moves 4 MiB intact', async () => {
    const [a, b] = await pair() as [{ host: Host, tunnels: Tunnels }, { host: Host, tunnels: Tunnels }]
    // The handler's end echoes each chunk back as it is (object mode keeps boundaries).
    b.tunnels.handle('echo', async () => new PassThrough({ objectMode: true }))
    const t = await a.tunnels.connect(b.host.peerId, 'echo', null)
    const sizes = [1, 7, 300, 65536]
    const got: number[] = []
    const first = new Promise<void>((resolve) => {
      t.on('data', (c: Buffer) => { got.push(c.length); if (got.length === sizes.length) { t.pause(); t.removeAllListeners('data'); resolve() } })
    })
    for (const s of sizes) t.write(Buffer.alloc(s, 1))
    await first
    expect(got).toEqual(sizes)
    const big = Buffer.alloc(4 * 1024 * 1024)
    for (let i = 0; i < big.length; i++) big[i] = i % 251
    const reading = readAll(t)
    for (let off = 0; off < big.length; off += 32 * 1024) {
      if (!t.write(big.subarray(off, off + 32 * 1024))) await new Promise((resolve) => t.once('drain', resolve))
    }
    t.end()
    const back = await reading
    expect(back.length).toBe(big.length)
    expect(back.findIndex((v, i) => v !== big[i])).toBe(-1)
  })

  it('rejects with the handler\'s error, and names a missing handler', async () => {
    const [a, b] = await pair() as [{ host: Host, tunnels: Tunnels }, { host: Host, tunnels: Tunnels }]
    b.tunnels.handle('no', async () => { throw new RefusedError(404, 'pods "x" not found') })
    const err = await a.tunnels.connect(b.host.peerId, 'no', null).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RpcError)
    expect(err).toMatchObject({ remoteName: 'RefusedError', remoteMessage: 'pods "x" not found', data: { code: 404 } })
    await expect(a.tunnels.connect(b.host.peerId, 'nothing', null)).rejects.toMatchObject({ remoteName: 'NoSuchTunnelError' })
  })

  it('destroying one end destroys the other', async () => {
    const [a, b] = await pair() as [{ host: Host, tunnels: Tunnels }, { host: Host, tunnels: Tunnels }]
    let local: PassThrough | undefined
    b.tunnels.handle('hold', async () => { local = new PassThrough({ objectMode: true }); return local })
    const t = await a.tunnels.connect(b.host.peerId, 'hold', null)
    t.on('error', () => {})
    t.destroy(new Error('caller gone'))
    await until(() => local?.destroyed === true, 'the handler side destroyed')
    const t2 = await a.tunnels.connect(b.host.peerId, 'hold', null)
    const closed = new Promise<void>((resolve) => t2.once('close', () => resolve()))
    t2.on('error', () => {})
    local?.destroy(new Error('process gone'))
    await closed
    expect(t2.destroyed).toBe(true)
  })
})
