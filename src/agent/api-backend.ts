// The API's way into the cluster: writes go through Raft (proposed here when this agent
// leads, forwarded to the leader on the Raft stream otherwise: RaftNode.submit) and answer
// after this agent's own replica has applied them, so a client reads its own writes from the
// agent it talks to. Every write carries a proposal id, so a retry after a lost answer applies
// once. The rpc method below still serves forwards sent that way: by older agents, and by
// this one when the leader drops the Raft stream's forwards (cluster-service.ts, proposeByRpc).

import { randomUUID } from 'node:crypto'
import type { ProposeResult, RaftNode } from '../../raft/node.ts'
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
  /** now(): the second of the cached prefix, and `YYYY-MM-DDTHH:MM:SS.` for it. */
  private isoSecond = NaN
  private isoPrefix = ''

  constructor (c: AgentBackendComponents, private readonly defaultTimeoutMs = 30_000) {
    this.raft = c.raft
    this.reader = c.reader
  }

  /** RFC 3339 with milliseconds, as Date.toISOString (which cost ~2.5 µs per write; its first 20 characters change once a second). */
  now (): string {
    const ms = Date.now()
    const second = Math.floor(ms / 1000)
    if (second !== this.isoSecond) {
      this.isoSecond = second
      this.isoPrefix = new Date(second * 1000).toISOString().slice(0, 20)
    }
    return `${this.isoPrefix}${String(ms - second * 1000).padStart(3, '0')}Z`
  }

  newUid (): string { return randomUUID() }

  /**
   * Without a signal the write (and its retries) is bounded by a deadline checked between
   * attempts, not an AbortSignal.timeout per call (a timer and a signal per write; Raft bounds
   * each attempt by its own deadline).
   */
  async write (cmd: StoreCommand, signal?: AbortSignal): Promise<ApplyResult> {
    const data = encodeCommand(cmd)
    const id = randomUUID()
    const deadline = performance.now() + this.defaultTimeoutMs
    for (let attempt = 0; ; attempt++) {
      let r: ProposeResult
      try {
        r = await this.raft.submit(data, { id, signal })
      } catch (err) {
        await this.beforeRetry(err, attempt, signal, deadline)
        continue
      }
      if (r.duplicateOf === undefined && r.result !== undefined) return r.result as ApplyResult
      // A retry of a write that had already applied: answer with what it left behind.
      return { ok: true, object: this.afterDuplicate(cmd) }
    }
  }

  async linearize (signal?: AbortSignal): Promise<void> {
    const deadline = performance.now() + this.defaultTimeoutMs
    for (let attempt = 0; ; attempt++) {
      try {
        await this.raft.readIndex({ signal })
        return
      } catch (err) {
        await this.beforeRetry(err, attempt, signal, deadline)
      }
    }
  }

  /** Serve a proposal forwarded by a follower (leader only). */
  async serveForwarded (req: { data: Uint8Array, id: string }, signal: AbortSignal): Promise<ForwardedResult> {
    const r = await this.raft.propose(new Uint8Array(req.data), { id: req.id, signal })
    return { index: r.index, ...(r.duplicateOf !== undefined ? { duplicateOf: r.duplicateOf } : {}) }
  }

  /** Waits before another attempt after `err`; throws `err` when it is not retryable, or the signal fired, or the deadline passed. */
  private async beforeRetry (err: unknown, attempt: number, signal: AbortSignal | undefined, deadline: number): Promise<void> {
    if (!isRetryable(err) || isAborted(signal)) throw err
    const left = deadline - performance.now()
    if (signal === undefined && left <= 0) throw err
    await sleep(Math.min(10 * 2 ** attempt, 200, signal === undefined ? left : Infinity), signal)
    if (isAborted(signal)) throw err
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

function isAborted (signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true
}

async function sleep (ms: number, signal: AbortSignal | undefined): Promise<void> {
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const t = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}
