// A deterministic in-process cluster of Raft cores for unit tests: no timers, no I/O.
// Each node has a "disk" that ready() output is persisted to, so a node can be crashed
// and restarted from exactly what it persisted.

import { RaftCore, type RaftOptions, type Ready, type SnapshotRead } from '../../raft/core.ts'
import type { Entry, HardState, Message, NodeId, Snapshot } from '../../raft/types.ts'

export interface Disk {
  hardState: HardState
  snapshot: Snapshot | null
  entries: Entry[]
}

export interface SimNode {
  core: RaftCore
  disk: Disk
  /** Entries handed to the state machine, in order (snapshots recorded as a marker entry). */
  applied: Entry[]
  /** Snapshot restores seen. */
  restored: Snapshot[]
  reads: Array<{ ctx: string, index: number }>
}

/** A seeded PRNG (mulberry32). */
export function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function persist (disk: Disk, rd: Ready): void {
  if (rd.snapshot !== null) {
    disk.snapshot = rd.snapshot
    disk.entries = []
  }
  if (rd.entries.length > 0) {
    const first = (rd.entries[0] as Entry).index
    disk.entries = disk.entries.filter((e) => e.index < first).concat(rd.entries)
  }
  if (rd.hardState !== null) disk.hardState = rd.hardState
}

export class Harness {
  readonly nodes = new Map<NodeId, SimNode>()
  readonly queue: Message[] = []
  /** Pairs that cannot talk ("a|b"). */
  private readonly cut = new Set<string>()
  readonly down = new Set<NodeId>()
  /** Sees every message delivered. */
  observe: ((m: Message) => void) | null = null
  /** Sees every Ready taken, before its messages are queued. */
  onReady: ((id: NodeId, rd: Ready) => void) | null = null
  /** Answer Ready.snapshotReads from the node's disk at once; when false they are only collected in `snapshotReads`. */
  serveSnapshotReads = true
  readonly snapshotReads: SnapshotRead[] = []
  private readonly seed: number
  private readonly extra: Partial<RaftOptions>

  constructor (ids: NodeId[], opts: { seed?: number, bootstrap?: NodeId[], options?: Partial<RaftOptions> } = {}) {
    this.seed = opts.seed ?? 1
    this.extra = opts.options ?? {}
    const boot = opts.bootstrap ?? ids
    for (const id of ids) this.add(id, boot.includes(id) ? boot : undefined)
  }

  add (id: NodeId, bootstrap?: NodeId[]): SimNode {
    const disk: Disk = { hardState: { term: 0, vote: null, commit: 0 }, snapshot: null, entries: [] }
    const node: SimNode = { core: this.makeCore(id, disk, bootstrap), disk, applied: [], restored: [], reads: [] }
    this.nodes.set(id, node)
    return node
  }

  private makeCore (id: NodeId, disk: Disk, bootstrap?: NodeId[], applied?: number): RaftCore {
    let n = 0
    for (const c of id) n = n * 31 + c.charCodeAt(0)
    return new RaftCore({ id, random: seededRandom(this.seed * 7919 + n), ...(bootstrap !== undefined ? { bootstrap } : {}), ...(applied !== undefined ? { applied } : {}), ...this.extra }, {
      hardState: disk.hardState, snapshot: disk.snapshot, entries: [...disk.entries]
    })
  }

  node (id: NodeId): SimNode {
    const n = this.nodes.get(id)
    if (n === undefined) throw new Error(`no node ${id}`)
    return n
  }

  core (id: NodeId): RaftCore { return this.node(id).core }

  /** Compact like a driver over a store that serves snapshot reads: persist the snapshot, then let the core drop its bytes. */
  compactAndRelease (id: NodeId, data: Uint8Array): Snapshot {
    const n = this.node(id)
    const snap = n.core.compact(data)
    if (snap === null) throw new Error(`${id} cannot compact now`)
    n.disk.snapshot = snap
    n.core.releaseSnapshotData(snap.meta.index)
    return snap
  }

  /** Crash (losing nothing that was persisted) and restart from disk. */
  restart (id: NodeId): void {
    const n = this.node(id)
    n.core = this.makeCore(id, n.disk, undefined, n.disk.snapshot?.meta.index ?? 0)
    n.applied = n.applied.filter((e) => e.index <= (n.disk.snapshot?.meta.index ?? 0))
    this.queue.splice(0, this.queue.length, ...this.queue.filter((m) => m.to !== id && m.from !== id))
  }

