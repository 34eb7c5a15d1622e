// Event garbage collection (leader only): Events whose lastTimestamp is older than the TTL are
// deleted, as kube-apiserver's --event-ttl (default 1 h) expires them, so that the replicated
// state does not grow with every pod that ever ran. Checked once a minute; deletions go out
// in batches.

import type { Role, RoleContext } from '../agent/roles.ts'
import type { CancelTimer } from './clock.ts'
import { deleteCommand, writeAll } from './store-writes.ts'

export const DEFAULT_EVENT_TTL_MS = 60 * 60_000
const CHECK_EVERY_MS = 60_000

export interface EventTtlOptions {
  /** How long an Event lives after it last happened. Default 1 h. */
  readonly ttlMs?: number
  /** How often to look. Default 60 s. */
  readonly everyMs?: number
}

export class EventTtlController implements Role {
  readonly name = 'event-ttl-controller'
  private cancel: CancelTimer | undefined
  private running = false
  private sweeping: Promise<void> = Promise.resolve()

  constructor (private readonly ctx: RoleContext, private readonly opts: EventTtlOptions = {}) {}

  start (): void {
    if (this.running) return
    this.running = true
    this.arm()
  }

  async stop (): Promise<void> {
    this.running = false
    this.cancel?.()
    this.cancel = undefined
    await this.sweeping
  }

  /** Delete the expired Events now; resolves when written (tests). */
  async sweep (): Promise<void> {
    const now = Date.parse(this.ctx.backend.now())
    const ttl = this.opts.ttlMs ?? DEFAULT_EVENT_TTL_MS
    const expired = this.ctx.backend.reader.list('', 'Event', undefined).items.filter((e) => {
      const last = Date.parse(String(e.lastTimestamp ?? e.metadata.creationTimestamp ?? ''))
      return !Number.isNaN(last) && now - last > ttl
    })
    if (expired.length === 0) return
    try {
      await writeAll(this.ctx.backend, expired.map((e) => deleteCommand(e, this.ctx.backend.now())))
    } catch (err) {
      this.ctx.log(`${this.name}: ${expired.length} expired Events not deleted yet: ${(err as Error).message}`)
    }
  }

  private arm (): void {
    this.cancel = this.ctx.clock.setTimeout(() => {
      if (!this.running) return
      this.sweeping = this.sweep().finally(() => { if (this.running) this.arm() })
    }, this.opts.everyMs ?? CHECK_EVERY_MS)
  }
}

export function eventTtlController (ctx: RoleContext, opts: EventTtlOptions = {}): EventTtlController {
  return new EventTtlController(ctx, opts)
}
