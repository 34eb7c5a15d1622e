import { describe, expect, it } from 'vitest'
import { nextVoterAction, targetVoters, type MemberView } from '../../../src/agent/voter-policy.ts'

const m = (id: string, voter: boolean, healthy = true, caughtUp = true): MemberView => ({ id, voter, healthy, caughtUp })

describe('voter policy', () => {
  it('targets 1 voter for 1–2 agents, 3 for 3–6, 5 for 7+', () => {
    expect([1, 2, 3, 6, 7, 20].map(targetVoters)).toEqual([1, 1, 3, 3, 5, 5])
  })

  it('promotes caught-up learners up to the target, one at a time, in id order', () => {
    const members = [m('a', true), m('c', false), m('b', false)]
    expect(nextVoterAction(members, 'a')).toMatchObject({ type: 'promote', id: 'b' })
    expect(nextVoterAction([m('a', true), m('b', true), m('c', false)], 'a')).toMatchObject({ type: 'promote', id: 'c' })
    expect(nextVoterAction([m('a', true), m('b', true), m('c', true)], 'a')).toBeNull()
  })

  it('does not promote a learner that is behind or unreachable', () => {
    expect(nextVoterAction([m('a', true), m('b', false, true, false), m('c', false, false, true)], 'a')).toBeNull()
  })

  it('replaces a dead voter: demote it first, then promote the learner', () => {
    const members = [m('a', true), m('b', true), m('c', true, false), m('d', false)]
    expect(nextVoterAction(members, 'a')).toMatchObject({ type: 'demote', id: 'c' })
    const after = [m('a', true), m('b', true), m('c', false, false), m('d', false)]
    expect(nextVoterAction(after, 'a')).toMatchObject({ type: 'promote', id: 'd' })
  })

  it('keeps a dead voter when no learner can replace it', () => {
    expect(nextVoterAction([m('a', true), m('b', true), m('c', true, false)], 'a')).toBeNull()
  })

  it('does nothing without a quorum of healthy voters', () => {
    expect(nextVoterAction([m('a', true), m('b', true, false), m('c', true, false), m('d', false)], 'a')).toBeNull()
  })

  it('never demotes the leader, and trims voters beyond the target', () => {
    const members = [m('a', true), m('b', true), m('c', true), m('d', true)]
    // 4 agents want 3 voters: demote one that is not the leader.
    const action = nextVoterAction(members, 'd')
    expect(action?.type).toBe('demote')
    expect(action?.id).not.toBe('d')
  })

  it('7 agents settle on 5 voters and 2 learners', () => {
    let members = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id, i) => m(id, i === 0))
    for (let i = 0; i < 10; i++) {
      const act = nextVoterAction(members, 'a')
      if (act === null) break
      members = members.map((x) => x.id === act.id ? { ...x, voter: act.type === 'promote' } : x)
    }
    expect(members.filter((x) => x.voter)).toHaveLength(5)
  })
})
