// Clients that write during failures: each creates ConfigMaps with unique names, retries a
// failed attempt with the same name, and records what was acknowledged; plus the seeded PRNG
// that chaos schedules use.

import type { ApiClient } from './http.ts'
import { delay } from './wait.ts'

/** A seeded PRNG (mulberry32): the same seed gives the same choices. */
export function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface WriteOutcome {
  name: string
  /** When the write was acknowledged (Date.now()). */
  at: number
  /** 'created': 2xx; 'exists': a retry got 409 AlreadyExists (an earlier attempt was applied). */
  how: 'created' | 'exists'
  attempts: number
}

export interface WriterStats {
  acknowledged: WriteOutcome[]
  /** Names whose outcome is unknown: attempted, never acknowledged (the writer was stopped). */
  unresolved: string[]
  /** Failed attempts by reason ("HTTP 503 ServiceUnavailable", "ECONNREFUSED", …). */
  failures: Map<string, number>
  /** A first attempt answered 409: someone else created our unique name (must never happen). */
  firstAttemptConflicts: string[]
}

export interface WriterOptions {
  /** Prefix of the unique names: `${prefix}-${seq}`. */
  prefix: string
  /** Which agent to send the next attempt to. */
  pickAgent: (attempt: number) => ApiClient | undefined
  /** Stop starting new writes once this returns true. */
  stopNew: () => boolean
  /** Give up on the write in flight once this returns true (checked between attempts). */
  giveUp: () => boolean
  /** Per-attempt HTTP timeout. Default 5000 ms. */
  timeoutMs?: number
  /** Pause after each acknowledged write. Default 0. */
  pauseMs?: number
}

/**
 * Create ConfigMaps with unique names one after the other, in the background; `stats` fills
 * as it goes, `done` resolves when it stopped. A failed attempt (network error,
 * timeout, non-2xx other than 409) is retried with the same name, through whatever agent
 * `pickAgent` gives; a 409 AlreadyExists on a retry means an earlier attempt was applied.
 */
export function startWriter (opts: WriterOptions): { stats: WriterStats, done: Promise<WriterStats> } {
  const stats: WriterStats = { acknowledged: [], unresolved: [], failures: new Map(), firstAttemptConflicts: [] }
  return { stats, done: runWriter(opts, stats) }
}

async function runWriter (opts: WriterOptions, stats: WriterStats): Promise<WriterStats> {
  const fail = (reason: string): void => { stats.failures.set(reason, (stats.failures.get(reason) ?? 0) + 1) }
  for (let seq = 0; !opts.stopNew(); seq++) {
    const name = `${opts.prefix}-${seq}`
    let done = false
    for (let attempt = 1; !done; attempt++) {
      if (attempt > 1 && opts.giveUp()) {
        stats.unresolved.push(name)
        return stats
      }
      const api = opts.pickAgent(attempt)
      if (api === undefined) {
        fail('no agent to write to')
        await delay(50)
        continue
      }
      try {
        const r = await api.createConfigMap(name, { writer: opts.prefix, seq: String(seq) }, opts.timeoutMs ?? 5000)
        if (r.status >= 200 && r.status < 300) {
          stats.acknowledged.push({ name, at: Date.now(), how: 'created', attempts: attempt })
          done = true
        } else if (r.status === 409 && (r.body as { reason?: string }).reason === 'AlreadyExists') {
          if (attempt === 1) stats.firstAttemptConflicts.push(name)
          stats.acknowledged.push({ name, at: Date.now(), how: 'exists', attempts: attempt })
          done = true
        } else {
          fail(`HTTP ${r.status} ${(r.body as { reason?: string }).reason ?? ''}`.trim())
        }
      } catch (err) {
        const e = err as NodeJS.ErrnoException
        fail(e.code ?? e.name)
      }
      if (!done) await delay(Math.min(20 * attempt, 200))
    }
    if (opts.pauseMs !== undefined && opts.pauseMs > 0) await delay(opts.pauseMs)
  }
  return stats
}

/** Sum of failure counts of several writers, as "reason ×n" text. */
export function describeFailures (all: WriterStats[]): string {
  const sum = new Map<string, number>()
  for (const s of all) for (const [k, v] of s.failures) sum.set(k, (sum.get(k) ?? 0) + v)
  return [...sum].map(([k, v]) => `${k} ×${v}`).join(', ') || 'none'
}

/** The longest pause between consecutive acknowledgements (all writers merged) from `from` on, in ms. */
export function longestGap (all: WriterStats[], from: number): number {
  const times = all.flatMap((s) => s.acknowledged.map((a) => a.at)).filter((t) => t >= from).sort((x, y) => x - y)
  let gap = 0
  let prev = from
  for (const t of times) {
    gap = Math.max(gap, t - prev)
    prev = t
  }
  return gap
}
