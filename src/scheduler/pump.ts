// Runs a step of work soon, never re-entrantly: in a promise job when kicked by a watch event
// (so the events of one apply are taken together), or after pending I/O when the previous
// step did work and more may remain (so a long burst yields to Raft traffic and ticks between
// steps). Callers can wait until it is idle.

export class Pump {
  private scheduled = false
  private waiters: Array<() => void> = []

  /**
   * `step` does one bounded piece of work and returns true if it did any (then it runs again
   * after I/O); `isIdle` says whether nothing is left to do or waiting to finish.
   */
  constructor (private readonly step: () => boolean, private readonly isIdle: () => boolean) {}

  /** A step is scheduled. */
  get pending (): boolean { return this.scheduled }

  kick (afterIo = false): void {
    if (this.scheduled) return
    this.scheduled = true
    const run = (): void => {
      this.scheduled = false
      if (this.step()) this.kick(true)
      else this.wake()
    }
    if (afterIo) setImmediate(run)
    else queueMicrotask(run)
  }

  /** Resolve the idle waiters if it is idle now. */
  wake (): void {
    if (this.scheduled || !this.isIdle()) return
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }

  async idle (): Promise<void> {
    if (!this.scheduled && this.isIdle()) return
    await new Promise<void>((resolve) => { this.waiters.push(resolve) })
  }
}
