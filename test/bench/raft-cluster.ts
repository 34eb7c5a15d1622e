// A 3-node RaftNode cluster in one process for benchmarks: nodes talk over a MemoryNetwork
// and persist to either LevelLogStores (synced, real directories under os.tmpdir()) or
// MemoryLogStores. stop() stops the nodes, closes the stores and removes the directories.

import { join } from 'node:path'
import { LevelLogStore } from '../../raft/level-log-store.ts'
import type { LogStore } from '../../raft/log-store.ts'
import { MemoryLogStore } from '../../raft/memory-log-store.ts'
import { MemoryNetwork } from '../../raft/memory-transport.ts'
import { RaftNode, type StateMachine } from '../../raft/node.ts'
import type { Entry } from '../../raft/types.ts'
import { makeTempDir, removeTempDir } from './temp-dirs.ts'

export type StoreKind = 'level' | 'memory'

export interface BenchCluster {
  readonly nodes: readonly RaftNode[]
  readonly stores: readonly LogStore[]
  readonly net: MemoryNetwork
  /** The node that currently leads, if one does. */
  leader (): RaftNode | undefined
  /** Wait (polling) until a leader is elected; throws after `timeoutMs`. */
  waitForLeader (timeoutMs?: number): Promise<RaftNode>
  /** Synced batches written by every level store so far (0 for memory stores). */
  syncedBatches (): number[]
  stop (): Promise<void>
}

export interface BenchClusterOptions {
  readonly store: StoreKind
  /**
   * Milliseconds per tick. Default 10 (elections in 100–200 ms, so 18 fresh clusters do not
   * spend their time electing); heartbeats stay one per tick as in production.
   */
  readonly tickMs?: number
}

/** Counts applied entries; a snapshot is the count. Keeps the state machine's cost near zero. */
class CountingMachine implements StateMachine {
  count = 0
  apply (entries: readonly Entry[]): unknown[] {
    const results = new Array<number>(entries.length)
    for (let i = 0; i < entries.length; i++) results[i] = ++this.count
    return results
  }

  snapshot (): Uint8Array { return new TextEncoder().encode(String(this.count)) }
  restore (data: Uint8Array): void { this.count = Number(new TextDecoder().decode(data)) }
}

export async function startCluster (opts: BenchClusterOptions): Promise<BenchCluster> {
  const ids = ['a', 'b', 'c']
  const net = new MemoryNetwork()
  const dir = opts.store === 'level' ? await makeTempDir('flotilla-bench-raft') : null
  const stores: LogStore[] = ids.map((id) => dir !== null ? new LevelLogStore(join(dir, id)) : new MemoryLogStore())
  const nodes = ids.map((id, i) => new RaftNode({
    id,
    store: stores[i]!,
    transport: net.transport(),
    stateMachine: new CountingMachine(),
    tickMs: opts.tickMs ?? 10,
    bootstrap: ids
  }))

  let stopped = false
  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    await Promise.all(nodes.map(async (n) => { await n.stop() }))
    await Promise.all(stores.map(async (s) => { await s.close() }))
    if (dir !== null) await removeTempDir(dir)
  }
  const leader = (): RaftNode | undefined => nodes.find((n) => n.isLeader)

  try {
    for (const node of nodes) await node.start()
  } catch (err) {
    await stop()
    throw err
  }
  return {
    nodes,
    stores,
    net,
    leader,
    async waitForLeader (timeoutMs = 10_000): Promise<RaftNode> {
      const deadline = performance.now() + timeoutMs
      for (;;) {
        const found = leader()
        if (found !== undefined) return found
        if (performance.now() > deadline) throw new Error(`No Raft leader within ${timeoutMs} ms in the benchmark cluster: is the machine overloaded?`)
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    },
    syncedBatches: () => stores.map((s) => s instanceof LevelLogStore ? s.syncedBatches : 0),
    stop
  }
}
