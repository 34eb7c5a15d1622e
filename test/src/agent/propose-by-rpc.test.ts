// The fallback a follower forwards writes by when the leader drops the Raft stream's 'propose'
// messages (an older leader in a rolling upgrade): the leader's cluster.propose rpc, as every
// agent version serves it. Real hosts; the leader's backend is a named fake that records what
// it was asked to propose.

import { afterEach, describe, expect, it } from 'vitest'
import { generateClusterKey } from '../../../net/cluster-key.ts'
import { Rpc } from '../../../net/rpc.ts'
import type { AgentBackend, ForwardedResult } from '../../../src/agent/api-backend.ts'
import { ClusterService, proposeByRpc, type ClusterServiceComponents } from '../../../src/agent/cluster-service.ts'
import { HostTracker, LogCapture } from '../../net/helpers.ts'

/** The leader side: what serveForwarded was handed, answered as a leader that appended it at 12. */
class RecordingBackend {
  readonly seen: Array<{ data: Uint8Array, id: string }> = []
  async serveForwarded (req: { data: Uint8Array, id: string }): Promise<ForwardedResult> {
    this.seen.push({ data: new Uint8Array(req.data), id: req.id })
    return await Promise.resolve({ index: 12 })
  }
}

describe('proposeByRpc', () => {
  const hosts = new HostTracker()
  const stops: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const s of stops.splice(0)) await s()
    await hosts.stopAll()
  })

  it("hands a forwarded proposal to the leader's cluster.propose and returns where it landed", async () => {
    const key = generateClusterKey()
    const log = new LogCapture()
    const [follower, leader] = await Promise.all([hosts.create({ clusterKey: key, log: log.log }), hosts.create({ clusterKey: key, log: log.log })])
    await follower.addAddresses(leader.peerId, leader.listenAddresses)
    const followerRpc = new Rpc({ host: follower }, { log: log.log })
    const leaderRpc = new Rpc({ host: leader }, { log: log.log })
    for (const r of [followerRpc, leaderRpc]) {
      await r.start()
      stops.push(async () => { await r.stop() })
    }
    const backend = new RecordingBackend()
    // Only the rpc and the backend take part in serving cluster.propose.
    const service = new ClusterService({ rpc: leaderRpc, backend: backend as unknown as AgentBackend } as unknown as ClusterServiceComponents)
    service.start()
    stops.push(async () => { service.stop() })

    const receipt = await proposeByRpc(followerRpc)(leader.peerId, { data: new Uint8Array([1, 2, 3]), id: 'w-1' })
    expect(receipt).toEqual({ index: 12 })
    expect(backend.seen).toEqual([{ data: new Uint8Array([1, 2, 3]), id: 'w-1' }])
  })
})
