import { describe, expect, it } from 'vitest'
import { IdleCollector } from '../../../src/agent/idle-gc.ts'

const MIB = 2 ** 20

/** A process whose memory and loop utilization the test sets; gc() frees down to `live`. */
function fakeProcess (): { memory: number, live: number, utilization: number, collector: IdleCollector } {
  const p = { memory: 50 * MIB, live: 50 * MIB, utilization: 0, collector: undefined as unknown as IdleCollector }
  p.collector = new IdleCollector({
    gc: () => { p.memory = p.live },
    idleChecks: 2,
    memory: () => p.memory,
    utilization: () => p.utilization
  })
  return p
}

describe('IdleCollector', () => {
  it('collects once the loop is idle after memory grew, and not again until it grows again', () => {
    const p = fakeProcess()
    p.utilization = 0.9
    p.memory = 200 * MIB
    p.live = 120 * MIB
    for (let i = 0; i < 5; i++) p.collector.check()
    expect(p.collector.collections).toBe(0)
    p.utilization = 0.02
    p.collector.check()
    expect(p.collector.collections).toBe(0)
    p.collector.check()
    expect(p.collector.collections).toBe(1)
    expect(p.memory).toBe(120 * MIB)
    for (let i = 0; i < 10; i++) p.collector.check()
    expect(p.collector.collections).toBe(1)
    p.memory += 20 * MIB
    for (let i = 0; i < 2; i++) p.collector.check()
    expect(p.collector.collections).toBe(2)
  })

  it('leaves a busy process to V8, and ignores small growth', () => {
    const p = fakeProcess()
    p.utilization = 0.5
    p.memory = 300 * MIB
    for (let i = 0; i < 10; i++) p.collector.check()
    expect(p.collector.collections).toBe(0)
    p.utilization = 0
    p.memory = 50 * MIB
    p.collector.check()
    p.memory = 60 * MIB
    for (let i = 0; i < 10; i++) p.collector.check()
    expect(p.collector.collections).toBe(0)
  })
})
