// The node's log as the core sees it: a snapshot point, then contiguous entries.
//
// Invariants (asserted):
//   entries[i].index === firstIndex + i
//   firstIndex <= snapshotIndex + 1          (entries cover everything after the snapshot)
//   snapshotIndex <= commit <= lastIndex()
//   stable <= lastIndex()                    (entries above `stable` are not yet on disk)

import type { Entry } from './types.ts'

/** Size of the buffers entry data is packed into: above glibc's mmap threshold (128 KiB). */
const SLAB_BYTES = 256 * 1024

export class RaftLog {
  /** Last index covered by the snapshot (lastIncludedIndex) and its term. */
  snapshotIndex: number
  snapshotTerm: number
  /** Index of entries[0]. Entries below it were compacted away. */
  firstIndex: number
  entries: Entry[]
  /** Highest index known to be committed (§5.3). */
  commit: number
  /** Highest index known to be durable on this node's disk. */
  stable: number
  /** Where packData puts entry data (see reserve), and how much of it is used. */
  private slab: Uint8Array | null = null
  private slabUsed = 0

  constructor (snapshotIndex: number, snapshotTerm: number, entries: Entry[], commit: number) {
    this.snapshotIndex = snapshotIndex
    this.snapshotTerm = snapshotTerm
    this.entries = entries
    this.firstIndex = entries[0]?.index ?? snapshotIndex + 1
    for (let i = 0; i < entries.length; i++) {
      assert((entries[i] as Entry).index === this.firstIndex + i, 'entries are contiguous')
    }
    assert(this.firstIndex <= snapshotIndex + 1, 'entries cover everything after the snapshot')
    // Drop entries the snapshot already covers only if they cannot serve followers; keep them otherwise.
    this.commit = Math.max(commit, snapshotIndex)
    if (this.commit > this.lastIndex()) this.commit = this.lastIndex()
    this.stable = this.lastIndex()
  }

  lastIndex (): number {
    return this.entries.length > 0 ? this.firstIndex + this.entries.length - 1 : this.snapshotIndex
  }

  lastTerm (): number {
    return this.term(this.lastIndex()) ?? 0
  }

  /** Term of the entry at `index`, or undefined if compacted away or beyond the end. */
  term (index: number): number | undefined {
    if (index === 0) return 0
    if (index >= this.firstIndex && index <= this.lastIndex()) return (this.entries[index - this.firstIndex] as Entry).term
    if (index === this.snapshotIndex) return this.snapshotTerm
    if (index === this.firstIndex - 1 && this.firstIndex - 1 === this.snapshotIndex) return this.snapshotTerm
    return undefined
  }

  matchTerm (index: number, term: number): boolean {
    return this.term(index) === term
  }

  entry (index: number): Entry | undefined {
    if (index < this.firstIndex || index > this.lastIndex()) return undefined
    return this.entries[index - this.firstIndex]
  }

  /** Entries in [lo, hi] (inclusive), at most `maxBytes` of data (always at least one). */
  slice (lo: number, hi: number, maxBytes = Infinity): Entry[] {
    if (lo > hi) return []
    assert(lo >= this.firstIndex && hi <= this.lastIndex(), `slice [${lo}, ${hi}] within [${this.firstIndex}, ${this.lastIndex()}]`)
    const out = this.entries.slice(lo - this.firstIndex, hi - this.firstIndex + 1)
    if (maxBytes === Infinity) return out
    let size = 0
    for (let i = 0; i < out.length; i++) {
      size += (out[i] as Entry).data.length + 16
      if (size > maxBytes && i > 0) return out.slice(0, i)
    }
    return out
  }

  /** Append the leader's own new entries. */
  appendNew (entries: readonly Entry[]): void {
    for (const e of entries) {
      assert(e.index === this.lastIndex() + 1, 'appendNew is contiguous')
      this.entries.push(e)
    }
  }

