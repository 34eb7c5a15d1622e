// The proposal ids of recent entries, so a retried proposal whose first copy committed is not
// applied again. Evicted by log index (every node evicts the same ids at the same point, so
// the window is part of the replicated state and goes into snapshots).
//
// Memory and time: up to a window of ids (100,000 by default) are held. Two parallel arrays and
// a head offset instead of an array of [id, index] pairs: no small array per id (~64 bytes each),
// and eviction moves a head instead of shifting the whole array on every apply.
//
// Invariant: ids[head..] and indexes[head..] are in non-decreasing index order, and byId maps
// each id to the index of its latest entry among them.

export class RecentIds {
  private ids: string[] = []
  private indexes: number[] = []
  private head = 0
  private readonly byId = new Map<string, number>()

  /** Ids held. */
  get size (): number {
    return this.ids.length - this.head
  }

  /** Index of the entry that carried `id`, if it is still in the window. */
  get (id: string): number | undefined {
    return this.byId.get(id)
  }

  /** Record `id` as carried by the entry at `index` (indexes come in log order). */
  add (id: string, index: number): void {
    this.byId.set(id, index)
    this.ids.push(id)
    this.indexes.push(index)
  }

  /** Forget ids of entries at or below `index`. */
  evictThrough (index: number): void {
    let head = this.head
    while (head < this.indexes.length && (this.indexes[head] as number) <= index) {
      const id = this.ids[head] as string
      // A later entry may carry the same id again (a retry): keep that one.
      if (this.byId.get(id) === this.indexes[head]) this.byId.delete(id)
      head++
    }
    this.head = head
    // Drop the evicted prefix once it is at least half the arrays: amortised O(1) per id.
    if (head > 1024 && head * 2 >= this.ids.length) {
      this.ids = this.ids.slice(head)
      this.indexes = this.indexes.slice(head)
      this.head = 0
    }
  }

  /** [id, index] pairs, oldest first (the snapshot form). */
  entries (): Array<[string, number]> {
    const out: Array<[string, number]> = new Array(this.size)
    for (let i = this.head; i < this.ids.length; i++) out[i - this.head] = [this.ids[i] as string, this.indexes[i] as number]
    return out
  }

  /** Replace everything with `pairs` (oldest first). */
  reset (pairs: ReadonlyArray<readonly [string, number]>): void {
    this.ids = []
    this.indexes = []
    this.head = 0
    this.byId.clear()
    for (const [id, index] of pairs) this.add(id, index)
  }
}
