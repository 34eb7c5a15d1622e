// Per-container back-off, as the kubelet's: crash restarts and image pulls wait 10 s, doubling
// to 5 min. A container's first crash restarts at once; each crash after waits the next delay.
// A container that stayed up for twice the longest delay starts over from the first step.

export interface BackoffOptions {
  /** First delay. Default 10 s. */
  baseMs?: number
  /** Longest delay. Default 5 min. */
  maxMs?: number
}

interface Entry { lastEvent: string, at: number, delay: number, nextDelay: number, until: number, message: string }

export class Backoff {
  private readonly entries = new Map<string, Entry>()
  readonly baseMs: number
  readonly maxMs: number

  constructor (opts: BackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 10_000
    this.maxMs = opts.maxMs ?? 300_000
  }

  /**
   * Note event `eventId` (a container that exited, a failed pull) for `key` at `now`; noting the
   * same event again changes nothing. Resolves to when the next try may happen.
   */
  note (key: string, eventId: string, now: number, immediateFirst: boolean, message = ''): number {
    let e = this.entries.get(key)
    if (e !== undefined && e.lastEvent === eventId) return e.until
    if (e === undefined || now - e.until > 2 * this.maxMs) {
      e = { lastEvent: eventId, at: now, delay: 0, nextDelay: this.baseMs, until: now, message }
      if (!immediateFirst) {
        e.delay = this.baseMs
        e.until = now + this.baseMs
        e.nextDelay = Math.min(this.baseMs * 2, this.maxMs)
      }
    } else {
      e.lastEvent = eventId
      e.at = now
      e.message = message
      e.delay = e.nextDelay
      e.until = now + e.nextDelay
      e.nextDelay = Math.min(e.nextDelay * 2, this.maxMs)
    }
    this.entries.set(key, e)
    return e.until
  }

  /** The delay that led to `until` for `key` (for messages like "back-off 20s"). */
  currentDelay (key: string): number {
    return this.entries.get(key)?.delay ?? 0
  }

  /** The pending wait for `key` if it has not passed at `now`, with the message noted with it. */
  peek (key: string, now: number): { at: number, until: number, message: string } | undefined {
    const e = this.entries.get(key)
    return e !== undefined && now < e.until ? { at: e.at, until: e.until, message: e.message } : undefined
  }

  forget (key: string): void { this.entries.delete(key) }

  forgetPrefix (prefix: string): void {
    for (const k of [...this.entries.keys()]) if (k.startsWith(prefix)) this.entries.delete(k)
  }
}

/** 10000 → "10s", 300000 → "5m0s", as Go prints durations in kubelet messages. */
export function goDuration (ms: number): string {
  const s = Math.round(ms / 1000)
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60}s`
}
