// The deterministic simulator in CI: a batch of seeds must keep every invariant, a seed
// must replay exactly, and the checker must be able to fail — on broken inputs handed to
// it directly, and on whole runs with a deliberately broken driver or state machine.

import { describe, expect, it } from 'vitest'
import { RaftCore } from '../../raft/core.ts'
import type { Entry } from '../../raft/types.ts'
import { seededRandom } from '../raft/harness.ts'
import { Checker, Violation, type NodeView } from './checker.ts'
import type { InjectedBug } from './config.ts'
import { runSeed, type SimResult } from './simulator.ts'
import { StateMachine, proposalData } from './state-machine.ts'

function explain (r: SimResult): string {
  return `seed ${r.seed}: ${r.violation ?? ''}\n${r.trace.slice(-40).join('\n')}\nreproduce: npm run sim -- --seed ${r.seed}`
}

describe('simulation (Raft §5, §6, §7 under crashes, partitions and a lossy network)', () => {
  it('30 seeds: no safety violation, and progress once every fault heals', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const r = runSeed(seed)
      if (!r.ok) expect.fail(explain(r))
    }
  })

  it('a seed replays exactly', () => {
    const a = runSeed(7)
    const b = runSeed(7)
    expect(b.steps).toBe(a.steps)
    expect(b.counters).toEqual(a.counters)
    expect(b.trace).toEqual(a.trace)
  })
})

/** The first seed in [1, limit] whose run with `bug` reports a violation. */
function firstDetection (bug: InjectedBug, limit: number): SimResult | null {
  for (let seed = 1; seed <= limit; seed++) {
    const r = runSeed(seed, { bug })
    if (!r.ok) return r
  }
  return null
}

describe('the simulation detects injected faults', () => {
  it('a driver that sends acknowledgements and votes before its write is durable', () => {
    const r = firstDetection('ack-before-persist', 80)
    expect(r, 'no seed in 1..80 caught it').not.toBeNull()
    expect(r?.violation).toMatch(/State Machine Safety|Leader Completeness|Log Matching|Durability|Election Safety|Liveness|Message storm/)
  })

  it('reads served from a node\'s own commit index instead of ReadIndex', () => {
    const r = firstDetection('local-read', 40)
    expect(r?.violation).toMatch(/Linearizable reads/)
  })

  it('snapshots that lose the state machine', () => {
    const r = firstDetection('empty-snapshot', 20)
    expect(r?.violation).toMatch(/State Machine Safety|Dedupe/)
  })
})

// ---- the checker on inputs built by hand -------------------------------------------------

function entry (index: number, term: number, id?: string): Entry {
  return id === undefined ? { index, term, data: new Uint8Array(0) } : { index, term, data: proposalData(id), id }
}

function view (id: string, term: number, entries: Entry[], commit: number): NodeView {
  const core = new RaftCore({ id, random: seededRandom(1) }, { hardState: { term, vote: null, commit }, snapshot: null, entries })
  return { id, incarnation: 1, core, sm: new StateMachine() }
}

describe('Checker', () => {
  it('flags two leaders in one term (Election Safety, §5.2)', () => {
    const a = view('a', 3, [entry(1, 1)], 1)
    const b = view('b', 3, [entry(1, 1)], 1)
    a.core.role = 'leader'
    b.core.role = 'leader'
    expect(() => new Checker().checkNodes([a, b])).toThrow(/Election Safety/)
  })

  it('remembers leaders across steps, so a later second leader of a term is caught', () => {
    const checker = new Checker()
    const a = view('a', 3, [entry(1, 1)], 1)
    a.core.role = 'leader'
    checker.checkNodes([a])
    const b = view('b', 3, [entry(1, 1)], 1)
    b.core.role = 'leader'
    expect(() => checker.checkNodes([b])).toThrow(/Election Safety/)
  })

  it('flags different entries at the same index and term (Log Matching, §5.3)', () => {
    const a = view('a', 2, [entry(1, 1, 'x'), entry(2, 2, 'y')], 0)
    const b = view('b', 2, [entry(1, 1, 'x'), entry(2, 2, 'z')], 0)
    expect(() => new Checker().checkNodes([a, b])).toThrow(/Log Matching/)
  })

  it('flags same index and term over different histories (Log Matching, §5.3)', () => {
    const a = view('a', 3, [entry(1, 1, 'x'), entry(2, 3, 'y')], 0)
    const b = view('b', 3, [entry(1, 2, 'w'), entry(2, 3, 'y')], 0)
    expect(() => new Checker().checkNodes([a, b])).toThrow(/Log Matching/)
  })

  it('flags a committed entry that changed (State Machine Safety, §5.4.3)', () => {
    const a = view('a', 2, [entry(1, 1, 'x'), entry(2, 1, 'y')], 2)
    const b = view('b', 2, [entry(1, 1, 'x'), entry(2, 2, 'z')], 2)
    expect(() => new Checker().checkNodes([a, b])).toThrow(/State Machine Safety/)
  })

  it('flags a new leader that lacks a committed entry (Leader Completeness, §5.4)', () => {
    const checker = new Checker()
    checker.checkNodes([view('a', 2, [entry(1, 1, 'x'), entry(2, 1, 'y')], 2)])
    const b = view('b', 3, [entry(1, 1, 'x')], 1)
    b.core.role = 'leader'
    expect(() => checker.checkNodes([b])).toThrow(/Leader Completeness/)
  })

  it('flags a node that applies the same proposal id twice (Dedupe)', () => {
    const checker = new Checker()
    checker.checkNodes([view('a', 1, [entry(1, 1, 'p1'), entry(2, 1, 'p1')], 2)])
    const sm = new StateMachine()
    checker.beforeApply('b', entry(1, 1, 'p1'), 0)
    sm.apply(entry(1, 1, 'p1'))
    checker.afterApply('b', sm)
    // A driver without the dedupe set: the retry takes effect again.
    checker.beforeApply('b', entry(2, 1, 'p1'), 1)
    sm.effects.push({ index: 2, term: 1, id: 'p1' })
    sm.appliedIndex = 2
    expect(() => checker.afterApply('b', sm)).toThrow(/Dedupe/)
  })

  it('flags a vote that changes within a term after a restart (Durability)', () => {
    const checker = new Checker()
    checker.onDurable('a', { term: 4, vote: 'b', commit: 0 }, 0)
    expect(() => checker.onDurable('a', { term: 4, vote: 'c', commit: 0 }, 0)).toThrow(/Durability/)
  })

  it('flags a read index below a write acknowledged before the read (linearizability, §6.4)', () => {
    const checker = new Checker()
    expect(() => checker.onReadState('a', 'r1', 5, 7, 9)).toThrow(Violation)
    expect(() => checker.onReadState('a', 'r2', 12, 7, 9)).toThrow(/beyond any commit index/)
    expect(() => checker.onReadState('a', 'r3', 8, 7, 9)).not.toThrow()
  })
})
