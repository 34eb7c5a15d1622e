// ObjectStore as the StateMachine of real RaftNodes (in-memory transport and logs): every
// replica applies the same commands to the same state, the proposer gets its ApplyResult, and a
// follower cut off past a snapshot catches up through restore().

import { afterEach, describe, expect, it } from 'vitest'
import { MemoryLogStore } from '../../../raft/memory-log-store.ts'
import { MemoryNetwork } from '../../../raft/memory-transport.ts'
import { RaftNode } from '../../../raft/node.ts'
import { encodeCommand, ObjectStore } from '../../../src/store/object-store.ts'
import type { ApplyResult } from '../../../src/store/types.ts'
import { namespace, pod } from './helpers.ts'

async function until (cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe('ObjectStore under Raft', () => {
  const stops: Array<() => Promise<void>> = []
  afterEach(async () => { for (const s of stops.splice(0)) await s() })

  it('replicates commands to identical stores and catches a lagging follower up by snapshot', async () => {
    const net = new MemoryNetwork()
    const ids = ['a', 'b', 'c']
    const members = await Promise.all(ids.map(async (id) => {
      const store = new ObjectStore()
      const node = new RaftNode({ id, store: new MemoryLogStore(), transport: net.transport(), stateMachine: store, tickMs: 5, bootstrap: ids, snapshotEvery: 10, snapshotRetain: 2 })
      await node.start()
      stops.push(async () => { await node.stop(); await store.close() })
      return { id, node, store }
    }))
    await until(() => members.some((m) => m.node.isLeader))
    const leader = members.find((m) => m.node.isLeader)!
    const first = await leader.node.propose(encodeCommand({ op: 'create', object: namespace('default') }))
    expect((first.result as ApplyResult).ok).toBe(true)

    const lagging = members.find((m) => m !== leader)!
    net.isolate(lagging.id)
    let restores = 0
    const restore = lagging.store.restore.bind(lagging.store)
    lagging.store.restore = async (data) => { restores++; await restore(data) }
    for (let i = 0; i < 30; i++) {
      const r = await leader.node.propose(encodeCommand({ op: 'create', object: pod(`p${i}`) }))
      expect(r.result).toMatchObject({ ok: true, object: { metadata: { resourceVersion: String(r.index) } } })
    }
    const dup = await leader.node.propose(encodeCommand({ op: 'create', object: pod('p0') }))
    expect(dup.result).toMatchObject({ ok: false, error: { reason: 'AlreadyExists' } })
    net.heal()
    await until(() => members.every((m) => m.store.appliedIndex === leader.store.appliedIndex))
    for (const m of members) expect(m.store.snapshot()).toEqual(leader.store.snapshot())
    expect(lagging.store.list('', 'Pod', 'default').items).toHaveLength(30)
    expect(restores).toBeGreaterThan(0)
  })
})
