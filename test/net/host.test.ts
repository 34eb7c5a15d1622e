// Real libp2p hosts on 127.0.0.1: dialing by host:port (the PeerId is learnt in the
// handshake), peer events, and the cluster key keeping strangers out with a clear message.

import { afterEach, describe, expect, it } from 'vitest'
import { generateClusterKey } from '../../net/cluster-key.ts'
import { InvalidAddressError, NotInClusterError, PeerUnreachableError } from '../../net/errors.ts'
import { HostTracker, LogCapture, until } from './helpers.ts'

describe('Host', () => {
  const hosts = new HostTracker()
  afterEach(async () => { await hosts.stopAll() })

  it('listens on 127.0.0.1 and dials a peer by host:port, learning its PeerId', async () => {
    const key = generateClusterKey()
    const a = await hosts.create({ clusterKey: key })
    const b = await hosts.create({ clusterKey: key })
    expect(a.listenAddresses).toEqual([expect.stringMatching(/^127\.0\.0\.1:\d+$/)])
    expect(a.multiaddrs[0]).toMatch(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${a.peerId}$`))

    const connected: string[] = []
    a.addEventListener('peer:connect', (evt) => { connected.push(evt.detail) })
    const address = a.listenAddresses[0] ?? ''
    expect(await b.dial(address)).toBe(a.peerId)
    await until(() => connected.includes(b.peerId), 'a to see b connect')
    expect(b.isConnected(a.peerId)).toBe(true)
    expect(await b.ping(a.peerId)).toBeGreaterThanOrEqual(0)

    const disconnected: string[] = []
    a.addEventListener('peer:disconnect', (evt) => { disconnected.push(evt.detail) })
    await b.hangUp(a.peerId)
    await until(() => disconnected.includes(b.peerId), 'a to see b disconnect')
  })

  it('connects three hosts that share a key, in any direction', async () => {
    const key = generateClusterKey()
    const [a, b, c] = await Promise.all([1, 2, 3].map(async () => await hosts.create({ clusterKey: key })))
    if (a === undefined || b === undefined || c === undefined) throw new Error('unreachable')
    await b.dial(a.multiaddrs[0] ?? '')
    await c.dial(a.listenAddresses[0] ?? '')
    await c.dial(b.listenAddresses[0] ?? '')
    await until(() => a.connectedPeers().length === 2 && b.connectedPeers().length === 2 && c.connectedPeers().length === 2, 'a full mesh')
  })

  it('refuses a peer with another cluster key: one log line there, NotInClusterError here', async () => {
    const logA = new LogCapture()
    const logC = new LogCapture()
    const a = await hosts.create({ clusterKey: generateClusterKey(), log: logA.log })
    const stranger = await hosts.create({ clusterKey: generateClusterKey(), log: logC.log })
    const address = a.listenAddresses[0] ?? ''

    const err = await stranger.dial(address).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NotInClusterError)
    expect(err).toBeInstanceOf(PeerUnreachableError)
    expect((err as Error).name).toBe('NotInClusterError')
    expect((err as Error).message).toMatch(/join token/)

    const refused = await until(() => logA.matching(/refused a connection/).length > 0 && logA.lines, 'the refusal notice')
    expect(refused).toEqual([
      expect.stringMatching(/^refused a connection from 127\.0\.0\.1:\d+: the peer is not part of this cluster \(wrong or missing cluster key\)$/)
    ])
    expect(a.connectedPeers()).toEqual([])
    expect(stranger.connectedPeers()).toEqual([])
    expect(logC.lines).toEqual([]) // the dialer reports through the error, not the log
  })

  it('reports an address nobody listens on as PeerUnreachableError', async () => {
    const key = generateClusterKey()
    const a = await hosts.create({ clusterKey: key })
    const b = await hosts.create({ clusterKey: key })
    const port = Number((b.listenAddresses[0] ?? '').split(':')[1])
    await hosts.stop(b)
    const err = await a.dial(`127.0.0.1:${port}`).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PeerUnreachableError)
    expect(err).not.toBeInstanceOf(NotInClusterError)
    await expect(a.dial('no-port-here')).rejects.toThrow(InvalidAddressError)
  })

  it('finds and connects peers of its cluster over mDNS, and ignores another cluster on the same service tag', async () => {
    const key = generateClusterKey()
    const serviceTag = `_flotilla-test-${Math.random().toString(36).slice(2, 10)}._udp.local`
    const logA = new LogCapture()
    const a = await hosts.create({ clusterKey: key, mdns: { serviceTag, interval: 200 }, log: logA.log })
    const b = await hosts.create({ clusterKey: key, mdns: { serviceTag, interval: 200 }, log: () => {} })
    const other = await hosts.create({ clusterKey: generateClusterKey(), mdns: { serviceTag, interval: 200 }, log: () => {} })
    await until(() => a.isConnected(b.peerId), 'mDNS to connect a and b')
    await until(() => logA.matching(new RegExp(`mDNS found ${other.peerId} .*not part of this cluster`)).length > 0, 'a to give up on the other cluster')
    expect(a.isConnected(other.peerId)).toBe(false)
    expect(logA.matching(new RegExp(`mDNS found ${other.peerId}`))).toHaveLength(1)
  })

  it('requires a valid cluster key', async () => {
    await expect(hosts.create({ clusterKey: 'nope' })).rejects.toThrow(/Invalid cluster key/)
  })
})
