// Rpc over real hosts: unary calls multiplexed on one stream (1,000 at once), remote errors
// with their name and fields, timeouts and cancellation reaching the handler, unreachable
// peers and strangers, streaming calls with backpressure, and clean shutdown.

import { afterEach, describe, expect, it } from 'vitest'
import { generateClusterKey } from '../../net/cluster-key.ts'
import { NetStoppedError, NotInClusterError, PeerUnreachableError, RpcError, RpcTimeoutError } from '../../net/errors.ts'
import type { Host } from '../../net/host.ts'
import { Rpc } from '../../net/rpc.ts'
import { METHOD_NOT_FOUND, RPC_PROTOCOL } from '../../net/rpc-wire.ts'
import { HostTracker, LogCapture, until } from './helpers.ts'

class NotLeaderError extends Error {
  override readonly name = 'NotLeaderError'
  constructor (readonly leader: string) { super(`not the leader: try ${leader}`) }
}

describe('Rpc', () => {
  const hosts = new HostTracker()
  const services = new Set<Rpc>()
  afterEach(async () => {
    await Promise.all([...services].map(async s => { await s.stop() }))
    services.clear()
    await hosts.stopAll()
  })

  async function node (clusterKey: Uint8Array, log = new LogCapture()): Promise<{ host: Host, rpc: Rpc, log: LogCapture }> {
    const host = await hosts.create({ clusterKey, log: log.log })
    const rpc = new Rpc({ host }, { log: log.log })
    services.add(rpc)
    await rpc.start()
    return { host, rpc, log }
  }

  async function pair (): Promise<[Awaited<ReturnType<typeof node>>, Awaited<ReturnType<typeof node>>]> {
    const key = generateClusterKey()
    const [a, b] = await Promise.all([node(key), node(key)])
    await a.host.addAddresses(b.host.peerId, b.host.listenAddresses)
    await b.host.addAddresses(a.host.peerId, a.host.listenAddresses)
    return [a, b]
  }

  const rpcStreams = (h: Host): number => h.libp2p.getConnections().flatMap(c => c.streams).filter(s => s.protocol === RPC_PROTOCOL).length

  it('answers calls, telling the handler who called', async () => {
    const [a, b] = await pair()
    b.rpc.handle('add', async (req, from) => {
      const { x, y } = req as { x: number, y: number }
      return { sum: x + y, from }
    })
    expect(await a.rpc.call(b.host.peerId, 'add', { x: 2, y: 3 })).toEqual({ sum: 5, from: a.host.peerId })
  })

  it('multiplexes 1,000 concurrent calls over one stream', async () => {
    const [a, b] = await pair()
    b.rpc.handle('echo', async (req) => await Promise.resolve(req))
    const results = await Promise.all(Array.from({ length: 1000 }, async (_, i) => await a.rpc.call(b.host.peerId, 'echo', { i, pad: 'x'.repeat(100) })))
    expect(results.map(r => (r as { i: number }).i)).toEqual([...Array(1000).keys()])
    expect(a.host.libp2p.getConnections(b.host.libp2p.peerId).flatMap(c => c.streams).filter(s => s.protocol === RPC_PROTOCOL && s.direction === 'outbound')).toHaveLength(1)
  })

  it('carries a remote error\'s name, message and fields, so the caller can re-create it', async () => {
    const [a, b] = await pair()
    b.rpc.handle('propose', async () => { throw new NotLeaderError('node-c') })
    const err = await a.rpc.call(b.host.peerId, 'propose', {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RpcError)
    expect(err).toMatchObject({ name: 'RpcError', remoteName: 'NotLeaderError', remoteMessage: 'not the leader: try node-c', data: { leader: 'node-c' }, method: 'propose' })
    const missing = await a.rpc.call(b.host.peerId, 'nope', {}).catch((e: unknown) => e)
    expect(missing).toMatchObject({ name: 'RpcError', remoteName: METHOD_NOT_FOUND })
  })

  it('times out with RpcTimeoutError and aborts the handler\'s signal', async () => {
    const [a, b] = await pair()
    let handlerAborted = false
    b.rpc.handle('slow', async (_req, _from, signal) => {
      await new Promise<void>(resolve => { signal.addEventListener('abort', () => { handlerAborted = true; resolve() }) })
      return 'late'
    })
    const err = await a.rpc.call(b.host.peerId, 'slow', {}, { signal: AbortSignal.timeout(100) }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RpcTimeoutError)
    await until(() => handlerAborted, 'the handler to see the cancellation')
    b.rpc.handle('fast', async () => 'ok')
    expect(await a.rpc.call(b.host.peerId, 'fast', {})).toBe('ok') // the shared stream survived
  })

  it('fails with PeerUnreachableError for a peer that is gone, and NotInClusterError for a stranger', async () => {
    const [a, b] = await pair()
    const bId = b.host.peerId
    await b.rpc.stop()
    await hosts.stop(b.host)
    const err = await a.rpc.call(bId, 'x', {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PeerUnreachableError)

    const stranger = await node(generateClusterKey())
    stranger.rpc.handle('x', async () => 'secret')
    await a.host.addAddresses(stranger.host.peerId, stranger.host.listenAddresses)
    const refused = await a.rpc.call(stranger.host.peerId, 'x', {}).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(NotInClusterError)
    expect((refused as Error).message).toMatch(/join token/)
  })

  it('fails calls in flight with PeerUnreachableError when the peer goes away, then reconnects', async () => {
    const [a, b] = await pair()
    b.rpc.handle('hang', async () => await new Promise(() => {}))
    const pending = a.rpc.call(b.host.peerId, 'hang', {}).catch((e: unknown) => e)
    await until(() => rpcStreams(b.host) > 0, 'the call to arrive')
    await b.host.hangUp(a.host.peerId)
    expect(await pending).toBeInstanceOf(PeerUnreachableError)
    b.rpc.handle('ok', async () => 'ok')
    expect(await a.rpc.call(b.host.peerId, 'ok', {})).toBe('ok')
  })

  it('streams values until the handler ends, and cancels the handler when the caller stops reading', async () => {
    const [a, b] = await pair()
    b.rpc.handleStream('count', async function * (req) {
      for (let i = 0; i < (req as number); i++) yield i
    })
    let cancelled = false
    b.rpc.handleStream('forever', async function * (_req, _from, signal) {
      signal.addEventListener('abort', () => { cancelled = true })
      for (let i = 0; ; i++) yield i
    })
    const got: unknown[] = []
    for await (const v of a.rpc.callStream(b.host.peerId, 'count', 1000)) got.push(v)
    expect(got).toEqual([...Array(1000).keys()])

    let n = 0
    for await (const v of a.rpc.callStream(b.host.peerId, 'forever', null)) {
      expect(v).toBe(n++)
      if (n === 5000) break
    }
    await until(() => cancelled, 'the endless handler to be cancelled')
    await until(() => rpcStreams(a.host) <= 1 && rpcStreams(b.host) <= 1, 'the streaming calls\' streams to close')
  })

  it('holds a streaming handler back while the caller does not read', async () => {
    const [a, b] = await pair()
    let produced = 0
    let cancelled = false
    const kib = new Uint8Array(1024)
    b.rpc.handleStream('firehose', async function * (_req, _from, signal) {
      signal.addEventListener('abort', () => { cancelled = true })
      for (;;) { produced++; yield kib }
    })
    const calls = a.rpc.callStream(b.host.peerId, 'firehose', null)
    await calls.next() // the call runs; now the caller stops reading
    const serverStream = (): { writableNeedsDrain: boolean } | undefined => b.host.libp2p.getConnections().flatMap(c => c.streams)
      .find(s => s.protocol === RPC_PROTOCOL && s.direction === 'inbound')
    await until(() => serverStream()?.writableNeedsDrain === true, 'the handler side to wait for the caller')
    expect(produced).toBeLessThan(20_000) // bounded by the stream window (≤ 16 MiB), not by memory
    await calls.return()
    await until(() => cancelled, 'the handler to be cancelled')
  })

  it('reports a streaming handler\'s error to the caller', async () => {
    const [a, b] = await pair()
    b.rpc.handleStream('fails', async function * () {
      yield 1
      throw new NotLeaderError('node-d')
    })
    const got: unknown[] = []
    const err = await (async () => { for await (const v of a.rpc.callStream(b.host.peerId, 'fails', null)) got.push(v) })().catch((e: unknown) => e)
    expect(got).toEqual([1])
    expect(err).toMatchObject({ name: 'RpcError', remoteName: 'NotLeaderError', data: { leader: 'node-d' } })
  })

  it('closes streams on both sides and refuses new calls when stopped', async () => {
    const [a, b] = await pair()
    b.rpc.handle('ok', async () => 'ok')
    await a.rpc.call(b.host.peerId, 'ok', {})
    expect(rpcStreams(a.host)).toBe(1)
    await a.rpc.stop()
    await until(() => rpcStreams(a.host) === 0 && rpcStreams(b.host) === 0, 'no rpc streams on either side')
    await expect(a.rpc.call(b.host.peerId, 'ok', {})).rejects.toThrow(NetStoppedError)
  })
})
