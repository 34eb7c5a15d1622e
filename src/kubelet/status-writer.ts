// Coalesced pod status writes. A sync hands over the status it wants; nothing is written if it
// equals the stored one. Statuses handed over while a write is in flight wait and go together
// in the next batch (one Raft entry for many pods), and only the newest status of a pod is
// written. Each update carries the resourceVersion the status was computed from: if the pod
// changed meanwhile (Conflict) or the write failed, the pod is synced again instead.

import type { ApiBackend } from '../api/backend.ts'
import type { PodStatus } from '../objects/pod.ts'
import { deepEqual } from '../store/deep.ts'
import type { ApplyResult, KObject, StoreCommand } from '../store/types.ts'

interface Written { status: PodStatus, generation: number | undefined, deletionTimestamp: string | undefined }

export class PodStatusWriter {
  private pending = new Map<string, StoreCommand>()
  /** The last status handed over per pod uid, with the spec generation it was computed from. */
  private readonly written = new Map<string, Written>()
  private writing = false
  private scheduled = false

  constructor (
    private readonly backend: ApiBackend,
    /** Called with the uid of a pod whose write did not go through: sync it again. */
    private readonly retry: (uid: string) => void,
    private readonly log: (line: string) => void
  ) {}

  /** Write `status` for `pod` (as read by the sync) unless it already shows it. */
  set (pod: KObject, status: PodStatus): void {
    const uid = pod.metadata.uid ?? ''
    if (deepEqual(pod.status, status)) {
      this.pending.delete(uid)
      return
    }
    this.pending.set(uid, { op: 'update', subresource: 'status', object: { ...pod, status } })
    this.written.set(uid, { status, generation: pod.metadata.generation, deletionTimestamp: pod.metadata.deletionTimestamp })
    this.schedule()
  }

  /**
   * True if `pod` differs from what the last sync saw only by the status this writer wrote: the
   * watch event of our own write, which needs no sync (it would only list the runtime again).
   */
  isEcho (pod: KObject): boolean {
    const w = this.written.get(pod.metadata.uid ?? '')
    return w !== undefined && w.generation === pod.metadata.generation && w.deletionTimestamp === pod.metadata.deletionTimestamp && deepEqual(w.status, pod.status)
  }

  forget (uid: string): void {
    this.written.delete(uid)
    this.pending.delete(uid)
  }

  /** Resolves once nothing is pending or in flight (for tests and shutdown). */
  async flushed (): Promise<void> {
    while (this.writing || this.pending.size > 0 || this.scheduled) await new Promise((resolve) => setImmediate(resolve))
  }

  private schedule (): void {
    if (this.writing || this.scheduled) return
    this.scheduled = true
    queueMicrotask(() => {
      this.scheduled = false
      void this.flush()
    })
  }

  private async flush (): Promise<void> {
    if (this.writing || this.pending.size === 0) return
    this.writing = true
    const batch = this.pending
    this.pending = new Map()
    const uids = [...batch.keys()]
    const commands = [...batch.values()]
    try {
      const r = await this.backend.write(commands.length === 1 ? commands[0] as StoreCommand : { op: 'batch', commands })
      const results: ApplyResult[] = 'results' in r ? r.results : [r]
      results.forEach((res, i) => {
        if ('error' in res && res.error.reason !== 'NotFound') this.retry(uids[i] as string)
      })
    } catch (err) {
      this.log(`kubelet: pod status write failed (will retry): ${(err as Error).message}`)
      for (const uid of uids) this.retry(uid)
    } finally {
      this.writing = false
    }
    if (this.pending.size > 0) this.schedule()
  }
}
