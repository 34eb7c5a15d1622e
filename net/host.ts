// The libp2p host of one agent: TCP on the address it is given, pnet with the cluster key
// (required) plus a key check, noise, yamux, identify, ping, optional mDNS. Host wraps the
// libp2p node with what the rest of Flotilla needs — PeerIds as strings, dialing by
// host:port, typed peer events, streams by protocol — and maps failures to named errors
// (NotInClusterError, PeerUnreachableError). Protocols (message channel, rpc) take a
// StreamHost, so they can be tested against anything that opens streams.

import { createHash } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify, type Identify } from '@libp2p/identify'
import { mdns } from '@libp2p/mdns'
import { peerIdFromString } from '@libp2p/peer-id'
import { ping, type Ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { TypedEventEmitter, type AbortOptions, type PeerId, type PrivateKey, type Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import { describeAddress, listenMultiaddr, toMultiaddr } from './address.ts'
import { parseClusterKey } from './cluster-key.ts'
import { clusterProtector } from './cluster-protector.ts'
import { InvalidAddressError, NotInClusterError, PeerUnreachableError } from './errors.ts'

export interface MdnsOptions {
  /** The mDNS service name. Default: derived from the cluster key, so clusters never discover each other. */
  serviceTag?: string
  /** How often to query, in ms. Default: 10000 (libp2p's). */
  interval?: number
}

export interface HostOptions {
  /** The cluster key, text or compact form (see cluster-key.ts). Required: peers without it cannot connect. */
  clusterKey: Uint8Array | string
  /** The node's identity (see loadOrCreateIdentity). Default: a new key, hence a new PeerId each start. */
  privateKey?: PrivateKey
  /** Address to listen on. Default: '127.0.0.1'. Listen on the address peers should dial, not 0.0.0.0. */
  host?: string
  /** TCP port. Default: 0 (any free port; read it from `multiaddrs`). */
  port?: number
  /** Discover peers of this cluster on the local network and dial them. Default: off. */
  mdns?: boolean | MdnsOptions
  /** Where the host writes its one-line notices (refused peers, …). Default: stderr with a "[net]" prefix. */
  log?: (line: string) => void
  /** Upper bound of one dial, in ms. Default: 5000. */
  dialTimeout?: number
  /** Most open connections. Default: 300. */
  maxConnections?: number
}

export interface HostEvents {
  /** A first connection to the peer opened; detail is its PeerId. */
  'peer:connect': CustomEvent<string>
  /** The last connection to the peer closed; detail is its PeerId. */
  'peer:disconnect': CustomEvent<string>
  /** mDNS found a peer (it is dialed automatically). */
  'peer:discovery': CustomEvent<{ peerId: string, multiaddrs: string[] }>
}

export interface HandleOptions {
  /** Streams of this protocol a peer may open per connection. Default: 32 (libp2p's). */
  maxInboundStreams?: number
  /** Streams of this protocol we may open per connection. Default: 64 (libp2p's). */
  maxOutboundStreams?: number
}

/** What protocols need from a host: its id, protocol handlers, and outbound streams. */
export interface StreamHost {
  readonly peerId: string
  handle (protocol: string, handler: (stream: Stream, from: string) => void, options?: HandleOptions): Promise<void>
  unhandle (protocol: string): Promise<void>
  /** Opens a stream to the peer (dialing it if needed). Throws PeerUnreachableError / NotInClusterError. */
  newStream (peerId: string, protocol: string, options?: AbortOptions): Promise<Stream>
}

type Services = { identify: Identify, ping: Ping }

export class Host extends TypedEventEmitter<HostEvents> implements StreamHost {
  readonly peerId: string
  private readonly dialTimeout: number

  constructor (readonly libp2p: Libp2p<Services>, options: HostOptions, private readonly log: (line: string) => void) {
    super()
    this.peerId = libp2p.peerId.toString()
    this.dialTimeout = options.dialTimeout ?? 5_000
    libp2p.addEventListener('peer:connect', (evt) => {
      this.safeDispatchEvent('peer:connect', { detail: evt.detail.toString() })
    })
    libp2p.addEventListener('peer:disconnect', (evt) => {
      this.safeDispatchEvent('peer:disconnect', { detail: evt.detail.toString() })
    })
    if (options.mdns !== undefined && options.mdns !== false) {
      const refused = new Set<string>()
      libp2p.addEventListener('peer:discovery', (evt) => {
        const peerId = evt.detail.id.toString()
        const multiaddrs = evt.detail.multiaddrs.map(String)
        this.safeDispatchEvent('peer:discovery', { detail: { peerId, multiaddrs } })
        if (this.isConnected(peerId) || refused.has(peerId)) return
        this.dialPeer(evt.detail.id).catch((err: unknown) => {
          if (!(err instanceof NotInClusterError)) return
          refused.add(peerId)
          this.log(`mDNS found ${peerId} at ${multiaddrs.join(', ')}, but it is not part of this cluster: ignoring it`)
        })
      })
    }
  }

  /** The addresses peers can dial, with /p2p/<peerId>. */
  get multiaddrs (): string[] {
    return this.libp2p.getMultiaddrs().map(String)
  }

  /** The listen addresses as host:port (what a join token carries). */
  get listenAddresses (): string[] {
    return this.libp2p.getMultiaddrs().map(describeAddress)
  }

  connectedPeers (): string[] {
    return this.libp2p.getPeers().map(String)
  }

  isConnected (peerId: string): boolean {
    return this.libp2p.getConnections(safePeerId(peerId)).length > 0
  }

  /**
   * Connects to `target` — host:port, a multiaddr with or without /p2p/, or a PeerId whose
   * addresses are known — and returns the remote's PeerId (learnt in the noise handshake).
   * Throws NotInClusterError, PeerUnreachableError or InvalidAddressError.
   */
  async dial (target: string | Multiaddr, options: AbortOptions = {}): Promise<string> {
    const text = target.toString()
    const dialTarget = typeof target === 'string' && !target.includes(':') && !target.startsWith('/')
      ? asPeerId(target)
      : await toMultiaddr(target)
    try {
      const connection = await this.libp2p.dial(dialTarget, { signal: this.signal(options) })
      return connection.remotePeer.toString()
    } catch (err) {
      throw dialError(text, err)
    }
  }

  /** Records addresses for a peer (e.g. from cluster membership) so it can be dialed by PeerId. */
  async addAddresses (peerId: string, addresses: readonly string[]): Promise<void> {
    const multiaddrs = await Promise.all(addresses.map(async a => await toMultiaddr(a)))
    await this.libp2p.peerStore.merge(safePeerId(peerId), { multiaddrs })
  }

  /** The addresses the peer store holds for a peer (membership, identify, peer lists), as host:port. */
  async addressesOf (peerId: string): Promise<string[]> {
    try {
      const peer = await this.libp2p.peerStore.get(safePeerId(peerId))
      return peer.addresses.map((a) => describeAddress(a.multiaddr))
    } catch {
      return []
    }
  }

  async hangUp (peerId: string): Promise<void> {
    await this.libp2p.hangUp(safePeerId(peerId))
  }

  /** Round-trip time to the peer in ms (libp2p ping). */
  async ping (peerId: string, options: AbortOptions = {}): Promise<number> {
    try {
      return await this.libp2p.services.ping.ping(safePeerId(peerId), { signal: this.signal(options) })
    } catch (err) {
      throw dialError(peerId, err)
    }
  }

  async handle (protocol: string, handler: (stream: Stream, from: string) => void, options: HandleOptions = {}): Promise<void> {
    await this.libp2p.handle(protocol, (stream, connection) => {
      handler(stream, connection.remotePeer.toString())
    }, options)
  }

  async unhandle (protocol: string): Promise<void> {
    await this.libp2p.unhandle(protocol)
  }

  async newStream (peerId: string, protocol: string, options: AbortOptions = {}): Promise<Stream> {
    const peer = safePeerId(peerId)
    const signal = this.signal(options)
    try {
      try {
        return await this.libp2p.dialProtocol(peer, protocol, { signal })
      } catch (err) {
        if ((err as Error).name !== 'ConnectionClosedError') throw err
      }
      // libp2p picked a connection whose muxer the remote already closed while its TCP close
      // is not processed yet (a peer that just hung up or restarted). Drop the stale ones, use
      // a live one, or dial afresh.
      for (const connection of this.libp2p.getConnections(peer)) {
        try {
          return await connection.newStream(protocol, { signal })
        } catch (err) {
          if ((err as Error).name !== 'ConnectionClosedError') throw err
          connection.abort(err as Error)
        }
      }
      return await this.libp2p.dialProtocol(peer, protocol, { signal })
    } catch (err) {
      throw dialError(peerId, err)
    }
  }

  async stop (): Promise<void> {
    await this.libp2p.stop()
  }

  private async dialPeer (peerId: PeerId): Promise<void> {
    try {
      await this.libp2p.dial(peerId, { signal: AbortSignal.timeout(this.dialTimeout) })
    } catch (err) {
      throw dialError(peerId.toString(), err)
    }
  }

  private signal (options: AbortOptions): AbortSignal {
    const timeout = AbortSignal.timeout(this.dialTimeout)
    return options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout])
  }
}

