// Proposals a follower forwards to the leader ('propose', etcd's MsgProp) and sends again on its
// resend timer: the leader appends each id once per term, and a resend after a leader change
// still gets in.

import { describe, expect, it } from 'vitest'
import type { Entry, Message, NodeId } from '../../raft/types.ts'
import { Harness } from './harness.ts'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

function propose (from: NodeId, to: NodeId, term: number, ...ids: string[]): Message {
  return { type: 'propose', from, to, term, entries: ids.map((id) => ({ data: enc(`v-${id}`), id })) }
}

/** Entries in `id`'s log that carry proposal id `pid`. */
function copies (h: Harness, id: NodeId, pid: string): Entry[] {
  const log = h.core(id).log
  const out: Entry[] = []
  for (let i = log.snapshotIndex + 1; i <= log.lastIndex(); i++) {
    const e = log.entry(i)
    if (e?.id === pid) out.push(e)
  }
  return out
}

function elect (ids: NodeId[], leader: NodeId, options = {}): Harness {
  const h = new Harness(ids, { options })
  h.stabilize()
  h.campaign(leader)
  return h
}

describe('forwarded proposals on the leader', () => {
  it('a resend of an id already in the log this term is dropped; the follower gets the first copy and applies it once', () => {
    const h = elect(['a', 'b', 'c'], 'a')
    const term = h.core('a').term
    // b's forward reaches a, which cannot commit it for a while: b's timer sends it again.
    h.isolate('a')
    h.core('a').step(propose('b', 'a', term, 'w1'))
    h.stabilize()
    h.core('a').step(propose('b', 'a', term, 'w1', 'w2'))
    h.core('a').step(propose('b', 'a', term, 'w1'))
    h.stabilize()
    expect(copies(h, 'a', 'w1')).toHaveLength(1)
    expect(copies(h, 'a', 'w2')).toHaveLength(1)
    h.heal()
    h.tick('all', 3)
    expect(copies(h, 'b', 'w1')).toHaveLength(1)
    expect(h.appliedData('b')).toEqual(['v-w1', 'v-w2'])
  })

  it('a resend of an id the leader already applied is dropped when the driver still knows the id (appliedId)', () => {
    const applied = new Set<string>()
    const h = elect(['a', 'b', 'c'], 'a', { appliedId: (id: string) => applied.has(id) })
    const term = h.core('a').term
    h.core('a').step(propose('b', 'a', term, 'w1'))
    h.tick('all', 2)
    expect(h.appliedData('a')).toEqual(['v-w1'])
    // Applied: out of the core's own set, in the driver's dedupe window.
    expect(h.core('a').appendedIds.has('w1')).toBe(false)
    applied.add('w1')
    h.core('a').step(propose('b', 'a', term, 'w1'))
    h.stabilize()
    expect(copies(h, 'a', 'w1')).toHaveLength(1)
  })

  it('after a leader change, a resend of a proposal the old leader lost is appended by the new one and applied once', () => {
    const h = elect(['a', 'b', 'c'], 'a')
    // a appends w1, then is cut off before anyone else has it.
    h.isolate('a')
    h.core('a').step(propose('b', 'a', h.core('a').term, 'w1'))
    h.stabilize()
    expect(copies(h, 'a', 'w1')).toHaveLength(1)
    h.tick(['b', 'c'], 30)
    const leader = h.leaders().find((id) => id !== 'a') as NodeId
    // c's forwarder sends it again to the new leader (a new leader and term: resendAll).
    h.core(leader).step(propose('c', leader, h.core(leader).term, 'w1'))
    h.stabilize()
    expect(copies(h, leader, 'w1')).toHaveLength(1)
    h.heal()
    h.tick('all', 40)
    for (const id of ['a', 'b', 'c']) expect(h.appliedData(id)).toEqual(['v-w1'])
  })

  it('a leader that steps down forgets what it appended: re-elected in a later term, it takes a resend again (the apply dedupe keeps it to one)', () => {
    const h = elect(['a', 'b', 'c'], 'a')
    h.isolate('a')
    h.core('a').step(propose('b', 'a', h.core('a').term, 'w1'))
    h.stabilize()
    // Check-quorum: cut off for an election timeout, a steps down.
    h.tick(['a'], 20)
    expect(h.core('a').role).not.toBe('leader')
    expect(h.core('a').appendedIds.size).toBe(0)
    h.heal()
    // Forced, as a leadership transfer would (b and c still hold a's lease).
    h.core('a').campaign(true)
    h.stabilize()
    expect(h.leaders()).toEqual(['a'])
    h.core('a').step(propose('b', 'a', h.core('a').term, 'w1'))
    h.stabilize()
    expect(copies(h, 'a', 'w1')).toHaveLength(2)
  })
})
