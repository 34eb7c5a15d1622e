// The API's way into the cluster: writes go through Raft (proposed here when this agent
// leads, forwarded to the leader on the Raft stream otherwise: RaftNode.submit) and answer
// after this agent's own replica has applied them, so a client reads its own writes from the
// agent it talks to. Every write carries a proposal id, so a retry after a lost answer applies
// once. The rpc method below still serves forwards sent that way: by older agents, and by
// this one when the leader drops the Raft stream's forwards (cluster-service.ts, proposeByRpc).

import { randomUUID } from 'node:crypto'
import type { RaftNode } from '../../raft/node.ts'
import type { ApiBackend } from '../api/backend.ts'
import { encodeCommand } from '../store/object-store.ts'
import type { ApplyResult, KObject, ObjectReader, StoreCommand } from '../store/types.ts'

export const PROPOSE_METHOD = 'cluster.propose'

/**
 * What the leader answers a forwarded proposal with: where it landed. The follower takes the
 * result from its own replica's apply of that entry (deterministic, so the same), which spares
 * packing the object on the leader and unpacking it here.
 */
export interface ForwardedResult {
  index: number
  /** Only when the follower cannot know it (older agents always sent it). */
  result?: ApplyResult
  duplicateOf?: number
}

/** Names of errors (local or carried by RpcError) after which a write may be retried elsewhere. */
const RETRYABLE = new Set([
  'NotLeaderError', 'LeadershipLostError', 'TransferInProgressError', 'ProposalQueueFullError',
  'PeerUnreachableError', 'NotInClusterError', 'NetStoppedError', 'ConfChangeInProgressError'
])

export function isRetryable (err: unknown): boolean {
  const e = err as { name?: string, remoteName?: string }
  return RETRYABLE.has(e.name ?? '') || RETRYABLE.has(e.remoteName ?? '')
}

export interface AgentBackendComponents {
  raft: RaftNode
  reader: ObjectReader
}

export class AgentBackend implements ApiBackend {
  readonly reader: ObjectReader
  private readonly raft: RaftNode

  constructor (c: AgentBackendComponents, private readonly defaultTimeoutMs = 30_000) {
    this.raft = c.raft
    this.reader = c.reader
  }

  now (): string { return new Date().toISOString() }
  newUid (): string { return randomUUID() }

  async write (cmd: StoreCommand, signal?: AbortSignal): Promise<ApplyResult> {
    const sig = signal ?? AbortSignal.timeout(this.defaultTimeoutMs)
    const data = encodeCommand(cmd)
    const id = randomUUID()
    const out = await this.retrying(sig, async () => await this.proposeAnywhere(data, id, sig))
    if (out.result !== undefined) return out.result
    // A retry of a write that had already applied: answer with what it left behind.
    return { ok: true, object: this.afterDuplicate(cmd) }
  }

  async linearize (signal?: AbortSignal): Promise<void> {
    const sig = signal ?? AbortSignal.timeout(this.defaultTimeoutMs)
    await this.retrying(sig, async () => await this.raft.readIndex({ signal: sig }))
  }

  /** Serve a proposal forwarded by a follower (leader only). */
  async serveForwarded (req: { data: Uint8Array, id: string }, signal: AbortSignal): Promise<ForwardedResult> {
    const r = await this.raft.propose(new Uint8Array(req.data), { id: req.id, signal })
    return { index: r.index, ...(r.duplicateOf !== undefined ? { duplicateOf: r.duplicateOf } : {}) }
  }

  private async proposeAnywhere (data: Uint8Array, id: string, signal: AbortSignal): Promise<ForwardedResult> {
    const r = await this.raft.submit(data, { id, signal })
    // A duplicate (a retry whose first copy applied) carries no result: afterDuplicate reads it.
    return r.duplicateOf !== undefined ? { index: r.index, duplicateOf: r.duplicateOf } : { index: r.index, result: r.result as ApplyResult | undefined }
  }

  /** Run `fn` until it succeeds, the error is not retryable, or the signal fires. */
  private async retrying<T> (signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn()
      } catch (err) {
        if (!isRetryable(err) || signal.aborted) throw err
        await sleep(Math.min(10 * 2 ** attempt, 200), signal)
        if (signal.aborted) throw err
      }
    }
  }

  private afterDuplicate (cmd: StoreCommand): KObject {
    if (cmd.op === 'create' || cmd.op === 'update') {
      const m = cmd.object.metadata
      const ref = { group: groupOf(cmd.object.apiVersion), kind: cmd.object.kind, namespace: m.namespace ?? '', name: m.name }
      return this.reader.get(ref) ?? cmd.object
    }
    if (cmd.op === 'delete') {
      return { apiVersion: 'v1', kind: cmd.ref.kind, metadata: { name: cmd.ref.name, ...(cmd.ref.namespace !== '' ? { namespace: cmd.ref.namespace } : {}) } }
    }
    return { apiVersion: 'v1', kind: 'Status', metadata: { name: '' } }
  }
}

function groupOf (apiVersion: string): string {
  const slash = apiVersion.indexOf('/')
  return slash < 0 ? '' : apiVersion.slice(0, slash)
}

async function sleep (ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(t)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const t = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}
