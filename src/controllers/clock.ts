// Time for the roles (controllers, scheduler, kubelet, node lifecycle): injected, so unit
// tests drive it by hand (test/src/manual-clock.ts) and nothing depends on real timers.

/** Cancels a pending timer; calling it twice is fine. */
export type CancelTimer = () => void

export interface Clock {
  /** Milliseconds since some fixed point (monotonic for the real clock). */
  now (): number
  /** Run `fn` once after `ms`. */
  setTimeout (fn: () => void, ms: number): CancelTimer
}

/** The process's clock; timers do not keep the process alive. */
export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout (fn, ms) {
    const t = setTimeout(fn, ms)
    t.unref()
    return () => { clearTimeout(t) }
  }
}