  isolate (id: NodeId): void {
    for (const other of this.nodes.keys()) if (other !== id) this.cutLink(id, other)
  }

  cutLink (a: NodeId, b: NodeId): void { this.cut.add(`${a}|${b}`); this.cut.add(`${b}|${a}`) }
  heal (): void { this.cut.clear() }

  /** Process every node's Ready once; queue their messages. Returns true if anything happened. */
  processReadies (): boolean {
    let any = false
    for (const [id, n] of this.nodes) {
      if (this.down.has(id)) continue
      while (n.core.hasReady()) {
        any = true
        const rd = n.core.ready()
        this.onReady?.(id, rd)
        persist(n.disk, rd)
        if (rd.snapshot !== null) {
          n.restored.push(rd.snapshot)
          n.applied = n.applied.filter((e) => e.index <= rd.snapshot!.meta.index)
        }
        for (const e of rd.committedEntries) n.applied.push(e)
        for (const r of rd.readStates) n.reads.push(r)
        this.queue.push(...rd.earlyMessages, ...rd.lazyMessages, ...rd.messages)
        n.core.advance(rd)
        // Chunks of a released snapshot, read back from the disk as a driver would.
        for (const read of rd.snapshotReads) {
          this.snapshotReads.push(read)
          const snap = n.disk.snapshot
          if (this.serveSnapshotReads && snap?.meta.index === read.index) n.core.sendSnapshotChunkData(read.to, read.index, read.offset, snap.data.slice(read.offset, read.offset + read.length))
        }
      }
    }
    return any
  }

  /** Deliver every queued message (dropping those across a cut or to a down node). */
  deliver (filter?: (m: Message) => boolean): boolean {
    const msgs = this.queue.splice(0)
    for (const m of msgs) {
      if (this.cut.has(`${m.from}|${m.to}`) || this.down.has(m.to)) continue
      if (filter !== undefined && !filter(m)) continue
      this.observe?.(m)
      this.nodes.get(m.to)?.core.step(m)
    }
    return msgs.length > 0
  }

  /**
   * Like stabilize, but messages `hold` picks are taken out of the network and returned
   * instead of delivered (to delay, reorder or drop them by hand).
   */
  settleHolding (hold: (m: Message) => boolean, maxRounds = 1000): Message[] {
    const held: Message[] = []
    for (let i = 0; i < maxRounds; i++) {
      this.processReadies()
      const ms = this.queue.splice(0)
      if (ms.length === 0) return held
      for (const m of ms) {
        this.observe?.(m)
        if (hold(m)) held.push(m)
        else this.nodes.get(m.to)?.core.step(m)
      }
    }
    throw new Error('cluster did not settle')
  }

  /** Run until no node has work and no message is in flight. */
  stabilize (maxRounds = 1000): void {
    for (let i = 0; i < maxRounds; i++) {
      const a = this.processReadies()
      const b = this.deliver()
      if (!a && !b) return
    }
    throw new Error('cluster did not stabilize')
  }

  tick (ids: NodeId[] | 'all' = 'all', n = 1): void {
    const list = ids === 'all' ? [...this.nodes.keys()] : ids
    for (let i = 0; i < n; i++) {
      for (const id of list) if (!this.down.has(id)) this.core(id).tick()
      this.stabilize()
    }
  }

  /** Make `id` campaign now (as its election timer would) and settle. */
  campaign (id: NodeId): void {
    this.core(id).campaign(false)
    this.stabilize()
  }

  leaders (): NodeId[] {
    return [...this.nodes.entries()].filter(([id, n]) => !this.down.has(id) && n.core.role === 'leader').map(([id]) => id)
  }

  /** Propose on the leader and settle. Returns the entry index. */
  propose (id: NodeId, text: string, entryId?: string): number {
    const at = this.core(id).propose(new TextEncoder().encode(text), entryId)
    this.stabilize()
    return at.index
  }

  appliedData (id: NodeId): string[] {
    return this.node(id).applied.filter((e) => e.data.length > 0).map((e) => new TextDecoder().decode(e.data))
  }
}

/** A cluster of `ids` where 'a' leads and has committed one entry, 'warm-up', everywhere. */
export function electedCluster (ids: NodeId[] = ['a', 'b', 'c']): Harness {
  const h = new Harness(ids)
  h.stabilize()
  h.campaign('a')
  h.propose('a', 'warm-up')
  h.stabilize()
  return h
}
