// Keeps the libp2p peer store in step with the replicated Node objects (PeerId → p2p
// addresses), maps PeerIds to agent names, and keeps connections open to every Raft member
// so a restarted or newly joined agent is reachable before it sends anything itself.

import type { Host } from '../../net/index.ts'
import type { KObject, ObjectReader } from '../store/types.ts'
import { p2pAddressesOfNode, peerIdOfNode } from './node-object.ts'

export class AddressBook {
  private readonly names = new Map<string, string>()
  private readonly known = new Map<string, string>()
  private stopWatch: (() => void) | null = null
  private timer: NodeJS.Timeout | null = null

  private asking = false

  /**
   * `lookup(peer, ids)` asks a connected member for the addresses it knows of `ids` (the
   * cluster.peers rpc): how an agent finds members whose addresses changed while it was away.
   */
  constructor (
    private readonly host: Host,
    private readonly reader: ObjectReader,
    private readonly members: () => string[],
    private readonly lookup?: (peer: string, ids: string[]) => Promise<Record<string, string[]>>
  ) {}

  start (): void {
    for (const node of this.reader.list('', 'Node', undefined).items) this.learn(node)
    this.stopWatch = this.reader.watch('', 'Node', undefined, this.reader.appliedIndex, {}, (e) => {
      if (e.type !== 'DELETED') this.learn(e.object)
    })
    this.timer = setInterval(() => { this.connectAll() }, 1000)
    this.timer.unref()
    this.connectAll()
  }

  stop (): void {
    this.stopWatch?.()
    if (this.timer !== null) clearInterval(this.timer)
  }

  /** The agent name of a PeerId, if its Node is known. */
  nameOf (peerId: string): string | undefined {
    return this.names.get(peerId)
  }

  /** Record addresses learnt elsewhere (a join answer). */
  add (peerId: string, addresses: string[]): void {
    const key = addresses.join(',')
    if (this.known.get(peerId) === key || addresses.length === 0) return
    this.known.set(peerId, key)
    this.host.addAddresses(peerId, addresses).catch(() => {})
  }

  private learn (node: KObject): void {
    const peerId = peerIdOfNode(node)
    if (peerId === undefined) return
    this.names.set(peerId, node.metadata.name)
    if (peerId !== this.host.peerId) this.add(peerId, p2pAddressesOfNode(node))
  }

  private connectAll (): void {
    const unreachable: string[] = []
    for (const peer of this.members()) {
      if (peer === this.host.peerId || this.host.isConnected(peer)) continue
      unreachable.push(peer)
      if (this.known.has(peer)) this.host.dial(peer).catch(() => {})
    }
    if (unreachable.length > 0) void this.askAround(unreachable)
  }

  /** Ask the connected members where the unreachable ones are; dial what they answer. */
  private async askAround (ids: string[]): Promise<void> {
    const lookup = this.lookup
    if (lookup === undefined || this.asking) return
    this.asking = true
    try {
      const members = new Set(this.members())
      for (const peer of this.host.connectedPeers().filter((p) => members.has(p))) {
        const answer = await lookup(peer, ids).catch(() => ({} as Record<string, string[]>))
        for (const [id, addresses] of Object.entries(answer)) {
          if (!ids.includes(id) || !Array.isArray(addresses) || addresses.length === 0) continue
          await this.host.addAddresses(id, addresses).catch(() => {})
          this.host.dial(id).catch(() => {})
        }
      }
    } finally {
      this.asking = false
    }
  }
}
