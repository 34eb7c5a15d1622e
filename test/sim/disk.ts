// A node's simulated disk. Writes (a Ready's snapshot, entries and hardState; a local
// compaction) queue in order and each becomes durable only when its completion step comes;
// a crash loses every write not yet complete. load() returns what LogStore.load() would:
// the durable hardState, snapshot and entries. Updates are checked with the same rules as
// the real log stores, so a core that hands out a gap fails here as it would on disk.

import type { Ready } from '../../raft/core.ts'
import { checkCompaction, checkEntries } from '../../raft/memory-log-store.ts'
import type { PersistedState } from '../../raft/log-store.ts'
import type { Entry, HardState, Snapshot } from '../../raft/types.ts'
import { EMPTY_HARD_STATE } from '../../raft/types.ts'

export type DiskWrite =
  | { readonly kind: 'ready', readonly rd: Ready, readonly at: number }
  | { readonly kind: 'compact', readonly snapshot: Snapshot, readonly through: number, readonly at: number }

export class SimDisk {
  hardState: HardState = EMPTY_HARD_STATE
  snapshot: Snapshot | null = null
  /** Contiguous, ascending; entries[0].index is just past the last compaction point. */
  entries: Entry[] = []
  private pending: DiskWrite[] = []
  /** Test-only defect: drop the vote from every stored hardState. */
  forgetVote = false

  /** Queue a write; writes complete in order, so `at` is pushed past the previous one. */
  write (w: DiskWrite): DiskWrite {
    const last = this.pending[this.pending.length - 1]
    const queued = last !== undefined && last.at > w.at ? { ...w, at: last.at } : w
    this.pending.push(queued)
    return queued
  }

  /** Complete the writes due by `now`, oldest first, and return them. */
  complete (now: number): DiskWrite[] {
    let n = 0
    while (n < this.pending.length && (this.pending[n] as DiskWrite).at <= now) n++
    if (n === 0) return []
    const done = this.pending.splice(0, n)
    for (const w of done) this.apply(w)
    return done
  }

  get pendingWrites (): number {
    return this.pending.length
  }

  /** Power loss: every write not yet complete is gone. Returns how many were lost. */
  crash (): number {
    const lost = this.pending.length
    this.pending = []
    return lost
  }

  load (): PersistedState {
    return { hardState: { ...this.hardState }, snapshot: this.snapshot, entries: [...this.entries] }
  }

  lastIndex (): number {
    const last = this.entries[this.entries.length - 1]
    return last !== undefined ? last.index : (this.snapshot?.meta.index ?? 0)
  }

  private firstIndex (): number {
    return this.entries[0]?.index ?? (this.snapshot?.meta.index ?? 0) + 1
  }

  private apply (w: DiskWrite): void {
    if (w.kind === 'compact') {
      const stored = this.snapshot?.meta.index ?? null
      if (!checkCompaction(w.snapshot, w.through, stored, this.lastIndex())) return
      this.snapshot = w.snapshot
      this.entries = this.entries.filter((e) => e.index > w.through)
      return
    }
    const { rd } = w
    if (rd.snapshot !== null) {
      this.snapshot = rd.snapshot
      this.entries = []
    }
    if (rd.entries.length > 0) {
      const first = this.firstIndex()
      const toWrite = checkEntries(rd.entries, first, this.lastIndex())
      const from = toWrite[0]
      if (from !== undefined) this.entries = this.entries.filter((e) => e.index < from.index).concat(toWrite)
    }
    if (rd.hardState !== null) {
      this.hardState = this.forgetVote ? { ...rd.hardState, vote: null } : rd.hardState
    }
  }
}