  /**
   * AppendEntries receiver rules 3 and 4 (Figure 2): delete conflicting entries and all that
   * follow, append new ones. Entries the log already has are left alone, so a stale, shorter
   * AppendEntries never truncates (§5.3 log matching). Returns the last index of the new
   * entries, or null when (prevIndex, prevTerm) does not match.
   */
  maybeAppend (prevIndex: number, prevTerm: number, entries: readonly Entry[]): number | null {
    if (!this.matchTerm(prevIndex, prevTerm)) return null
    const lastNew = prevIndex + entries.length
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as Entry
      const existing = this.term(e.index)
      if (existing === e.term) continue
      if (e.index <= this.snapshotIndex) continue // covered by our snapshot: committed, cannot conflict
      assert(e.index > this.commit, `conflict at ${e.index} is above commit ${this.commit}`)
      this.truncateFrom(e.index)
      for (let j = i; j < entries.length; j++) this.entries.push(entries[j] as Entry)
      break
    }
    return lastNew
  }

  /** Remove entries with index >= `index` (never committed ones). */
  private truncateFrom (index: number): void {
    assert(index > this.commit, 'never truncate committed entries')
    if (index <= this.lastIndex()) this.entries.length = index - this.firstIndex
    if (this.stable >= index) this.stable = index - 1
  }

  commitTo (index: number): void {
    if (index > this.commit) {
      assert(index <= this.lastIndex(), `commit ${index} beyond last index ${this.lastIndex()}`)
      this.commit = index
    }
  }

  /** Entries in the log that are not yet durable. */
  unstable (): Entry[] {
    if (this.stable >= this.lastIndex()) return []
    return this.entries.slice(this.stable + 1 - this.firstIndex)
  }

  /** Mark durable up to the highest of `entries` that the log still holds unchanged. */
  stableTo (entries: readonly Entry[]): void {
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i] as Entry
      if (this.matchTerm(e.index, e.term)) {
        if (e.index > this.stable) {
          this.packData(this.stable + 1, e.index)
          this.stable = e.index
        }
        return
      }
    }
  }

  /**
   * Give the entries from..to (in the log) one buffer of their own holding exactly their data.
   * Why: an entry's data is mostly a view into a far larger buffer (the network frame it came
   * in, msgpackr's shared pack buffer), which stays alive while any entry in the log points
   * into it: measured ~4 KiB held per ~300-byte entry. The log keeps entries until the next
   * snapshot, tens of thousands of them; packed, they hold their own size plus one buffer per
   * batch. Entries are replaced, not changed: whoever holds the old objects keeps them as they were.
   */
  private packData (from: number, to: number): void {
    const start = Math.max(from, this.firstIndex) - this.firstIndex
    const end = to - this.firstIndex
    let bytes = 0
    for (let i = start; i <= end; i++) bytes += (this.entries[i] as Entry).data.length
    if (bytes === 0) return
    const slab = this.reserve(bytes)
    let at = slab.byteOffset
    for (let i = start; i <= end; i++) {
      const e = this.entries[i] as Entry
      if (e.data.length === 0) continue
      const data = new Uint8Array(slab.buffer, at, e.data.length)
      data.set(e.data)
      this.entries[i] = { ...e, data }
      at += e.data.length
    }
  }

  /**
   * `bytes` of room for packed entry data: the rest of the current slab, or a new one.
   * Why slabs of SLAB_BYTES, not a buffer per batch: a buffer of a few KiB comes from the
   * malloc heap, lives until the next snapshot, and so pins the heap pages around it, among
   * which the short-lived buffers of network reads and msgpack come and go; a slab is large
   * enough to get a mapping of its own, returned to the system when its entries are gone.
   */
  private reserve (bytes: number): Uint8Array {
    if (bytes > SLAB_BYTES / 4) return new Uint8Array(bytes)
    if (this.slab === null || this.slabUsed + bytes > this.slab.length) {
      this.slab = new Uint8Array(SLAB_BYTES)
      this.slabUsed = 0
    }
    const room = this.slab.subarray(this.slabUsed, this.slabUsed + bytes)
    this.slabUsed += bytes
    return room
  }

  /**
   * Largest index <= `index` whose term is <= `term` (used by both sides of the fast
   * back-off: the follower to build its hint, the leader to pick the next probe).
   */
  findConflictByTerm (index: number, term: number): number {
    let i = Math.min(index, this.lastIndex())
    for (; i >= this.firstIndex; i--) {
      if ((this.entries[i - this.firstIndex] as Entry).term <= term) return i
    }
    return Math.min(i, this.snapshotIndex)
  }

  /** Replace everything with a snapshot received from the leader. */
  restore (index: number, term: number): void {
    this.snapshotIndex = index
    this.snapshotTerm = term
    this.entries = []
    this.firstIndex = index + 1
    this.commit = index
    this.stable = index
  }

  /** A local snapshot at `index`; drop entries up to `throughIndex` (<= index). */
  compact (index: number, term: number, throughIndex: number): void {
    assert(index <= this.commit, 'snapshot only committed state')
    assert(throughIndex <= index, 'compact through at most the snapshot index')
    this.snapshotIndex = index
    this.snapshotTerm = term
    if (throughIndex >= this.firstIndex) {
      this.entries = this.entries.slice(throughIndex + 1 - this.firstIndex)
      this.firstIndex = throughIndex + 1
    }
  }

  /** Is a log ending at (lastIndex, lastTerm) at least as up-to-date as ours? (§5.4.1) */
  isUpToDate (lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm()
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex())
  }
}

export function assert (cond: boolean, what: string): asserts cond {
  if (!cond) throw new Error(`Raft invariant violated: ${what}`)
}
