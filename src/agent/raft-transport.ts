// The Raft Transport over libp2p: Raft messages travel on the net layer's message channel
// (/flotilla/raft/1.0.0) as plain msgpack values, addressed by PeerId. It also notes when each
// peer was last heard from, which is how the leader knows liveness without writing heartbeats
// to the log.

import type { MessageChannel } from '../../net/index.ts'
import type { Transport } from '../../raft/node.ts'
import type { Message, NodeId } from '../../raft/types.ts'

export class Libp2pRaftTransport implements Transport {
  private readonly lastHeard = new Map<NodeId, number>()
  private handler: ((m: Message) => void) | null = null
  private self: NodeId | null = null
  private readonly unsubscribe: () => void

  constructor (private readonly channel: MessageChannel, private readonly now: () => number = Date.now) {
    this.unsubscribe = channel.onMessage((from, value) => { this.receive(from, value) })
  }

  send (messages: readonly Message[]): void {
    // Group by destination: one batched send per peer.
    const byPeer = new Map<NodeId, Message[]>()
    for (const m of messages) {
      const list = byPeer.get(m.to)
      if (list === undefined) byPeer.set(m.to, [m])
      else list.push(m)
    }
    for (const [peer, list] of byPeer) this.channel.send(peer, list)
  }

  listen (id: NodeId, handler: (m: Message) => void): void {
    this.self = id
    this.handler = handler
  }

  unlisten (_id: NodeId): void {
    this.handler = null
  }

  close (): void {
    this.unsubscribe()
  }

  /** Milliseconds since anything arrived from `peer` (Infinity if never). */
  silenceOf (peer: NodeId): number {
    const t = this.lastHeard.get(peer)
    return t === undefined ? Infinity : this.now() - t
  }

  private receive (from: string, value: unknown): void {
    const m = value as Partial<Message> | null
    // A message claiming another sender than the authenticated peer is dropped.
    if (m === null || typeof m !== 'object' || m.from !== from || m.to !== this.self || typeof m.type !== 'string') return
    this.lastHeard.set(from, this.now())
    if (typeof (m as { chunk?: unknown }).chunk === 'object') normalizeBytes(m as Record<string, unknown>, 'chunk')
    if (Array.isArray((m as { entries?: unknown }).entries)) {
      for (const e of (m as { entries: Array<Record<string, unknown>> }).entries) normalizeBytes(e, 'data')
    }
    this.handler?.(m as Message)
  }
}

/** msgpackr decodes binary as Buffer; the core wants plain Uint8Array semantics (Buffer is one, but slices differ). */
function normalizeBytes (obj: Record<string, unknown>, key: string): void {
  const v = obj[key]
  if (v instanceof Uint8Array && !(Object.getPrototypeOf(v) === Uint8Array.prototype)) {
    obj[key] = new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
  }
}
