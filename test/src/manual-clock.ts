// A Clock for unit tests: time moves only when the test says so, and timers fire in due
// order during advance(). Named for what it is: a fake, for tests only.

import type { CancelTimer, Clock } from '../../src/controllers/clock.ts'

interface Timer { at: number, seq: number, fn: () => void }

export class ManualClock implements Clock {
  private t = 0
  private seq = 0
  private timers: Timer[] = []

  now (): number { return this.t }

  setTimeout (fn: () => void, ms: number): CancelTimer {
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn }
    this.timers.push(timer)
    return () => { this.timers = this.timers.filter((x) => x !== timer) }
  }

  /** Timers not yet fired. */
  get pending (): number { return this.timers.length }

  /** Move time forward by `ms`, firing every timer that comes due, in order (also ones set while advancing). */
  advance (ms: number): void {
    const end = this.t + ms
    for (;;) {
      const next = this.timers.reduce<Timer | undefined>((a, b) => a === undefined || b.at < a.at || (b.at === a.at && b.seq < a.seq) ? b : a, undefined)
      if (next === undefined || next.at > end) break
      this.timers = this.timers.filter((x) => x !== next)
      this.t = next.at
      next.fn()
    }
    this.t = end
  }
}
