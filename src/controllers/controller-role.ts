// The frame every workload controller shares: informers over the kinds it watches, one
// level-triggered work queue of keys, and a reconcile function. It is a Role (started on
// gaining leadership, after the read barrier; stopped on losing it). A reconcile that throws
// is logged and retried with back-off by the queue; it never takes the agent down.

import type { Role, RoleContext } from '../agent/roles.ts'
import type { WatchEvent } from '../store/types.ts'
import { EventRecorder, type EventSink } from './event-recorder.ts'
import { inform, type KindRef } from './informer.ts'
import { WorkQueue } from './work-queue.ts'

export interface Watched {
  kind: KindRef
  /** Called in the store's apply: queue keys through `enqueue` and return. */
  onEvent: (e: WatchEvent, enqueue: (key: string) => void) => void
}

export interface ControllerSpec {
  name: string
  watches: Watched[]
  reconcile: (key: string, queue: WorkQueue) => Promise<void>
  /** Reset in-memory indexes before the informers list again (on every start). */
  reset?: () => void
}

export class ControllerRole implements Role {
  readonly name: string
  private queue: WorkQueue | undefined
  private stops: Array<() => void> = []
  private recorder: EventRecorder | undefined
  /** Events this controller records (component = its name); dropped while it is stopped. */
  readonly events: EventSink = { record: (obj, type, reason, message) => { this.recorder?.record(obj, type, reason, message) } }

  constructor (private readonly ctx: RoleContext, private readonly spec: ControllerSpec) {
    this.name = spec.name
  }

  start (): void {
    if (this.queue !== undefined) return
    const queue = new WorkQueue(async (key) => { await this.spec.reconcile(key, queue) }, {
      clock: this.ctx.clock,
      maxDelayMs: 30_000,
      onError: (key, err, failures) => {
        if (failures === 1 || failures % 10 === 0) this.ctx.log(`${this.name}: ${key}: ${(err as Error).message} (retrying, ${failures} failures)`)
      }
    })
    this.queue = queue
    this.recorder = new EventRecorder({ backend: this.ctx.backend, clock: this.ctx.clock, component: this.name, log: (line) => { this.ctx.log(`${this.name}: ${line}`) } })
    this.spec.reset?.()
    queue.start()
    const enqueue = (key: string): void => { queue.add(key) }
    for (const w of this.spec.watches) {
      this.stops.push(inform(this.ctx.backend.reader, w.kind, (e) => {
        try {
          w.onEvent(e, enqueue)
        } catch (err) {
          this.ctx.log(`${this.name}: watch ${w.kind.kind}: ${(err as Error).message}`)
        }
      }))
    }
  }

  async stop (): Promise<void> {
    for (const stop of this.stops.splice(0)) stop()
    const queue = this.queue
    this.queue = undefined
    await queue?.stop()
    const recorder = this.recorder
    this.recorder = undefined
    await recorder?.stop()
  }

  /** Keys waiting to run. */
  get queued (): number { return this.queue?.length ?? 0 }

  /** Resolves once nothing is queued or running (tests; delayed keys do not count). */
  async idle (): Promise<void> {
    await this.queue?.idle()
  }
}
