import { describe, expect, it } from 'vitest'
import { TransferInProgressError } from '../../raft/errors.ts'
import { Harness } from './harness.ts'

function elect (ids = ['a', 'b', 'c']): Harness {
  const h = new Harness(ids)
  h.stabilize()
  h.campaign(ids[0] as string)
  h.tick('all', 1)
  return h
}

describe('leadership transfer (dissertation §3.10, TimeoutNow)', () => {
  it('hands leadership to an up-to-date follower at once, without waiting for a timeout', () => {
    const h = elect()
    const term = h.core('a').term
    h.core('a').transferLeadership('b')
    h.stabilize()
    expect(h.leaders()).toEqual(['b'])
    expect(h.core('b').term).toBe(term + 1)
  })

  it('catches a lagging target up first, and refuses proposals meanwhile', () => {
    const h = elect()
    h.isolate('c')
    h.propose('a', 'x')
    h.heal()
    h.core('a').transferLeadership('c')
    expect(() => h.core('a').propose(new Uint8Array([1]))).toThrow(TransferInProgressError)
    h.stabilize()
    expect(h.leaders()).toEqual(['c'])
    expect(h.appliedData('c')).toEqual(['x'])
  })

  it('a transfer to an unreachable target is abandoned after an election timeout', () => {
    const h = elect()
    h.isolate('c')
    h.core('a').transferLeadership('c')
    h.tick(['a', 'b'], 11)
    expect(h.core('a').role).toBe('leader')
    expect(h.core('a').leadTransferee).toBeNull()
    expect(() => h.core('a').propose(new Uint8Array([1]))).not.toThrow()
  })
})

describe('ReadIndex (dissertation §6.4)', () => {
  it('the leader answers after a heartbeat round confirms it still leads, at its commit index', () => {
    const h = elect()
    h.propose('a', 'x')
    const commit = h.core('a').log.commit
    h.core('a').readIndex('r1')
    h.stabilize()
    expect(h.node('a').reads).toEqual([{ ctx: 'r1', index: commit }])
  })

  it('a leader cut off from the majority cannot serve a read', () => {
    const h = elect()
    h.isolate('a')
    h.core('a').readIndex('r1')
    h.stabilize()
    expect(h.node('a').reads).toEqual([])
    // ...and fails it when it steps down (check-quorum), so the caller can retry elsewhere.
    h.tick(['a'], 25)
    expect(h.node('a').reads).toEqual([{ ctx: 'r1', index: -1 }])
  })

  it('a follower gets a read index through the leader', () => {
    const h = elect()
    h.propose('a', 'x')
    h.core('b').readIndex('from-b')
    h.stabilize()
    expect(h.node('b').reads).toEqual([{ ctx: 'from-b', index: h.core('a').log.commit }])
  })

  it('a new leader answers only after committing an entry of its own term', () => {
    const h = elect()
    h.propose('a', 'x')
    h.core('a').transferLeadership('b')
    h.stabilize()
    const b = h.core('b')
    expect(b.role).toBe('leader')
    // Right after election, before its no-op commits, the read waits.
    h.isolate('b')
    h.core('b').readIndex('early')
    h.processReadies()
    expect(h.node('b').reads).toEqual([])
    h.heal()
    h.tick('all', 2)
    expect(h.node('b').reads).toEqual([{ ctx: 'early', index: b.log.commit }])
    expect(b.log.term(b.log.commit)).toBe(b.term)
  })
})
