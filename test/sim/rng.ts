// The simulator's only source of randomness: a seeded PRNG with the few helpers the
// simulation needs. Nothing in test/sim may use Math.random, Date or timers, so a seed
// replays exactly.

import { seededRandom } from '../raft/harness.ts'

export class Rng {
  private readonly next: () => number

  constructor (seed: number) {
    this.next = seededRandom(seed)
  }

  /** A float in [0, 1). */
  float (): number {
    return this.next()
  }

  /** An integer in [lo, hi], both inclusive. */
  int (lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }

  chance (p: number): boolean {
    return p > 0 && this.next() < p
  }

  pick<T> (items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick from an empty list')
    return items[Math.floor(this.next() * items.length)] as T
  }

  /** Shuffle in place (Fisher–Yates) and return the same array. */
  shuffle<T> (items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1))
      const tmp = items[i] as T
      items[i] = items[j] as T
      items[j] = tmp
    }
    return items
  }

  /** A seed for a sub-generator (one per node incarnation), decorrelated from this stream. */
  fork (): number {
    return Math.floor(this.next() * 0x7fffffff) ^ 0x5bd1e995
  }
}
