// RecentIds: the proposal-id window RaftNode uses to apply a retried proposal once.

import { describe, expect, it } from 'vitest'
import { RecentIds } from '../../raft/recent-ids.ts'

/** A window of `ids` ([id, index], in order) checked against a plain Map model. */
function model (pairs: Array<[string, number]>, evictedThrough: number): Map<string, number> {
  const m = new Map<string, number>()
  for (const [id, index] of pairs) if (index > evictedThrough) m.set(id, index)
  return m
}

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
  })

  it('keeps a later entry with the same id when the earlier one is evicted', () => {
    const ids = new RecentIds()
    ids.add('x', 5)
    ids.add('x', 9)
    expect(ids.get('x')).toBe(9)
    ids.evictThrough(5)
    expect(ids.get('x')).toBe(9)
    ids.evictThrough(9)
    expect(ids.get('x')).toBeUndefined()
    expect(ids.size).toBe(0)
  })

  it('stays exact across growth, wrap-around and many evictions, retries included', () => {
    const ids = new RecentIds()
    const window = 3000
    const pairs: Array<[string, number]> = []
    for (let i = 1; i <= 20_000; i++) {
      // Every 7th entry repeats an id from a few entries back (a retried proposal).
      const id = i % 7 === 0 ? `id-${i - 3}` : `id-${i}`
      pairs.push([id, i])
      ids.add(id, i)
      ids.evictThrough(i - window)
    }
    const expected = model(pairs, 20_000 - window)
    expect(ids.size).toBe(window)
    for (let i = 1; i <= 20_000; i++) expect(ids.get(`id-${i}`)).toBe(expected.get(`id-${i}`))
  })

  it('restores from its own encoding, with the same lookups and the same bytes', () => {
    const ids = new RecentIds()
    for (let i = 1; i <= 2500; i++) ids.add(`p-${i % 2000}`, i)
    ids.evictThrough(700)
    const copy = new RecentIds()
    copy.restore(ids.encode())
    expect(copy.size).toBe(ids.size)
    expect(Buffer.from(copy.encode()).equals(Buffer.from(ids.encode()))).toBe(true)
    for (let i = 0; i < 2000; i++) expect(copy.get(`p-${i}`)).toBe(ids.get(`p-${i}`))
    expect(copy.get('p-700')).toBeUndefined()
    expect(copy.get('p-1999')).toBe(1999)
    expect(copy.get('p-1')).toBe(2001)
  })

  it('restores from the [id, index] pairs of a snapshot written before ids were hashed', () => {
    const ids = new RecentIds()
    ids.add('old', 1)
    ids.restore([['p', 10], ['q', 11]])
    expect(ids.get('old')).toBeUndefined()
    expect([ids.get('p'), ids.get('q'), ids.size]).toEqual([10, 11, 2])
  })

  it('refuses bytes that are not whole records', () => {
    expect(() => { new RecentIds().restore(new Uint8Array(25)) }).toThrow(/damaged/)
  })
})
