// An in-process Transport for tests and examples: nodes in one process exchange messages
// through a shared MemoryNetwork, delivered asynchronously (never re-entrantly). Links can be
// cut to simulate partitions.

import type { Transport } from './node.ts'
import type { Message, NodeId } from './types.ts'

export class MemoryNetwork {
  private readonly handlers = new Map<NodeId, (m: Message) => void>()
  private readonly cut = new Set<string>()
  /** Messages delivered so far (for tests and benchmarks). */
  delivered = 0

  transport (): Transport {
    return {
      send: (messages) => { this.send(messages) },
      listen: (id, handler) => { this.handlers.set(id, handler) },
      unlisten: (id) => { this.handlers.delete(id) }
    }
  }

  /** Drop all traffic between `a` and every other node. */
  isolate (a: NodeId): void {
    for (const b of this.handlers.keys()) if (b !== a) this.cutLink(a, b)
  }

  cutLink (a: NodeId, b: NodeId): void {
    this.cut.add(`${a}|${b}`)
    this.cut.add(`${b}|${a}`)
  }

  heal (): void { this.cut.clear() }

  private send (messages: readonly Message[]): void {
    const batch = messages.filter((m) => !this.cut.has(`${m.from}|${m.to}`))
    if (batch.length === 0) return
    setImmediate(() => {
      for (const m of batch) {
        const h = this.handlers.get(m.to)
        if (h === undefined) continue
        this.delivered++
        h(m)
      }
    })
  }
}