/** Builds and starts a host. Throws InvalidClusterKeyError for a bad key, and the listen error (EADDRINUSE, …). */
export async function createHost (options: HostOptions): Promise<Host> {
  const psk = parseClusterKey(options.clusterKey)
  const log = options.log ?? ((line: string) => { process.stderr.write(`[net] ${line}\n`) })
  const listen = listenMultiaddr(options.host ?? '127.0.0.1', options.port ?? 0).toString()
  const discovery = options.mdns === undefined || options.mdns === false
    ? []
    : [mdns({
        serviceTag: (options.mdns === true ? undefined : options.mdns.serviceTag) ?? defaultServiceTag(psk),
        interval: options.mdns === true ? undefined : options.mdns.interval
      })]
  const libp2p = await createLibp2p({
    ...(options.privateKey === undefined ? {} : { privateKey: options.privateKey }),
    addresses: { listen: [listen] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionProtector: clusterProtector({ psk, log }),
    connectionManager: {
      maxConnections: options.maxConnections ?? 300,
      // libp2p's defaults (5 new connections/s per host, 10 pending) refuse a cluster that
      // starts on one machine with ECONNRESET; loopback peers skip these limits entirely.
      inboundConnectionThreshold: 100,
      maxIncomingPendingConnections: 100,
      allow: ['/ip4/127.0.0.0/ipcidr/8', '/ip6/::1/ipcidr/128'],
      dialTimeout: options.dialTimeout ?? 5_000
    },
    peerDiscovery: discovery,
    services: { identify: identify(), ping: ping() }
  })
  return new Host(libp2p, options, log)
}

/** "_flotilla-<8 hex of the key's hash>._udp.local": agents of other clusters stay invisible. */
function defaultServiceTag (psk: Uint8Array): string {
  return `_flotilla-${createHash('sha256').update(psk).digest('hex').slice(0, 8)}._udp.local`
}

/** A dial target without ':' or '/' must be a PeerId. */
function asPeerId (target: string): PeerId {
  try {
    return peerIdFromString(target)
  } catch {
    throw new InvalidAddressError(target)
  }
}

function safePeerId (peerId: string): PeerId {
  try {
    return peerIdFromString(peerId)
  } catch (err) {
    throw new PeerUnreachableError(peerId, `"${peerId}" is not a valid PeerId`, { cause: err })
  }
}

/** A libp2p dial failure as a named error: NotInClusterError if the key check failed anywhere in it. */
function dialError (target: string, err: unknown): Error {
  const notInCluster = findNotInCluster(err)
  if (notInCluster !== undefined) return new NotInClusterError(target, undefined, { cause: notInCluster.cause })
  if (err instanceof PeerUnreachableError) return err
  return new PeerUnreachableError(target, undefined, { cause: err })
}

function findNotInCluster (err: unknown, depth = 0): NotInClusterError | undefined {
  if (depth > 4 || !(err instanceof Error)) return undefined
  if (err instanceof NotInClusterError) return err
  for (const inner of err instanceof AggregateError ? err.errors : []) {
    const found = findNotInCluster(inner, depth + 1)
    if (found !== undefined) return found
  }
  return findNotInCluster(err.cause, depth + 1)
}
