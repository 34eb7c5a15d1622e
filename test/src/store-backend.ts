// An ApiBackend for unit tests of the roles (scheduler, controllers, kubelet, node
// lifecycle): the real ObjectStore, in memory, applying every write at the next index in one
// process — no Raft, no network. Writes are recorded; a test can make the next writes fail
// (as a lost leadership would) and read the time and uids it handed out. Starts with the
// cluster's initial namespaces applied at index 1. A fake, for tests only.

import type { ApiBackend } from '../../src/api/backend.ts'
import { bootstrapCommands } from '../../src/store/bootstrap.ts'
import { encodeCommand, ObjectStore } from '../../src/store/object-store.ts'
import type { ApplyResult, StoreCommand } from '../../src/store/types.ts'

export class StoreBackend implements ApiBackend {
  /** Every command written, in order. */
  readonly writes: StoreCommand[] = []
  /** Errors the next writes throw, first first. */
  readonly failNext: Error[] = []
  private uid = 0
  private term = 1

  private constructor (readonly store: ObjectStore, private readonly clockMs: () => number) {}

  /** `nowMs` gives the time for timestamps (default: a fixed 2024-01-01T00:00:00Z). */
  static async open (nowMs: () => number = () => 0): Promise<StoreBackend> {
    const b = new StoreBackend(await ObjectStore.open({}), nowMs)
    // The namespaces every cluster starts with (default, kube-system, …), at index 1.
    await b.write({ op: 'batch', commands: bootstrapCommands(b.now(), () => b.newUid()) })
    b.writes.length = 0
    return b
  }

  get reader (): ObjectStore { return this.store }

  async write (cmd: StoreCommand): Promise<ApplyResult> {
    const err = this.failNext.shift()
    if (err !== undefined) throw err
    this.writes.push(cmd)
    const index = this.store.appliedIndex + 1
    const [result] = this.store.apply([{ term: this.term, index, data: encodeCommand(cmd) }])
    return result as ApplyResult
  }

  async linearize (): Promise<void> {}

  now (): string { return new Date(Date.UTC(2024, 0, 1) + this.clockMs()).toISOString() }

  newUid (): string { return `uid-${++this.uid}` }

  async close (): Promise<void> { await this.store.close() }
}
