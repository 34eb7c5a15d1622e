// RecentIds: the proposal-id window RaftNode uses to apply a retried proposal once.

import { describe, expect, it } from 'vitest'
import { RecentIds } from '../../raft/recent-ids.ts'

describe('RecentIds', () => {
  it('finds ids until they are evicted by index', () => {
    const ids = new RecentIds()
    ids.add('a', 1)
    ids.add('b', 2)
    ids.add('c', 3)
    expect(ids.get('b')).toBe(2)
    ids.evictThrough(2)
    expect([ids.get('a'), ids.get('b'), ids.get('c')]).toEqual([undefined, undefined, 3])
    expect(ids.size).toBe(1)
    expect(ids.entries()).toEqual([['c', 3]])
  })

  it('keeps a later entry with the same id when the earlier one is evicted', () => {
    const ids = new RecentIds()
    ids.add('x', 5)
    ids.add('x', 9)
    ids.evictThrough(5)
    expect(ids.get('x')).toBe(9)
    ids.evictThrough(9)
    expect(ids.get('x')).toBeUndefined()
    expect(ids.size).toBe(0)
  })

  it('stays exact across many evictions (the arrays are compacted along the way)', () => {
    const ids = new RecentIds()
    const window = 1000
    for (let i = 1; i <= 20_000; i++) {
      ids.add(`id-${i}`, i)
      ids.evictThrough(i - window)
    }
    expect(ids.size).toBe(window)
    expect(ids.get(`id-${20_000 - window}`)).toBeUndefined()
    expect(ids.get(`id-${20_000 - window + 1}`)).toBe(20_000 - window + 1)
    const entries = ids.entries()
    expect(entries[0]).toEqual([`id-${20_000 - window + 1}`, 20_000 - window + 1])
    expect(entries.at(-1)).toEqual(['id-20000', 20_000])
  })

  it('reset replaces everything with snapshot pairs', () => {
    const ids = new RecentIds()
    ids.add('old', 1)
    ids.reset([['p', 10], ['q', 11]])
    expect(ids.get('old')).toBeUndefined()
    expect(ids.entries()).toEqual([['p', 10], ['q', 11]])
  })
})
