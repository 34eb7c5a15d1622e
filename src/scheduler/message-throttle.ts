// How often the message of an unschedulable pod may be rewritten. Its counts shift with every
// node that opens or fills ("0/100 nodes are available: 3 Too many pods, 97 node(s) were
// unschedulable."), and rewriting thousands of pending pods on each such change would cost
// more Raft writes than the bindings themselves. So a pod already marked Unschedulable gets a
// new message at most once per interval; a change inside the interval is written when the pod
// is tried again at its end (it may well be bound by then). Bindings are never delayed.

import type { CancelTimer, Clock } from '../controllers/clock.ts'

export class MessageThrottle {
  private readonly writtenAt = new Map<string, number>()
  private deferred = new Set<string>()
  private timer: CancelTimer | undefined

  /** `retry` is handed the pods whose new message was held back, once the interval has passed. */
  constructor (private readonly clock: Clock, private readonly intervalMs: number, private readonly retry: (keys: string[]) => void) {}

  /**
   * May the condition of `key` be written now? A first Unschedulable condition always may;
   * a new message for a pod that already has one may once per interval.
   */
  allow (key: string, messageOnly: boolean): boolean {
    const now = this.clock.now()
    const last = this.writtenAt.get(key)
    if (messageOnly && last !== undefined && now - last < this.intervalMs) {
      this.deferred.add(key)
      this.timer ??= this.clock.setTimeout(() => { this.release() }, last + this.intervalMs - now)
      return false
    }
    this.writtenAt.set(key, now)
    return true
  }

  forget (key: string): void {
    this.writtenAt.delete(key)
    this.deferred.delete(key)
  }

  stop (): void {
    this.timer?.()
    this.timer = undefined
    this.writtenAt.clear()
    this.deferred.clear()
  }

  private release (): void {
    this.timer = undefined
    const keys = [...this.deferred]
    this.deferred = new Set()
    if (keys.length > 0) this.retry(keys)
  }
}
