import { describe, expect, it } from 'vitest'
import { Harness } from './harness.ts'

describe('leader election (§5.2)', () => {
  it('elects exactly one leader and every node learns it', () => {
    const h = new Harness(['a', 'b', 'c'])
    h.stabilize()
    h.campaign('a')
    expect(h.leaders()).toEqual(['a'])
    h.tick('all', 2)
    for (const id of ['b', 'c']) expect(h.core(id).leader).toBe('a')
  })

  it('a single voter elects itself after its election timeout', () => {
    const h = new Harness(['a'])
    h.tick('all', 25)
    expect(h.leaders()).toEqual(['a'])
  })

  it('election timeouts alone produce a leader', () => {
    const h = new Harness(['a', 'b', 'c', 'd', 'e'], { seed: 42 })
    h.tick('all', 40)
    expect(h.leaders()).toHaveLength(1)
  })

  it('a partitioned minority cannot elect, and pre-vote keeps its term from growing (§9.6)', () => {
    const h = new Harness(['a', 'b', 'c'])
    h.stabilize()
    h.campaign('a')
    h.isolate('c')
    const before = h.core('c').term
    h.tick('all', 60)
    expect(h.core('c').role).not.toBe('leader')
    expect(h.core('c').term).toBe(before)
    h.heal()
    h.tick('all', 3)
    // Rejoining does not disrupt the leader.
    expect(h.leaders()).toEqual(['a'])
    expect(h.core('a').term).toBe(before)
  })

  it('check-quorum: a leader cut off from a majority steps down', () => {
    const h = new Harness(['a', 'b', 'c'])
    h.stabilize()
    h.campaign('a')
    h.isolate('a')
    h.tick(['a'], 25)
    expect(h.core('a').role).toBe('follower')
  })

  it('leader lease: a follower that still hears the leader ignores a disruptive candidate', () => {
    const h = new Harness(['a', 'b', 'c'], { options: { preVote: false } })
    h.stabilize()
    h.campaign('a')
    h.tick('all', 1)
    h.cutLink('a', 'c')
    const term = h.core('a').term
    // c campaigns (without pre-vote); b, hearing a, ignores it.
    h.core('c').campaign(false)
    h.stabilize()
    expect(h.core('b').term).toBe(term)
    expect(h.core('a').role).toBe('leader')
  })

  it('votes at most once per term (§5.2 election safety)', () => {
    const h = new Harness(['a', 'b', 'c'], { options: { preVote: false } })
    h.stabilize()
    h.core('a').campaign(false)
    h.core('b').campaign(false)
    h.stabilize()
    const leaders = h.leaders()
    expect(leaders.length).toBeLessThanOrEqual(1)
  })

  it('a node with an out-of-date log is not elected (§5.4.1)', () => {
    const h = new Harness(['a', 'b', 'c'])
    h.stabilize()
    h.campaign('a')
    h.isolate('c')
    h.propose('a', 'x')
    h.heal()
    h.isolate('a')
    // c lacks "x": b must refuse it; b can win.
    h.core('c').campaign(false)
    h.stabilize()
    expect(h.core('c').role).not.toBe('leader')
    h.core('b').campaign(false)
    h.stabilize()
    expect(h.core('b').role).toBe('leader')
  })

  it('a vote after a won pre-vote does not override the leader lease (only a transfer does)', () => {
    const h = new Harness(['a', 'b', 'c'])
    h.stabilize()
    const votes: Array<{ type: string, force?: boolean }> = []
    h.observe = (m) => { if (m.type === 'vote') votes.push(m) }
    h.campaign('a')
    expect(votes.length).toBeGreaterThan(0)
    expect(votes.every((v) => v.force !== true)).toBe(true)
    votes.length = 0
    h.core('a').transferLeadership('b')
    h.stabilize()
    expect(votes.some((v) => v.force === true)).toBe(true)
  })
})

