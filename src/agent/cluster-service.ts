// The agent's rpc methods (over /flotilla/rpc/1.0.0):
//   cluster.propose  a follower forwards a write to the leader: how older agents forward every
//                    write, and this agent's fallback when the leader drops the Raft stream's
//                    'propose' messages (an older leader during a rolling upgrade; proposeByRpc)
//   cluster.join     a new agent asks to join; any member forwards it to the leader, which
//                    registers the agent's Node (its addresses) and adds it as a learner
//   cluster.status   the leader's view of membership and health
// The leader answers; a follower forwards to the leader it knows.

import { createHash, timingSafeEqual } from 'node:crypto'
import type { Rpc } from '../../net/index.ts'
import type { RaftNode, RaftNodeOptions } from '../../raft/node.ts'
import type { ObjectReader } from '../store/types.ts'
import { PROPOSE_METHOD, type AgentBackend, type ForwardedResult } from './api-backend.ts'
import { upsertNode, type NodeIdentity } from './node-object.ts'

export const JOIN_METHOD = 'cluster.join'
export const STATUS_METHOD = 'cluster.status'
export const PEERS_METHOD = 'cluster.peers'

export interface JoinRequest extends NodeIdentity {
  /** sha256 of the API token from the join token, hex. */
  tokenDigest: string
}

export interface JoinAnswer {
  clusterId: string
  members: Array<{ peerId: string, addresses: string[] }>
}

export interface ClusterStatus {
  leader: string | null
  term: number
  commitIndex: number
  members: Array<{ name: string, peerId: string, role: 'voter' | 'learner', healthy: boolean }>
}

/** A join request with a token of another cluster. */
export class JoinRefusedError extends Error {
  override readonly name = 'JoinRefusedError'
}

/** How long a fallback forward waits for the leader's answer (it answers once the write applied) before the resend timer tries again. */
const PROPOSE_RPC_TIMEOUT_MS = 5_000

/** RaftNode's forwardFallback: the leader's cluster.propose, which every agent version serves. */
export function proposeByRpc (rpc: Rpc): NonNullable<RaftNodeOptions['forwardFallback']> {
  return async (leader, p) => await rpc.call(leader, PROPOSE_METHOD, { data: p.data, id: p.id }, { signal: AbortSignal.timeout(PROPOSE_RPC_TIMEOUT_MS) }) as ForwardedResult
}

export function tokenDigest (token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

export interface ClusterServiceComponents {
  rpc: Rpc
  raft: RaftNode
  backend: AgentBackend
  reader: ObjectReader
  apiToken: string
  clusterId: string
  healthy: (peer: string) => boolean
  nameOf: (peer: string) => string | undefined
  addressesOf: (peer: string) => string[]
  /** Every address this agent knows for a peer (its Node and what libp2p learnt), for peer lists. */
  knownAddressesOf: (peer: string) => Promise<string[]>
  log: (line: string) => void
}

export class ClusterService {
  constructor (private readonly c: ClusterServiceComponents) {}

  start (): void {
    const { rpc } = this.c
    rpc.handle(PROPOSE_METHOD, async (req, _from, signal) => {
      return await this.c.backend.serveForwarded(req as { data: Uint8Array, id: string }, signal)
    })
    rpc.handle(JOIN_METHOD, async (req, from, signal) => await this.join(req as JoinRequest, from, signal))
    rpc.handle(STATUS_METHOD, async (_req, _from, signal) => await this.status(signal))
    // A member that cannot reach some peers asks the ones it can reach where they are.
    rpc.handle(PEERS_METHOD, async (req) => {
      const peers = Array.isArray((req as { peers?: unknown }).peers) ? (req as { peers: unknown[] }).peers.filter((p): p is string => typeof p === 'string').slice(0, 64) : []
      return Object.fromEntries(await Promise.all(peers.map(async (p) => [p, await this.c.knownAddressesOf(p)] as const)))
    })
  }

  stop (): void {
    for (const m of [PROPOSE_METHOD, JOIN_METHOD, STATUS_METHOD, PEERS_METHOD]) this.c.rpc.unhandle(m)
  }

  async join (req: JoinRequest, from: string, signal: AbortSignal): Promise<JoinAnswer> {
    const expected = Buffer.from(tokenDigest(this.c.apiToken), 'hex')
    const given = Buffer.from(String(req.tokenDigest ?? ''), 'hex')
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      this.c.log(`refused a join from ${from}: its join token is not this cluster's`)
      throw new JoinRefusedError('The join token does not belong to this cluster: copy DIR/join-token from one of its agents')
    }
    const { raft } = this.c
    if (!raft.isLeader) {
      const leader = raft.leaderId
      if (leader === null) throw Object.assign(new Error('No leader right now: retry the join shortly'), { name: 'NotLeaderError' })
      return await this.c.rpc.call(leader, JOIN_METHOD, req, { signal }) as JoinAnswer
    }
    await upsertNode(this.c.backend, this.c.reader, req, signal)
    const s = raft.status()
    if (!s.voters.includes(req.peerId) && !s.learners.includes(req.peerId)) {
      for (;;) {
        try {
          await raft.proposeConfChange({ type: 'addLearner', node: req.peerId }, { signal })
          break
        } catch (err) {
          if ((err as Error).name !== 'ConfChangeInProgressError' || signal.aborted) throw err
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
      }
      this.c.log(`${req.name} (${req.peerId}) joined as a learner`)
    }
    const after = raft.status()
    return {
      clusterId: this.c.clusterId,
      members: [...after.voters, ...after.learners].map((peerId) => ({ peerId, addresses: this.c.addressesOf(peerId) }))
    }
  }

  /** The leader's view; a follower asks the leader, or answers with what it knows if there is none. */
  async status (signal: AbortSignal): Promise<ClusterStatus> {
    const { raft } = this.c
    const leader = raft.leaderId
    if (!raft.isLeader && leader !== null) {
      try {
        return await this.c.rpc.call(leader, STATUS_METHOD, {}, { signal }) as ClusterStatus
      } catch {
        // Fall through to the local view.
      }
    }
    const s = raft.status()
    const name = (peer: string): string => this.c.nameOf(peer) ?? peer
    const member = (peerId: string, role: 'voter' | 'learner'): ClusterStatus['members'][number] => ({
      name: name(peerId), peerId, role, healthy: raft.isLeader ? this.c.healthy(peerId) : peerId === raft.id
    })
    return {
      leader: s.leader === null ? null : name(s.leader),
      term: s.term,
      commitIndex: s.commit,
      members: [...s.voters.map((p) => member(p, 'voter')), ...s.learners.map((p) => member(p, 'learner'))]
        .sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
    }
  }
}
