// The proposal ids of recent entries, so a retried proposal whose first copy committed is not
// applied again. Evicted by log index (every node evicts the same ids at the same point, so
// the window is part of the replicated state and goes into snapshots).
//
// Memory: only a 128-bit hash of each id is kept (id-hash.ts), in typed arrays: a ring of
// (hash, index) records in log order and an open-addressing table from hash to the ring
// position of the latest record with that hash. 40 bytes per id at a full ring instead of
// ~110 (a string, a Map entry and two array slots): 4 MiB for the default 100,000-id window.
//
// Invariants: the ring holds `count` records from `head`, in non-decreasing index order; the
// table holds, for each distinct hash among them, ring position + 1 of its latest record;
// table.length === 2 × ring capacity, a power of two (load at most 1/2, linear probing).

import { hashId } from './id-hash.ts'

/** [id, index] pairs: the snapshot form written before ids were hashed. */
export type IdPairs = ReadonlyArray<readonly [string, number]>

/** Bytes per record in encode(): four uint32 hash words and a float64 index, little-endian. */
const RECORD_BYTES = 24
const INITIAL_CAPACITY = 1024

export class RecentIds {
  private capacity = INITIAL_CAPACITY
  private hashes = new Uint32Array(INITIAL_CAPACITY * 4)
  private indexes = new Float64Array(INITIAL_CAPACITY)
  private table = new Int32Array(INITIAL_CAPACITY * 2)
  private head = 0
  private count = 0
  private readonly probe = new Uint32Array(4)

  /** Ids held. */
  get size (): number {
    return this.count
  }

  /** Index of the latest entry that carried `id`, if it is still in the window. */
  get (id: string): number | undefined {
    hashId(id, this.probe)
    const slot = this.find(this.probe, 0)
    if (slot < 0) return undefined
    return this.indexes[(this.table[slot] as number) - 1]
  }

  /** Record `id` as carried by the entry at `index` (indexes come in log order). */
  add (id: string, index: number): void {
    hashId(id, this.probe)
    this.addHash(this.probe, 0, index)
  }

  /** Forget ids of entries at or below `index`. */
  evictThrough (index: number): void {
    const mask = this.capacity - 1
    while (this.count > 0 && (this.indexes[this.head] as number) <= index) {
      const slot = this.find(this.hashes, this.head * 4)
      // A later entry may carry the same id again (a retry): keep that one.
      if (slot >= 0 && this.table[slot] === this.head + 1) this.removeSlot(slot)
      this.head = (this.head + 1) & mask
      this.count--
    }
  }

  /** The window as bytes, oldest first (the snapshot form): RECORD_BYTES per id. */
  encode (): Uint8Array {
    const out = new Uint8Array(this.count * RECORD_BYTES)
    const view = new DataView(out.buffer)
    for (let i = 0; i < this.count; i++) {
      const pos = (this.head + i) & (this.capacity - 1)
      const at = i * RECORD_BYTES
      for (let w = 0; w < 4; w++) view.setUint32(at + w * 4, this.hashes[pos * 4 + w] as number, true)
      view.setFloat64(at + 16, this.indexes[pos] as number, true)
    }
    return out
  }

  /** Replace everything with a snapshot's window: encode()'s bytes, or [id, index] pairs from an older snapshot. */
  restore (ids: Uint8Array | IdPairs): void {
    this.clear()
    if (!(ids instanceof Uint8Array)) {
      for (const [id, index] of ids) this.add(id, index)
      return
    }
    if (ids.length % RECORD_BYTES !== 0) throw new Error(`A snapshot's proposal ids hold ${ids.length} bytes, not a multiple of ${RECORD_BYTES}: the snapshot is damaged`)
    const view = new DataView(ids.buffer, ids.byteOffset, ids.byteLength)
    const words = new Uint32Array(4)
    for (let at = 0; at < ids.length; at += RECORD_BYTES) {
      for (let w = 0; w < 4; w++) words[w] = view.getUint32(at + w * 4, true)
      this.addHash(words, 0, view.getFloat64(at + 16, true))
    }
  }

  private clear (): void {
    this.capacity = INITIAL_CAPACITY
    this.hashes = new Uint32Array(INITIAL_CAPACITY * 4)
    this.indexes = new Float64Array(INITIAL_CAPACITY)
    this.table = new Int32Array(INITIAL_CAPACITY * 2)
    this.head = 0
    this.count = 0
  }

  private addHash (words: Uint32Array, at: number, index: number): void {
    if (this.count === this.capacity) this.grow()
    const pos = (this.head + this.count) & (this.capacity - 1)
    for (let w = 0; w < 4; w++) this.hashes[pos * 4 + w] = words[at + w] as number
    this.indexes[pos] = index
    this.count++
    const slot = this.find(words, at)
    this.table[slot >= 0 ? slot : -slot - 1] = pos + 1
  }

  /** Table slot holding the hash at words[at..at+3], or -(empty slot where it would go) - 1. */
  private find (words: Uint32Array, at: number): number {
    const mask = this.table.length - 1
    for (let slot = (words[at] as number) & mask; ; slot = (slot + 1) & mask) {
      const entry = this.table[slot] as number
      if (entry === 0) return -slot - 1
      const pos = (entry - 1) * 4
      if (this.hashes[pos] === words[at] && this.hashes[pos + 1] === words[at + 1] &&
        this.hashes[pos + 2] === words[at + 2] && this.hashes[pos + 3] === words[at + 3]) return slot
    }
  }

  /** Empty `slot`, moving later entries of its probe run back so every lookup still finds them. */
  private removeSlot (slot: number): void {
    const mask = this.table.length - 1
    let hole = slot
    for (let next = (hole + 1) & mask; this.table[next] !== 0; next = (next + 1) & mask) {
      const home = (this.hashes[((this.table[next] as number) - 1) * 4] as number) & mask
      // The entry at `next` may move into the hole unless its home lies cyclically in (hole, next].
      const inRun = hole <= next ? home > hole && home <= next : home > hole || home <= next
      if (inRun) continue
      this.table[hole] = this.table[next] as number
      hole = next
    }
    this.table[hole] = 0
  }

  /** Double the ring and the table; records keep their order, the table is rebuilt oldest first (so the latest of equal hashes wins). */
  private grow (): void {
    const { hashes, indexes, head, count, capacity } = this
    this.capacity = capacity * 2
    this.hashes = new Uint32Array(this.capacity * 4)
    this.indexes = new Float64Array(this.capacity)
    this.table = new Int32Array(this.capacity * 2)
    this.head = 0
    this.count = 0
    for (let i = 0; i < count; i++) {
      const pos = (head + i) & (capacity - 1)
      this.addHash(hashes, pos * 4, indexes[pos] as number)
    }
  }
}
