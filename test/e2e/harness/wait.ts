// Waiting in e2e tests: poll a condition until it holds or a deadline passes — never a
// fixed sleep standing in for "long enough".

export interface WaitOptions {
  timeoutMs: number
  /** Pause between attempts. Default 100 ms. */
  intervalMs?: number
  /** What was last seen, for the deadline message (default: the last value or error). */
  lastSeen?: () => unknown
}

/** Thrown when a condition did not hold before its deadline. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError'
}

/**
 * Poll `check` until it returns something other than undefined/false/null, and return that.
 * A throwing check counts as "not yet"; the last error or value is part of the deadline message.
 */
export async function waitFor<T> (what: string, check: () => Promise<T | undefined | null | false> | T | undefined | null | false, opts: WaitOptions): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs
  let last: unknown = 'never checked'
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined && v !== null && v !== false) return v
      last = v
    } catch (err) {
      last = err
    }
    if (Date.now() >= deadline) {
      if (opts.lastSeen !== undefined) last = opts.lastSeen()
      const detail = last instanceof Error ? `${last.name}: ${last.message}` : JSON.stringify(last)
      throw new DeadlineError(`Timed out after ${opts.timeoutMs} ms waiting for ${what} (last: ${detail?.slice(0, 2000) ?? String(last)})`)
    }
    await delay(opts.intervalMs ?? 100)
  }
}

export async function delay (ms: number): Promise<void> {
  await new Promise((resolveDelay) => setTimeout(resolveDelay, ms))
}
