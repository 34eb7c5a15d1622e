import { describe, expect, it } from 'vitest'
import { RaftCore } from '../../raft/core.ts'
import { NotLeaderError, ProposalQueueFullError } from '../../raft/errors.ts'
import type { Entry, Message } from '../../raft/types.ts'
import { Harness, seededRandom } from './harness.ts'

function elect (ids = ['a', 'b', 'c']): Harness {
  const h = new Harness(ids)
  h.stabilize()
  h.campaign(ids[0] as string)
  return h
}

describe('log replication (§5.3)', () => {
  it('commits a proposal on a majority and every node applies it in order', () => {
    const h = elect()
    h.propose('a', 'one')
    h.propose('a', 'two')
    h.tick('all', 1)
    for (const id of ['a', 'b', 'c']) expect(h.appliedData(id)).toEqual(['one', 'two'])
  })

  it('log matching: after a leader change, divergent uncommitted entries are replaced', () => {
    const h = elect(['a', 'b', 'c', 'd', 'e'])
    h.isolate('a')
    // a appends entries that never reach anyone.
    h.core('a').propose(new TextEncoder().encode('lost-1'))
    h.core('a').propose(new TextEncoder().encode('lost-2'))
    h.stabilize()
    // The rest elect a leader once a's lease has run out.
    h.tick(['b', 'c', 'd', 'e'], 30)
    const leader = h.leaders().find((id) => id !== 'a')!
    h.propose(leader, 'kept')
    h.heal()
    h.tick('all', 3)
    const bLog = h.core(leader).log
    const aLog = h.core('a').log
    expect(aLog.lastIndex()).toBe(bLog.lastIndex())
    for (let i = 1; i <= bLog.lastIndex(); i++) expect(aLog.term(i)).toBe(bLog.term(i))
    expect(h.appliedData('a')).toEqual(['kept'])
  })

  it('fast back-off: a follower with a long divergent tail is repaired in a few round trips, not one per entry', () => {
    const h = elect(['a', 'b', 'c'])
    h.tick('all', 1)
    // a, cut off, appends 50 entries nobody else gets.
    h.isolate('a')
    for (let i = 0; i < 50; i++) h.core('a').propose(new TextEncoder().encode(`stale${i}`))
    h.stabilize()
    // b and c elect a new leader and commit 50 entries of a later term.
    h.tick(['b', 'c'], 30)
    const leader = h.leaders().find((id) => id !== 'a')!
    for (let i = 0; i < 50; i++) h.core(leader).propose(new TextEncoder().encode(`new${i}`))
    h.stabilize()
    // Hand leadership over, so the new leader's first guess for a's position is its own log end.
    const other = leader === 'b' ? 'c' : 'b'
    h.core(leader).transferLeadership(other)
    h.stabilize()
    expect(h.leaders()).toContain(other)
    h.heal()
    let rejects = 0
    h.observe = (m) => { if (m.type === 'append-resp' && !m.success && m.from === 'a') rejects++ }
    for (let round = 0; round < 200 && h.core('a').log.lastIndex() !== h.core(other).log.lastIndex(); round++) {
      h.tick([other], 1)
    }
    h.tick('all', 2)
    expect(h.appliedData('a').filter((d) => d.startsWith('new'))).toHaveLength(50)
    expect(h.appliedData('a').some((d) => d.startsWith('stale'))).toBe(false)
    expect(rejects).toBeLessThanOrEqual(3)
  })

  it('every follower learns the new commit index without waiting for a heartbeat, the slower one too', () => {
    const h = elect()
    h.tick('all', 1)
    for (let i = 0; i < 5; i++) {
      h.core('a').propose(new TextEncoder().encode(`v${i}`))
      // No ticks, so no heartbeat carries the commit index; and c always answers last, after
      // a has already committed with b's answer and sent its messages.
      for (let round = 0; round < 20; round++) {
        h.processReadies()
        h.deliver((m) => !(m.from === 'c' && m.type === 'append-resp' && h.core('a').log.commit < h.core('a').log.lastIndex()))
      }
      h.stabilize()
      for (const id of ['b', 'c']) expect(h.core(id).log.commit).toBe(h.core('a').log.commit)
    }
  })

  it('batches: many proposals before one ready() travel in one AppendEntries per follower', () => {
    const h = elect()
    for (let i = 0; i < 100; i++) h.core('a').propose(new TextEncoder().encode(`p${i}`))
    h.processReadies()
    const appends = h.queue.filter((m) => m.type === 'append' && m.entries.length > 0)
    expect(appends).toHaveLength(2)
    expect(appends.every((m) => m.type === 'append' && m.entries.length === 100)).toBe(true)
    h.stabilize()
    expect(h.appliedData('b')).toHaveLength(100)
  })

  it('pipelines up to maxInflight AppendEntries before any response', () => {
    const h = new Harness(['a', 'b'], { options: { maxInflight: 4, maxMsgBytes: 1 } })
    h.stabilize()
    h.campaign('a')
    h.tick('all', 1)
    for (let i = 0; i < 10; i++) h.core('a').propose(new TextEncoder().encode(`p${i}`))
    h.processReadies()
    const toB = h.queue.filter((m) => m.type === 'append' && m.to === 'b' && m.entries.length > 0)
    expect(toB).toHaveLength(4)
    h.stabilize()
    expect(h.appliedData('b')).toHaveLength(10)
  })

  it('the leader replicates before its own entries are durable, but counts itself only once they are', () => {
    const h = elect()
    h.tick('all', 1)
    const a = h.core('a')
    a.propose(new TextEncoder().encode('v'))
    const rd = a.ready()
    // The appends may go out while the leader's fsync runs.
    expect(rd.earlyMessages.some((m) => m.type === 'append' && m.entries.length === 1)).toBe(true)
    expect(rd.entries).toHaveLength(1)
    // Followers acknowledge; without the leader's own write the two followers are still a majority of 3.
    for (const m of rd.earlyMessages) h.core(m.to).step(m)
    const acks: Message[] = []
    for (const id of ['b', 'c']) {
      const frd = h.core(id).ready()
      acks.push(...frd.messages)
      h.core(id).advance(frd)
    }
    for (const m of acks) if (m.to === 'a') a.step(m)
    expect(a.log.commit).toBe(rd.entries[0]?.index)
    a.advance(rd)
  })

  it('in a 2-voter cluster the leader waits for its own fsync before committing', () => {
    const h = elect(['a', 'b'])
    h.tick('all', 1)
    const a = h.core('a')
    a.propose(new TextEncoder().encode('v'))
    const rd = a.ready()
    h.core('b').step(rd.earlyMessages.find((m) => m.to === 'b' && m.type === 'append')!)
    const frd = h.core('b').ready()
    h.core('b').advance(frd)
    for (const m of frd.messages) a.step(m)
    const index = (rd.entries[0] as Entry).index
    expect(a.log.commit).toBeLessThan(index) // b has it, a has not synced: 1 of 2 is no majority
    a.advance(rd)
    expect(a.log.commit).toBe(index)
  })

  it('a follower only answers AppendEntries after what it acknowledges is in the Ready to persist', () => {
    const h = elect()
    h.tick('all', 1)
    h.core('a').propose(new TextEncoder().encode('v'))
    const rd = h.core('a').ready()
    const toB = rd.earlyMessages.find((m) => m.to === 'b' && m.type === 'append')!
    h.core('a').advance(rd)
    h.core('b').step(toB)
    const frd = h.core('b').ready()
    expect(frd.earlyMessages).toEqual([])
    const resp = frd.messages.find((m) => m.type === 'append-resp')
    expect(resp?.type === 'append-resp' && resp.success).toBe(true)
    expect(frd.entries.map((e) => e.index)).toContain(resp?.type === 'append-resp' ? resp.index : -1)
  })
  it('a commit-index update is not answered: each write costs an append and its answer per follower, then the commit', () => {
    const h = elect()
    h.propose('a', 'warm-up')
    h.stabilize()
    const seen: Message[] = []
    h.observe = (m) => { seen.push(m) }
    h.propose('a', 'one')
    h.stabilize()
    h.observe = null
    const appends = seen.filter((m) => m.type === 'append')
    const commits = appends.filter((m) => m.type === 'append' && m.commitOnly === true)
    expect(appends.length - commits.length).toBe(2) // the entry, to b and c
    expect(commits).toHaveLength(2) // the new commit index, to b and c
    expect(seen.filter((m) => m.type === 'append-resp')).toHaveLength(2) // answers to the entry only
    for (const id of ['a', 'b', 'c']) expect(h.appliedData(id)).toEqual(['warm-up', 'one'])
  })

  it('a commit-only update that does not match is still answered, and the follower is repaired', () => {
    const h = elect()
    h.propose('a', 'one')
    h.stabilize()
    // A commit update anchored where b's log does not match (as if b had lost its tail).
    const b = h.core('b')
    const last = h.core('a').log.lastIndex()
    b.step({ type: 'append', from: 'a', to: 'b', term: h.core('a').term, prevLogIndex: last + 5, prevLogTerm: h.core('a').term, entries: [], commit: last, commitOnly: true })
    const answers: Message[] = []
    h.observe = (m) => { if (m.type === 'append-resp') answers.push(m) }
    h.stabilize()
    h.observe = null
    expect(answers.some((m) => m.type === 'append-resp' && !m.success)).toBe(true)
    h.propose('a', 'two')
    h.stabilize()
    expect(h.appliedData('b')).toEqual(['one', 'two'])
  })
})


