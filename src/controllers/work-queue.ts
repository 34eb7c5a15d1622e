// A level-triggered work queue of keys (as client-go's): a key queued many times is
// reconciled once; a key that changes while being reconciled is reconciled again afterwards;
// one key is never reconciled by two workers at once. A failed reconcile is retried with
// exponential back-off per key; a success forgets the failures. Reconcilers read the current
// state themselves, so only the key travels: idempotent by construction (STYLE.md).
//
// Scheduling uses promise jobs, never timers, except for delayed and back-off retries, which
// go through the injected Clock — unit tests run it without real time.

import { realClock, type CancelTimer, type Clock } from './clock.ts'

export interface WorkQueueOptions {
  clock?: Clock
  /** Reconciles running at once. Default 1. */
  concurrency?: number
  /** First retry delay after a failure; doubles per consecutive failure. Default 10 ms. */
  baseDelayMs?: number
  /** Longest retry delay. Default 10 s. */
  maxDelayMs?: number
  /** Told about every failed reconcile (it is retried regardless). */
  onError?: (key: string, err: unknown, failures: number) => void
}

export class WorkQueue {
  private readonly clock: Clock
  private readonly concurrency: number
  private readonly baseDelayMs: number
  private readonly maxDelayMs: number
  private readonly onError: (key: string, err: unknown, failures: number) => void
  /** Keys waiting to run, in order; `queued` mirrors it for O(1) dedupe. */
  private order: string[] = []
  private head = 0
  private readonly queued = new Set<string>()
  private readonly processing = new Set<string>()
  /** Keys added while being processed: queued again when their run ends. */
  private readonly dirty = new Set<string>()
  private readonly failures = new Map<string, number>()
  private readonly delayed = new Map<string, { at: number, cancel: CancelTimer }>()
  private running = false
  private pumpScheduled = false
  private active = 0
  private idleWaiters: Array<() => void> = []

  constructor (private readonly reconcile: (key: string) => Promise<void>, opts: WorkQueueOptions = {}) {
    this.clock = opts.clock ?? realClock
    this.concurrency = opts.concurrency ?? 1
    this.baseDelayMs = opts.baseDelayMs ?? 10
    this.maxDelayMs = opts.maxDelayMs ?? 10_000
    this.onError = opts.onError ?? (() => {})
  }

  /** Keys waiting (not counting delayed or running ones). */
  get length (): number { return this.order.length - this.head }

  /** Queue `key` to be reconciled soon. */
  add (key: string): void {
    if (!this.running) return
    if (this.processing.has(key)) {
      this.dirty.add(key)
      return
    }
    if (this.queued.has(key)) return
    this.queued.add(key)
    this.order.push(key)
    this.schedule()
  }

  /** Queue `key` after `ms` (an earlier pending delay for the same key wins). */
  addAfter (key: string, ms: number): void {
    if (!this.running) return
    if (ms <= 0) {
      this.add(key)
      return
    }
    const at = this.clock.now() + ms
    const pending = this.delayed.get(key)
    if (pending !== undefined) {
      if (pending.at <= at) return
      pending.cancel()
    }
    const cancel = this.clock.setTimeout(() => {
      this.delayed.delete(key)
      this.add(key)
    }, ms)
    this.delayed.set(key, { at, cancel })
  }

  start (): void {
    this.running = true
    this.schedule()
  }

  /** Stop taking work, drop what is queued or delayed, and wait for running reconciles. */
  async stop (): Promise<void> {
    this.running = false
    for (const d of this.delayed.values()) d.cancel()
    this.delayed.clear()
    this.order = []
    this.head = 0
    this.queued.clear()
    this.dirty.clear()
    await this.idle()
  }

  /** Resolves once nothing is queued or running (delayed keys do not count). */
  async idle (): Promise<void> {
    if (this.active === 0 && (this.length === 0 || !this.running)) return
    await new Promise<void>((resolve) => { this.idleWaiters.push(resolve) })
  }

  /** Start work in a promise job, so keys added in one synchronous stretch are taken together. */
  private schedule (): void {
    if (this.pumpScheduled) return
    this.pumpScheduled = true
    queueMicrotask(() => {
      this.pumpScheduled = false
      this.pump()
    })
  }

  private pump (): void {
    while (this.running && this.active < this.concurrency && this.head < this.order.length) {
      const key = this.order[this.head++] as string
      if (this.head > 1024 && this.head * 2 > this.order.length) {
        this.order = this.order.slice(this.head)
        this.head = 0
      }
      this.queued.delete(key)
      this.processing.add(key)
      this.active++
      void this.run(key)
    }
    if (this.active === 0 && this.length === 0) {
      const waiters = this.idleWaiters
      this.idleWaiters = []
      for (const w of waiters) w()
    }
  }

  private async run (key: string): Promise<void> {
    let failed = false
    try {
      await this.reconcile(key)
      this.failures.delete(key)
    } catch (err) {
      failed = true
      const n = (this.failures.get(key) ?? 0) + 1
      this.failures.set(key, n)
      try { this.onError(key, err, n) } catch {}
    }
    this.processing.delete(key)
    this.active--
    if (this.dirty.delete(key)) this.add(key)
    else if (failed && this.running) this.addAfter(key, this.backoff(key))
    this.pump()
  }

  private backoff (key: string): number {
    const n = this.failures.get(key) ?? 1
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(n - 1, 30))
  }
}
