// Which pods wait for a placement: the active queue (to try, oldest first, each key once) and
// the unschedulable set (tried, fit nowhere, waiting for a change in the cluster that may let
// them fit — then all of them move back to the active queue at once). Keys, not objects: a
// pod is read afresh when its turn comes (level-triggered).

export class SchedulingQueue {
  private readonly active = new Set<string>()
  private readonly unschedulable = new Set<string>()

  get activeCount (): number { return this.active.size }
  get unschedulableCount (): number { return this.unschedulable.size }

  /** Try `key` (again) soon. */
  add (key: string): void {
    this.unschedulable.delete(key)
    this.active.add(key)
  }

  /** `key` fit nowhere: wait for a change. */
  parkUnschedulable (key: string): void {
    this.active.delete(key)
    this.unschedulable.add(key)
  }

  isUnschedulable (key: string): boolean { return this.unschedulable.has(key) }

  has (key: string): boolean { return this.active.has(key) || this.unschedulable.has(key) }

  /** Something changed that may let them fit: try every parked pod again. Returns how many moved. */
  moveAllToActive (): number {
    const n = this.unschedulable.size
    for (const key of this.unschedulable) this.active.add(key)
    this.unschedulable.clear()
    return n
  }

  remove (key: string): void {
    this.active.delete(key)
    this.unschedulable.delete(key)
  }

  /** Take up to `n` keys off the front of the active queue. */
  take (n: number): string[] {
    const out: string[] = []
    for (const key of this.active) {
      if (out.length >= n) break
      out.push(key)
    }
    for (const key of out) this.active.delete(key)
    return out
  }

  clear (): void {
    this.active.clear()
    this.unschedulable.clear()
  }
}