describe('commitment rules', () => {
  it('§5.4.2: the commit index moves only to an entry of the current term (direct check)', () => {
    const r = new RaftCore({ id: 'a', random: seededRandom(1), preVote: false }, {
      hardState: { term: 2, vote: null, commit: 0 },
      snapshot: { meta: { index: 0, term: 0, conf: { voters: ['a', 'b', 'c'], learners: [] } }, data: new Uint8Array() },
      entries: [{ term: 1, index: 1, data: new Uint8Array() }, { term: 2, index: 2, data: new Uint8Array() }]
    })
    r.campaign(false)
    r.step({ type: 'vote-resp', from: 'b', to: 'a', term: 3, granted: true })
    expect(r.role).toBe('leader')
    const rd = r.ready()
    r.advance(rd)
    // b acknowledges index 2 (a term-2 entry): a majority holds it, yet it must not commit.
    r.step({ type: 'append-resp', from: 'b', to: 'a', term: 3, success: true, index: 2, hintIndex: 0, hintTerm: 0 })
    expect(r.log.commit).toBe(0)
    // b acknowledges the term-3 no-op at index 3: now 1..3 commit together.
    r.step({ type: 'append-resp', from: 'b', to: 'a', term: 3, success: true, index: 3, hintIndex: 0, hintTerm: 0 })
    expect(r.log.commit).toBe(3)
  })

  it('leader completeness (§5.4): a committed entry survives any later election', () => {
    const h = elect(['a', 'b', 'c', 'd', 'e'])
    h.propose('a', 'committed')
    const leaders = new Set<string>()
    for (let round = 0; round < 4; round++) {
      const old = h.leaders()[0] as string
      leaders.add(old)
      h.isolate(old)
      h.tick([...h.nodes.keys()].filter((id) => id !== old), 30)
      h.heal()
      h.tick('all', 2)
    }
    expect(leaders.size).toBeGreaterThan(1)
    for (const id of ['a', 'b', 'c', 'd', 'e']) expect(h.appliedData(id)).toContain('committed')
  })
})

describe('proposals that cannot commit fail fast', () => {
  it('NotLeaderError with the leader hint on a follower, and with null while no leader is known', () => {
    const h = new Harness(['a', 'b', 'c'])
    h.stabilize()
    expect(() => h.core('b').propose(new Uint8Array([1]))).toThrow(NotLeaderError)
    h.campaign('a')
    h.tick('all', 1)
    try {
      h.core('b').propose(new Uint8Array([1]))
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(NotLeaderError)
      expect((err as NotLeaderError).leader).toBe('a')
    }
  })

  it('ProposalQueueFullError once too many entries are uncommitted', () => {
    const h = new Harness(['a', 'b', 'c'], { options: { maxUncommittedEntries: 5 } })
    h.stabilize()
    h.campaign('a')
    h.isolate('a')
    expect(() => { for (let i = 0; i < 10; i++) h.core('a').propose(new Uint8Array([i])) }).toThrow(ProposalQueueFullError)
  })
})
