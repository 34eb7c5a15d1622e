// A follower waiting for a write it forwarded commits it by itself once it holds the entry on
// disk, when the leader told it that its own copy is on disk and the two are a majority of
// the voters (LeaderDurable, AppendRequest.durable): two hops sooner than through its
// acknowledgement and the commit index coming back. Never otherwise.

import { describe, expect, it } from 'vitest'
import type { Message, NodeId } from '../../raft/types.ts'
import { Harness, electedCluster } from './harness.ts'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

const elect = electedCluster

function forward (h: Harness, from: NodeId, text: string, id: string): void {
  h.core('a').step({ type: 'propose', from, to: 'a', term: h.core('a').term, entries: [{ data: enc(text), id }] })
}

/** One round: every node handles its Ready (persisting it), then every queued message is delivered. */
function round (h: Harness): Message[] {
  const seen: Message[] = []
  h.observe = (m) => { seen.push(m) }
  h.processReadies()
  h.deliver()
  h.observe = null
  return seen
}

describe('a follower commits what it and the leader both hold on disk (3 voters)', () => {
  it('b commits its forwarded write after its own write, with no commit-index update from the leader', () => {
    const h = elect()
    forward(h, 'b', 'from-b', 'p1')
    const index = h.core('a').log.lastIndex()
    const first = round(h) // the leader appends, writes, sends the entry and then its durable index
    expect(first.some((m) => m.type === 'append' && m.to === 'b' && m.entries.length > 0)).toBe(true)
    expect(first).toContainEqual(expect.objectContaining({ type: 'durable', to: 'b', index }))
    expect(first.some((m) => m.type === 'durable' && m.to === 'c')).toBe(false) // c forwarded nothing
    // b holds the entry but has not written it: the leader's copy alone is not a majority.
    expect(h.core('b').log.commit).toBeLessThan(index)
    round(h) // b writes it: now two copies are on disk
    expect(h.core('b').log.commit).toBe(index)
    round(h)
    expect(h.appliedData('b')).toEqual(['warm-up', 'from-b'])
    // Settling: the leader, told that b commits by itself, sends it no commit-index update.
    const rest: Message[] = []
    h.observe = (m) => { rest.push(m) }
    h.stabilize()
    expect(rest.filter((m) => m.to === 'b' && m.type === 'append' && m.commitOnly === true)).toEqual([])
    for (const id of ['a', 'b', 'c']) expect(h.appliedData(id)).toEqual(['warm-up', 'from-b'])
  })

  it('a durable index from the leader does not commit entries the follower has not written', () => {
    const h = elect()
    forward(h, 'b', 'x', 'p1')
    const index = h.core('a').log.lastIndex()
    round(h)
    const b = h.core('b')
    b.step({ type: 'durable', from: 'a', to: 'b', term: b.term, index: index + 5 })
    expect(b.log.commit).toBeLessThan(index)
    expect(b.log.stable).toBeLessThan(index)
  })

  it('entries of an earlier term are not committed by the two copies alone (§5.4.2)', () => {
    const h = new Harness(['a', 'b', 'c']) // the bootstrap entries 1..3 (term 1) are committed
    const b = h.core('b')
    // Leader a, term 3, sends b an entry of term 2 that b writes; a says its log is on disk far beyond.
    b.step({ type: 'append', from: 'a', to: 'b', term: 3, prevLogIndex: 3, prevLogTerm: 1, entries: [{ index: 4, term: 2, data: enc('old') }], commit: 3 })
    h.processReadies()
    b.step({ type: 'durable', from: 'a', to: 'b', term: 3, index: 10 })
    expect(b.log.stable).toBe(4)
    expect(b.log.commit).toBe(3)
    // An entry of the leader's term, written: it commits, and the older one with it.
    b.step({ type: 'append', from: 'a', to: 'b', term: 3, prevLogIndex: 4, prevLogTerm: 2, entries: [{ index: 5, term: 3, data: enc('new') }], commit: 3 })
    expect(b.log.commit).toBe(3)
    h.processReadies()
    expect(b.log.commit).toBe(5)
    // A durable index from a previous term's leader is ignored (stale term).
    b.step({ type: 'durable', from: 'c', to: 'b', term: 2, index: 99 })
    expect(b.leaderDurable).toBe(10)
  })

  it('what the follower took from another leader, or in another term, does not count', () => {
    const h = elect()
    forward(h, 'b', 'x', 'p1')
    round(h)
    round(h)
    expect(h.core('b').leaderMatch).toBeGreaterThan(0)
    h.core('a').transferLeadership('c')
    h.stabilize()
    expect(h.leaders()).toEqual(['c'])
    expect(h.core('b').leaderDurable).toBe(0)
    expect(h.core('b').leaderMatch).toBe(h.core('b').log.lastIndex()) // from c, in c's term
  })
})

describe('reads', () => {
  it('writes on the leader carry no durable index, so ReadIndex does not wait for them', () => {
    const h = elect()
    const sent: Message[] = []
    h.observe = (m) => { sent.push(m) }
    h.core('a').propose(enc('one'))
    h.stabilize()
    expect(sent.filter((m) => m.type === 'durable' || (m.type === 'append' && m.durable !== undefined))).toEqual([])
    expect(h.core('a').durableSent).toBe(0)
  })

  it('a read issued while a forwarded write is durable on the leader waits for that write to commit', () => {
    const h = elect()
    forward(h, 'b', 'from-b', 'p1')
    const index = h.core('a').log.lastIndex()
    round(h) // the leader has written it and told b so; b may commit it by itself
    expect(h.core('a').durableSent).toBe(index)
    h.core('c').readIndex('r1')
    h.stabilize()
    expect(h.node('c').reads).toContainEqual({ ctx: 'r1', index })
  })
})

