// The work queue's guarantees, driven by a manual clock: dedupe, no concurrent runs of one
// key, re-run after a change during a run, back-off on failure, and stop.

import { describe, expect, it } from 'vitest'
import { WorkQueue } from '../../../src/controllers/work-queue.ts'
import { ManualClock } from '../manual-clock.ts'

function gate (): { wait: Promise<void>, open: () => void } {
  let open: () => void = () => {}
  const wait = new Promise<void>((resolve) => { open = resolve })
  return { wait, open }
}

describe('WorkQueue', () => {
  it('reconciles a key queued many times once', async () => {
    const seen: string[] = []
    const q = new WorkQueue(async (k) => { seen.push(k) }, { clock: new ManualClock() })
    q.start()
    for (let i = 0; i < 5; i++) { q.add('a'); q.add('b') }
    await q.idle()
    expect(seen).toEqual(['a', 'b'])
  })

  it('never runs one key twice at once, and runs it again when it changed during a run', async () => {
    const g = gate()
    let running = 0
    let maxRunning = 0
    let runs = 0
    const q = new WorkQueue(async () => {
      running++
      maxRunning = Math.max(maxRunning, running)
      runs++
      if (runs === 1) await g.wait
      running--
    }, { clock: new ManualClock(), concurrency: 4 })
    q.start()
    q.add('a')
    await Promise.resolve()
    q.add('a')
    q.add('a')
    g.open()
    await q.idle()
    expect(runs).toBe(2)
    expect(maxRunning).toBe(1)
  })

  it('retries a failing key with doubling delays, and forgets the failures after a success', async () => {
    const clock = new ManualClock()
    let calls = 0
    const errors: number[] = []
    const q = new WorkQueue(async () => {
      calls++
      if (calls <= 3) throw new Error('not yet')
    }, { clock, baseDelayMs: 10, onError: (_k, _e, n) => { errors.push(n) } })
    q.start()
    q.add('a')
    await q.idle()
    expect(calls).toBe(1)
    clock.advance(9)
    await q.idle()
    expect(calls).toBe(1)
    clock.advance(1)
    await q.idle()
    expect(calls).toBe(2)
    clock.advance(19)
    await q.idle()
    expect(calls).toBe(2)
    clock.advance(1)
    await q.idle()
    expect(calls).toBe(3)
    clock.advance(40)
    await q.idle()
    expect(calls).toBe(4)
    expect(errors).toEqual([1, 2, 3])
    expect(clock.pending).toBe(0)
  })

  it('runs a delayed key once its delay is over; the earlier of two delays wins', async () => {
    const clock = new ManualClock()
    const seen: string[] = []
    const q = new WorkQueue(async (k) => { seen.push(k) }, { clock })
    q.start()
    q.addAfter('a', 100)
    q.addAfter('a', 50)
    q.addAfter('a', 200)
    clock.advance(49)
    await q.idle()
    expect(seen).toEqual([])
    clock.advance(1)
    await q.idle()
    expect(seen).toEqual(['a'])
    clock.advance(500)
    await q.idle()
    expect(seen).toEqual(['a'])
  })

  it('stop drops queued and delayed keys, waits for the running one, and ignores later adds', async () => {
    const clock = new ManualClock()
    const g = gate()
    const seen: string[] = []
    const q = new WorkQueue(async (k) => { seen.push(k); if (k === 'a') await g.wait }, { clock })
    q.start()
    q.add('a')
    q.add('b')
    q.addAfter('c', 10)
    await Promise.resolve()
    const stopped = q.stop()
    g.open()
    await stopped
    q.add('d')
    clock.advance(100)
    await q.idle()
    expect(seen).toEqual(['a'])
  })
})
