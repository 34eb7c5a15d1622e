// Commit-index updates a follower is not waiting for are lazy (Ready.lazyMessages): the
// driver may hold them and drop one when an append to the same follower carries the commit.
// A follower whose forwarded proposal just committed gets its update at once.

import { describe, expect, it } from 'vitest'
import { HeldCommits } from '../../raft/held-commits.ts'
import type { Message, NodeId } from '../../raft/types.ts'
import { Harness, electedCluster } from './harness.ts'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

const elect = electedCluster

/** Run `act` and settle, recording which commit updates came out lazy and which at once. */
function commitsOf (h: Harness, act: () => void): { urgent: NodeId[], lazy: NodeId[] } {
  const out = { urgent: [] as NodeId[], lazy: [] as NodeId[] }
  h.onReady = (_id, rd) => {
    for (const m of rd.lazyMessages) if (m.type === 'append' && m.commitOnly === true) out.lazy.push(m.to)
    for (const m of [...rd.earlyMessages, ...rd.messages]) if (m.type === 'append' && m.commitOnly === true) out.urgent.push(m.to)
  }
  act()
  h.stabilize()
  h.onReady = null
  return out
}

describe('lazy commit-index updates', () => {
  it('a write on the leader: both followers get the commit lazily', () => {
    const h = elect()
    const c = commitsOf(h, () => { h.core('a').propose(enc('one')) })
    expect(c.urgent).toEqual([])
    expect(c.lazy.sort()).toEqual(['b', 'c'])
  })

  it('a write forwarded by b: b gets the commit at once, c lazily; later writes on the leader are lazy for b again', () => {
    // 5 voters: the leader and b alone are no majority, so b does not commit by itself (durable-commit.test.ts).
    const h = elect(['a', 'b', 'c', 'd', 'e'])
    const forwarded = commitsOf(h, () => {
      h.core('a').step({ type: 'propose', from: 'b', to: 'a', term: h.core('a').term, entries: [{ data: enc('from-b'), id: 'p1' }] })
    })
    expect(forwarded.urgent).toEqual(['b'])
    expect(forwarded.lazy.sort()).toEqual(['c', 'd', 'e'])
    const later = commitsOf(h, () => { h.core('a').propose(enc('two')) })
    expect(later.urgent).toEqual([])
    expect(later.lazy.sort()).toEqual(['b', 'c', 'd', 'e'])
    for (const id of ['a', 'b', 'c', 'd', 'e']) expect(h.appliedData(id)).toEqual(['warm-up', 'from-b', 'two'])
  })

  it('a new term forgets who forwarded what', () => {
    const h = elect()
    h.core('a').step({ type: 'propose', from: 'b', to: 'a', term: h.core('a').term, entries: [{ data: enc('x'), id: 'p1' }] })
    expect(h.core('a').forwardedThrough.get('b')).toBeGreaterThan(0)
    h.core('a').transferLeadership('c')
    h.stabilize()
    expect(h.core('a').forwardedThrough.size).toBe(0)
  })
})

describe('HeldCommits (the driver side)', () => {
  function setup (): { held: HeldCommits, sent: Message[][], fire: () => void, timers: () => number } {
    const sent: Message[][] = []
    let pending: (() => void) | null = null
    let started = 0
    const held = new HeldCommits({
      delayMs: 2,
      send: (ms) => { sent.push(ms) },
      setTimer: (fn) => { pending = fn; started++; return started },
      clearTimer: () => { pending = null }
    })
    return { held, sent, fire: () => { const fn = pending; pending = null; fn?.() }, timers: () => started }
  }
  const commit = (to: NodeId, c: number): Message => ({ type: 'append', from: 'a', to, term: 2, prevLogIndex: c, prevLogTerm: 2, entries: [], commit: c, commitOnly: true })
  const append = (to: NodeId): Message => ({ type: 'append', from: 'a', to, term: 2, prevLogIndex: 9, prevLogTerm: 2, entries: [{ index: 10, term: 2, data: enc('e') }], commit: 9 })

  it('sends held updates when the delay ends, only the newest per follower, with one timer', () => {
    const { held, sent, fire, timers } = setup()
    held.hold([commit('b', 5), commit('c', 5)])
    held.hold([commit('b', 6)])
    expect(sent).toEqual([])
    expect(timers()).toBe(1)
    fire()
    expect(sent).toEqual([[commit('b', 6), commit('c', 5)]])
    expect(held.size).toBe(0)
  })

  it('an append to a follower drops its held update; others still go out', () => {
    const { held, sent, fire } = setup()
    held.hold([commit('b', 5), commit('c', 5)])
    held.supersede([append('b'), { type: 'heartbeat', from: 'a', to: 'c', term: 2, commit: 4 }])
    fire()
    expect(sent).toEqual([[commit('c', 5)]])
  })

  it('nothing goes out after clear (the node stopped)', () => {
    const { held, sent, fire } = setup()
    held.hold([commit('b', 5)])
    held.clear()
    fire()
    expect(sent).toEqual([])
  })
})

describe('who hears first', () => {
  it('the append of a forwarded write goes first to the follower that forwarded it', () => {
    const h = new Harness(['a', 'b', 'c'])
    h.stabilize()
    h.campaign('a')
    h.propose('a', 'warm-up')
    h.stabilize()
    for (const origin of ['c', 'b']) {
      const order: NodeId[] = []
      h.onReady = (id, rd) => { if (id === 'a') for (const m of rd.earlyMessages) if (m.type === 'append' && m.entries.length > 0) order.push(m.to) }
      h.core('a').step({ type: 'propose', from: origin, to: 'a', term: h.core('a').term, entries: [{ data: enc(`from-${origin}`), id: `p-${origin}` }] })
      h.stabilize()
      h.onReady = null
      expect(order[0]).toBe(origin)
    }
  })
})

describe('HeldCommits with no delay', () => {
  it('sends at once and holds nothing', () => {
    const sent: Message[][] = []
    const held = new HeldCommits({ delayMs: 0, send: (ms) => { sent.push(ms) }, setTimer: () => { throw new Error('no timer expected') } })
    const m: Message = { type: 'append', from: 'a', to: 'b', term: 2, prevLogIndex: 3, prevLogTerm: 2, entries: [], commit: 3, commitOnly: true }
    held.hold([m])
    expect(sent).toEqual([[m]])
    expect(held.size).toBe(0)
  })
})