describe('when the leader and one follower are not a majority', () => {
  it('5 voters: no durable index is sent, the commit comes back from the leader', () => {
    const h = elect(['a', 'b', 'c', 'd', 'e'])
    const sent: Message[] = []
    h.observe = (m) => { sent.push(m) }
    forward(h, 'b', 'from-b', 'p1')
    h.stabilize()
    expect(sent.filter((m) => m.type === 'durable' || (m.type === 'append' && m.durable !== undefined))).toEqual([])
    expect(sent.some((m) => m.to === 'b' && m.type === 'append' && m.commitOnly === true)).toBe(true)
    expect(h.appliedData('b')).toEqual(['warm-up', 'from-b'])
  })

  it('a learner never gets one', () => {
    const h = elect(['a', 'b', 'c'])
    h.add('l')
    h.core('a').proposeConfChange({ type: 'addLearner', node: 'l' })
    h.stabilize()
    const sent: Message[] = []
    h.observe = (m) => { sent.push(m) }
    forward(h, 'l', 'from-l', 'p1')
    h.stabilize()
    expect(sent.filter((m) => m.to === 'l' && (m.type === 'durable' || (m.type === 'append' && m.durable !== undefined)))).toEqual([])
    expect(h.appliedData('l')).toEqual(['warm-up', 'from-l'])
  })

  it('while a membership change is pending, none is sent', () => {
    const h = elect(['a', 'b', 'c'])
    h.add('d')
    h.core('a').proposeConfChange({ type: 'addVoter', node: 'd' })
    forward(h, 'b', 'from-b', 'p1')
    // Until the change commits and applies, the pair (a, b) may not decide alone.
    const first = round(h)
    expect(first.filter((m) => m.type === 'append' && m.to === 'b').length).toBeGreaterThan(0)
    expect(first.filter((m) => m.type === 'durable' || (m.type === 'append' && m.durable !== undefined))).toEqual([])
    const sent: Message[] = []
    h.observe = (m) => { sent.push(m) }
    h.stabilize()
    expect(h.core('a').membership.voters.size).toBe(4)
    sent.length = 0
    forward(h, 'b', 'again', 'p2')
    h.stabilize()
    expect(sent.filter((m) => m.type === 'durable' || (m.type === 'append' && m.durable !== undefined))).toEqual([]) // 4 voters: 2 is not a majority
    for (const id of ['a', 'b', 'c', 'd']) expect(h.appliedData(id)).toEqual(['warm-up', 'from-b', 'again'])
  })
})

describe('appends to a follower nobody waits for', () => {
  function appendsOf (h: Harness, act: () => void): { early: NodeId[], afterWrite: NodeId[] } {
    const out = { early: [] as NodeId[], afterWrite: [] as NodeId[] }
    h.onReady = (id, rd) => {
      if (id !== 'a') return
      for (const m of rd.earlyMessages) if (m.type === 'append' && m.entries.length > 0) out.early.push(m.to)
      for (const m of rd.messages) if (m.type === 'append' && m.entries.length > 0) out.afterWrite.push(m.to)
    }
    act()
    h.stabilize()
    h.onReady = null
    return out
  }

  it('at one write in flight, go after the leader\'s own write; the waiting follower\'s at once', () => {
    const h = elect()
    const sent = appendsOf(h, () => { forward(h, 'b', 'from-b', 'p1') })
    expect(sent).toEqual({ early: ['b'], afterWrite: ['c'] })
    for (const id of ['a', 'b', 'c']) expect(h.appliedData(id)).toEqual(['warm-up', 'from-b'])
  })

  it('under load (many uncommitted entries), go at once', () => {
    const h = elect()
    for (let i = 0; i < 10; i++) h.core('a').propose(enc(`w${i}`))
    const sent = appendsOf(h, () => { forward(h, 'b', 'from-b', 'p1') })
    expect(sent.afterWrite).toEqual([])
    expect(sent.early.sort()).toEqual(['b', 'c'])
  })

  it('a waiting follower that cannot take appends (unreachable, window full) holds back nobody', () => {
    const h = new Harness(['a', 'b', 'c'], { options: { maxInflight: 2 } })
    h.stabilize()
    h.campaign('a')
    h.propose('a', 'warm-up')
    h.isolate('b')
    for (let i = 0; i < 6; i++) h.propose('a', `x${i}`)
    expect(h.core('a').progress.get('b')?.paused()).toBe(true)
    forward(h, 'b', 'from-b', 'p1') // sent just before the cut: b now waits, and will for the whole term
    h.stabilize()
    const sent = appendsOf(h, () => { for (let i = 0; i < 5; i++) { h.core('a').propose(enc(`w${i}`)); h.stabilize() } })
    expect(sent.afterWrite).toEqual([])
    expect(sent.early.filter((to) => to === 'c')).toHaveLength(5)
  })

  it('a write on the leader itself: every append at once', () => {
    const h = elect()
    const sent = appendsOf(h, () => { h.core('a').propose(enc('one')) })
    expect(sent).toEqual({ early: ['b', 'c'], afterWrite: [] })
  })
})
