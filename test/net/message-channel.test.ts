// MessageChannel over real hosts: delivery in order between three peers, batching under
// load, strangers kept out, streams closed on both sides, and re-establishment after a peer
// restarts with the same identity.

import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { compactClusterKey, generateClusterKey } from '../../net/cluster-key.ts'
import type { Host } from '../../net/host.ts'
import { loadOrCreateIdentity } from '../../net/identity.ts'
import { MessageChannel, RAFT_PROTOCOL } from '../../net/message-channel.ts'
import { HostTracker, LogCapture, portOf, tempDir, until } from './helpers.ts'

interface Peer { host: Host, channel: MessageChannel, inbox: Array<{ from: string, value: unknown }>, log: LogCapture }

describe('MessageChannel', () => {
  const hosts = new HostTracker()
  const channels = new Set<MessageChannel>()
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    await Promise.all([...channels].map(async c => { await c.stop() }))
    channels.clear()
    await hosts.stopAll()
    await Promise.all(cleanups.splice(0).map(async c => { await c() }))
  })

  async function peer (options: Parameters<HostTracker['create']>[0]): Promise<Peer> {
    const log = new LogCapture()
    const host = await hosts.create({ log: log.log, ...options })
    const channel = new MessageChannel({ host }, { log: log.log })
    channels.add(channel)
    await channel.start()
    const inbox: Peer['inbox'] = []
    channel.onMessage((from, value) => { inbox.push({ from, value }) })
    return { host, channel, inbox, log }
  }

  /** Tells each host where the others listen, without connecting them. */
  async function introduce (peers: Peer[]): Promise<void> {
    for (const p of peers) {
      for (const q of peers) if (p !== q) await p.host.addAddresses(q.host.peerId, q.host.listenAddresses)
    }
  }

  it('delivers values in order between three peers, opening streams on first send', async () => {
    const key = generateClusterKey()
    const peers = await Promise.all([1, 2, 3].map(async () => await peer({ clusterKey: key })))
    await introduce(peers)
    for (const from of peers) {
      for (const to of peers) {
        if (from === to) continue
        for (let i = 0; i < 100; i++) from.channel.send(to.host.peerId, [{ from: from.host.peerId, i }])
      }
    }
    for (const p of peers) {
      await until(() => p.inbox.length === 200, `200 values at ${p.host.peerId}`)
      for (const q of peers) {
        if (q === p) continue
        const seq = p.inbox.filter(m => m.from === q.host.peerId).map(m => (m.value as { i: number }).i)
        expect(seq).toEqual([...Array(100).keys()])
      }
    }
  })

  it('delivers a burst of 8,000 values sent in one tick, in order and without loss', async () => {
    const key = generateClusterKey()
    const [a, b] = await Promise.all([peer({ clusterKey: key }), peer({ clusterKey: key })])
    await introduce([a, b])
    const payload = 'p'.repeat(90)
    const values = Array.from({ length: 8_000 }, (_, i) => [i, payload])
    a.channel.send(b.host.peerId, values)
    await until(() => b.inbox.length === values.length, 'all 8,000 values')
    expect(b.inbox.map(m => (m.value as [number])[0])).toEqual(values.map(v => v[0]))
    expect(a.channel.stats).toMatchObject({ sent: 8_000, dropped: 0 })
  })

  it('keeps the newest values when a burst exceeds the per-peer queue limit', async () => {
    const key = generateClusterKey()
    const [a, b] = await Promise.all([peer({ clusterKey: key }), peer({ clusterKey: key })])
    await introduce([a, b])
    a.channel.send(b.host.peerId, ['open'])
    await until(() => b.inbox.length === 1, 'the stream to open')
    a.channel.send(b.host.peerId, Array.from({ length: 10_000 }, (_, i) => i)) // limit: 8,192
    await until(() => b.inbox.length === 1 + 8_192, 'the newest 8,192 values')
    expect(b.inbox[1]?.value).toBe(10_000 - 8_192)
    expect(b.inbox.at(-1)?.value).toBe(9_999)
    expect(a.channel.stats.dropped).toBe(10_000 - 8_192)
  })

  it('drops the oldest values beyond the per-peer queue limit while a peer is unreachable', async () => {
    const key = generateClusterKey()
    const a = await peer({ clusterKey: key })
    const limited = new MessageChannel({ host: a.host }, { protocol: '/test/limited/1.0.0', maxQueuedPerPeer: 10, log: a.log.log })
    channels.add(limited)
    await limited.start()
    const b = await peer({ clusterKey: key })
    const bId = b.host.peerId
    await a.host.addAddresses(bId, b.host.listenAddresses)
    await hosts.stop(b.host)
    limited.send(bId, Array.from({ length: 25 }, (_, i) => i))
    expect(limited.stats.dropped).toBe(15)
    await until(() => a.log.matching(/cannot reach/).length > 0, 'the unreachable notice')
  })

  it('keeps strangers out: nothing sent by a host with another key gets through', async () => {
    const key = generateClusterKey()
    const [a, b] = await Promise.all([peer({ clusterKey: key }), peer({ clusterKey: key })])
    const stranger = await peer({ clusterKey: generateClusterKey() })
    await introduce([a, b, stranger])
    for (let i = 0; i < 10; i++) stranger.channel.send(a.host.peerId, [{ evil: i }])
    await until(() => stranger.log.matching(/cannot reach .*not part of this node's cluster/).length > 0, 'the stranger to give up')
    await until(() => a.log.matching(/^refused a connection from 127\.0\.0\.1:\d+: the peer is not part of this cluster/).length > 0, 'the refusal')
    b.channel.send(a.host.peerId, ['barrier'])
    await until(() => a.inbox.length > 0, 'the barrier')
    expect(a.inbox).toEqual([{ from: b.host.peerId, value: 'barrier' }])
  })

  it('closes its streams on both sides when stopped', async () => {
    const key = generateClusterKey()
    const [a, b] = await Promise.all([peer({ clusterKey: key }), peer({ clusterKey: key })])
    await introduce([a, b])
    a.channel.send(b.host.peerId, ['x'])
    b.channel.send(a.host.peerId, ['y'])
    await until(() => a.inbox.length === 1 && b.inbox.length === 1, 'both values')
    const streams = (h: Host): number => h.libp2p.getConnections().flatMap(c => c.streams).filter(s => s.protocol === RAFT_PROTOCOL).length
    expect(streams(a.host)).toBe(2)
    await a.channel.stop()
    await until(() => streams(a.host) === 0 && streams(b.host) === 0, 'no raft streams left on either side')
    b.channel.send(a.host.peerId, ['after stop'])
    await until(() => b.log.matching(/cannot reach/).length > 0, 'b to find a no longer speaks the protocol')
    expect(a.inbox).toHaveLength(1)
  })

  it('re-establishes the stream after the peer restarts with the same identity and port', async () => {
    const key = generateClusterKey()
    const dir = await tempDir()
    cleanups.push(dir.remove)
    const identity = join(dir.path, 'identity.key')
    const a = await peer({ clusterKey: key })
    const b = await peer({ clusterKey: key, privateKey: await loadOrCreateIdentity(identity) })
    await introduce([a, b])
    a.channel.send(b.host.peerId, ['before'])
    await until(() => b.inbox.length === 1, 'the first value')

    const port = portOf(b.host)
    await b.channel.stop()
    channels.delete(b.channel)
    await hosts.stop(b.host)
    const b2 = await peer({ clusterKey: key, privateKey: await loadOrCreateIdentity(identity), port })
    expect(b2.host.peerId).toBe(b.host.peerId)

    // Raft keeps sending; some values fall into the restart, the channel must come back by itself.
    let n = 0
    await until(() => {
      a.channel.send(b2.host.peerId, [`after ${n++}`])
      return b2.inbox.length > 0
    }, 'a value to reach the restarted peer')
    expect(b2.inbox[0]?.from).toBe(a.host.peerId)
    b2.channel.send(a.host.peerId, ['back'])
    await until(() => a.inbox.some(m => m.value === 'back'), 'the reply over the new connection')
  })
})

