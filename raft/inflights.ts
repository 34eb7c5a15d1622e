// A bounded window of AppendEntries in flight to one follower, identified by the last
// index each carried. Pipelining sends up to `capacity` of them before any answer.

export class Inflights {
  private readonly buffer: number[] = []

  constructor (readonly capacity: number) {}

  get count (): number { return this.buffer.length }

  full (): boolean { return this.buffer.length >= this.capacity }

  /** Record a message whose last entry has index `lastIndex`; indexes only grow. */
  add (lastIndex: number): void {
    if (this.full()) throw new Error('Inflights.add on a full window')
    this.buffer.push(lastIndex)
  }

  /** The follower acknowledged everything up to `index`: free those slots. */
  freeLE (index: number): void {
    let i = 0
    while (i < this.buffer.length && (this.buffer[i] as number) <= index) i++
    if (i > 0) this.buffer.splice(0, i)
  }

  /** Free the oldest slot: a heartbeat answered, so the window must not stay stuck on lost messages. */
  freeFirst (): void {
    this.buffer.shift()
  }

  reset (): void { this.buffer.length = 0 }
}
