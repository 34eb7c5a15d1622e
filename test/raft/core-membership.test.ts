import { describe, expect, it } from 'vitest'
import { ConfChangeInProgressError, InvalidConfChangeError } from '../../raft/errors.ts'
import { Harness } from './harness.ts'

// Single-server membership changes (Raft dissertation §4.1): add a learner, promote, demote, remove.

function cluster (ids: string[], learners: string[] = []): Harness {
  const h = new Harness([...ids, ...learners], { bootstrap: ids })
  // Learners-to-be start empty: they know nothing until the leader adds them.
  h.stabilize()
  h.campaign(ids[0] as string)
  h.tick('all', 1)
  return h
}

describe('membership changes (dissertation §4.1)', () => {
  it('a learner receives the log but does not vote or count for the quorum', () => {
    const h = cluster(['a', 'b', 'c'], ['d'])
    h.core('a').proposeConfChange({ type: 'addLearner', node: 'd' })
    h.stabilize()
    h.propose('a', 'x')
    h.tick('all', 1)
    expect(h.appliedData('d')).toEqual(['x'])
    expect(h.core('d').membership.learners.has('d')).toBe(true)
    // d never campaigns, however long it waits.
    h.isolate('d')
    h.tick(['d'], 50)
    expect(h.core('d').role).toBe('follower')
    h.heal()
    // With b and c gone, a and d are not a quorum of {a, b, c}: nothing commits.
    h.down.add('b')
    h.down.add('c')
    const before = h.core('a').log.commit
    h.core('a').propose(new TextEncoder().encode('y'))
    h.stabilize()
    expect(h.core('a').log.commit).toBe(before)
  })

  it('promoting a learner makes it a voter that counts for commit', () => {
    const h = cluster(['a', 'b', 'c'], ['d'])
    h.core('a').proposeConfChange({ type: 'addLearner', node: 'd' })
    h.stabilize()
    h.tick('all', 1)
    h.core('a').proposeConfChange({ type: 'addVoter', node: 'd' })
    h.stabilize()
    h.tick('all', 1)
    expect(h.core('a').membership.voters.has('d')).toBe(true)
    // Voters {a, b, c, d}: quorum 3. With c down, a, b, d still commit.
    h.down.add('c')
    h.propose('a', 'z')
    expect(h.appliedData('d')).toContain('z')
  })

  it('demote and remove: the removed node stops receiving the log', () => {
    const h = cluster(['a', 'b', 'c'])
    h.core('a').proposeConfChange({ type: 'demote', node: 'c' })
    h.stabilize()
    h.tick('all', 1)
    expect(h.core('a').membership.learners.has('c')).toBe(true)
    h.core('a').proposeConfChange({ type: 'remove', node: 'c' })
    h.stabilize()
    h.tick('all', 1)
    expect(h.core('a').membership.isMember('c')).toBe(false)
    h.propose('a', 'after-remove')
    h.tick('all', 1)
    expect(h.appliedData('c')).not.toContain('after-remove')
    expect(h.appliedData('b')).toContain('after-remove')
  })

  it('one change at a time: a second change before the first applies is refused', () => {
    const h = cluster(['a', 'b', 'c'], ['d', 'e'])
    h.core('a').proposeConfChange({ type: 'addLearner', node: 'd' })
    expect(() => h.core('a').proposeConfChange({ type: 'addLearner', node: 'e' })).toThrow(ConfChangeInProgressError)
    h.stabilize()
    expect(() => h.core('a').proposeConfChange({ type: 'addLearner', node: 'e' })).not.toThrow()
  })

  it('refuses to remove or demote the last voter', () => {
    const h = cluster(['a'])
    expect(() => h.core('a').proposeConfChange({ type: 'remove', node: 'a' })).toThrow(InvalidConfChangeError)
    expect(() => h.core('a').proposeConfChange({ type: 'demote', node: 'a' })).toThrow(InvalidConfChangeError)
  })

  it('a leader that removes itself steps down once the change commits (§4.2.2), and the rest elect a leader', () => {
    const h = cluster(['a', 'b', 'c'])
    h.core('a').proposeConfChange({ type: 'remove', node: 'a' })
    h.stabilize()
    expect(h.core('a').role).toBe('follower')
    h.tick(['b', 'c'], 30)
    const leaders = h.leaders().filter((id) => id !== 'a')
    expect(leaders).toHaveLength(1)
    expect(h.core(leaders[0] as string).membership.voters).toEqual(new Set(['b', 'c']))
  })

  it('membership survives a restart (rebuilt from snapshot and log)', () => {
    const h = cluster(['a', 'b', 'c'], ['d'])
    h.core('a').proposeConfChange({ type: 'addLearner', node: 'd' })
    h.stabilize()
    h.tick('all', 1)
    h.restart('d')
    h.stabilize()
    // Restarted with applied = 0: the conf change is re-applied when its entry is handed out again.
    expect(h.core('d').membership.learners.has('d')).toBe(true)
    h.restart('b')
    h.stabilize()
    expect(h.core('b').membership.learners.has('d')).toBe(true)
  })
})
