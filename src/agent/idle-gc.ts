// After a burst of work, collect the garbage it left once the agent is idle.
//
// Why: V8 collects when allocation asks for it. When a load ends, the heap still holds that
// load's garbage and, worse, dead ArrayBuffers whose memory lives outside the heap (network
// frames, msgpack buffers): measured 60 s after 100k writes, 80 MiB of ArrayBuffers and 28 MiB
// of heap objects that a full collection frees. V8's memory reducer collects them once it sees
// the process idle, but an agent never looks idle to it: heartbeats allocate a little all the
// time. So every `checkMs` this looks at the event loop's utilization and at heap + external
// memory; once the loop was idle for `idleChecks` checks in a row and memory grew by at least
// `growthBytes` since the last collection it saw, it runs one full collection (a pause of
// tens of milliseconds on a quiet process, instead of holding the memory for hours).

import { setFlagsFromString } from 'node:v8'

export interface IdleCollectorOptions {
  /** A full garbage collection (globalThis.gc under --expose-gc). */
  readonly gc: () => void
  /** Bytes of memory a collection can free: V8 heap in use plus external (ArrayBuffers). */
  readonly memory: () => number
  /** Event loop utilization (0..1) since the previous call. */
  readonly utilization: () => number
  /** The loop counts as idle below this utilization. Default 0.1. */
  readonly idleBelow?: number
  /**
   * Consecutive idle checks before collecting. Default 6 (30 s at the default interval): a
   * collection between bursts of work made the next burst slower (V8 sizes the heap from
   * what it just found live), so only a long quiet spell counts.
   */
  readonly idleChecks?: number
  /** Growth since the last collection worth collecting for. Default 16 MiB. */
  readonly growthBytes?: number
}

export class IdleCollector {
  /** Collections run so far. */
  collections = 0
  private idleFor = 0
  /** Memory right after the last collection (ours or V8's own, seen as a drop). */
  private floor: number

  constructor (private readonly opts: IdleCollectorOptions) {
    this.floor = opts.memory()
  }

  /** One look; the caller calls it every checkMs. */
  check (): void {
    const busy = this.opts.utilization() >= (this.opts.idleBelow ?? 0.1)
    const memory = this.opts.memory()
    this.floor = Math.min(this.floor, memory)
    this.idleFor = busy ? 0 : this.idleFor + 1
    if (this.idleFor < (this.opts.idleChecks ?? 6) || memory - this.floor < (this.opts.growthBytes ?? 16 * 2 ** 20)) return
    this.opts.gc()
    this.collections++
    this.floor = this.opts.memory()
    this.idleFor = 0
  }
}

/**
 * Start an IdleCollector on this process, checking every `checkMs` (default 5 s). Does nothing
 * (returns null) without --expose-gc: the launchers pass it (agent-launch.ts).
 */
export function startIdleCollector (checkMs = 5000): { stop: () => void } | null {
  const gc = (globalThis as { gc?: () => void }).gc
  if (typeof gc !== 'function') return null
  let last = performance.eventLoopUtilization()
  const collector = new IdleCollector({
    // Compacting too: the load left the old generation's pages partly empty, and V8 gives back
    // only empty pages (measured: 60 MiB less RSS than a plain full collection). Only for this
    // collection, not for those under load, where compaction costs throughput.
    gc: () => {
      setFlagsFromString('--compact-on-every-full-gc')
      try {
        gc()
      } finally {
        setFlagsFromString('--no-compact-on-every-full-gc')
      }
    },
    memory: () => {
      const m = process.memoryUsage()
      return m.heapUsed + m.external
    },
    utilization: () => {
      const now = performance.eventLoopUtilization()
      const delta = performance.eventLoopUtilization(now, last)
      last = now
      return delta.utilization
    }
  })
  const timer = setInterval(() => { collector.check() }, checkMs)
  timer.unref()
  return { stop: () => { clearInterval(timer) } }
}