describe('MessageChannel with a peer in another process', () => {
  const hosts = new HostTracker()
  const children = new Set<ChildProcess>()
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const child of children) child.kill('SIGKILL')
    children.clear()
    await hosts.stopAll()
    await Promise.all(cleanups.splice(0).map(async c => { await c() }))
  })

  async function spawnEchoPeer (env: Record<string, string>): Promise<{ child: ChildProcess, peerId: string, address: string }> {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/echo-peer.ts', import.meta.url))], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit']
    })
    children.add(child)
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => { out += chunk.toString() })
    const line = await until(() => out.includes('\n') && out.slice(0, out.indexOf('\n')), 'the echo peer to listen', 20_000)
    return { child, ...(JSON.parse(line) as { peerId: string, address: string }) }
  }

  it('comes back by itself after the peer is SIGKILLed and restarted with the same identity', async () => {
    const key = generateClusterKey()
    const dir = await tempDir()
    cleanups.push(dir.remove)
    const log = new LogCapture()
    const host = await hosts.create({ clusterKey: key, log: log.log })
    const channel = new MessageChannel({ host }, { log: log.log })
    await channel.start()
    cleanups.push(async () => { await channel.stop() })
    const echoes: unknown[] = []
    channel.onMessage((_from, value) => { echoes.push((value as { echo: unknown }).echo) })

    const env = { FLOTILLA_KEY: compactClusterKey(key), FLOTILLA_IDENTITY: join(dir.path, 'identity.key'), FLOTILLA_PORT: '0' }
    const first = await spawnEchoPeer(env)
    await host.addAddresses(first.peerId, [first.address])
    channel.send(first.peerId, ['ping 1'])
    await until(() => echoes.includes('ping 1'), 'the first echo')

    first.child.kill('SIGKILL')
    await until(() => !host.isConnected(first.peerId), 'the connection to drop')
    const second = await spawnEchoPeer({ ...env, FLOTILLA_PORT: first.address.split(':')[1] ?? '0' })
    expect(second.peerId).toBe(first.peerId)

    let n = 0
    await until(() => {
      channel.send(second.peerId, [`ping after ${n++}`])
      return echoes.some(e => typeof e === 'string' && e.startsWith('ping after'))
    }, 'an echo from the restarted peer', 20_000)
  }, 60_000)
})
