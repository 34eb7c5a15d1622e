// Majority arithmetic over a set of voters. Pure functions; learners never appear here.

import type { NodeId } from './types.ts'

/**
 * The highest index that a majority of `voters` have in their logs (§5.3, §5.4).
 * `match` gives each voter's matchIndex; a voter missing from it counts as 0.
 */
export function committedIndex (voters: ReadonlySet<NodeId>, match: (id: NodeId) => number): number {
  if (voters.size === 0) return 0
  const indexes: number[] = []
  for (const v of voters) indexes.push(match(v))
  indexes.sort((a, b) => b - a)
  // With n voters sorted descending, the (floor(n/2))th value is held by a majority.
  return indexes[Math.floor(indexes.length / 2)] ?? 0
}

export type VoteResult = 'won' | 'lost' | 'pending'

/** Tally granted and rejected votes among `voters`; votes from non-voters are ignored. */
export function voteResult (voters: ReadonlySet<NodeId>, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const need = majority(voters.size)
  let granted = 0
  let rejected = 0
  for (const v of voters) {
    const vote = votes.get(v)
    if (vote === true) granted++
    else if (vote === false) rejected++
  }
  if (granted >= need) return 'won'
  if (rejected > voters.size - need) return 'lost'
  return 'pending'
}

export function majority (n: number): number {
  return Math.floor(n / 2) + 1
}

/** True when the ids in `acks` make a majority of `voters`. */
export function hasQuorum (voters: ReadonlySet<NodeId>, acks: ReadonlySet<NodeId>): boolean {
  let n = 0
  for (const v of voters) if (acks.has(v)) n++
  return voters.size > 0 && n >= majority(voters.size)
}
