// Automatic voter management (DESIGN.md "Beyond Kubernetes"): how many voters the cluster
// should have for its size, and the single next membership change that moves it there.
// Pure: the leader's agent feeds it what it knows and proposes the change it returns.

export interface MemberView {
  readonly id: string
  readonly voter: boolean
  /** Heard from within the grace period (the leader itself is always healthy). */
  readonly healthy: boolean
  /** Its log is close enough to the leader's to take part in commits at once. */
  readonly caughtUp: boolean
}

export type VoterAction =
  | { type: 'promote', id: string, reason: string }
  | { type: 'demote', id: string, reason: string }

/** 1 voter for 1–2 agents, 3 for 3–6, 5 for 7 or more. */
export function targetVoters (members: number): number {
  if (members <= 2) return 1
  if (members <= 6) return 3
  return 5
}

/**
 * The next change, or null when membership is as it should be. Never touches `leader`, and
 * only proposes changes the healthy voters can still commit.
 */
export function nextVoterAction (members: readonly MemberView[], leader: string): VoterAction | null {
  const byId = (a: MemberView, b: MemberView): number => a.id < b.id ? -1 : a.id > b.id ? 1 : 0
  const voters = members.filter((m) => m.voter)
  const healthyVoters = voters.filter((m) => m.healthy)
  const majority = Math.floor(voters.length / 2) + 1
  if (healthyVoters.length < majority) return null // no quorum: nothing can commit anyway
  const target = targetVoters(members.length)
  const candidates = members.filter((m) => !m.voter && m.healthy && m.caughtUp).sort(byId)
  const dead = voters.filter((m) => !m.healthy && m.id !== leader).sort(byId)

  // A dead voter with a replacement ready: demote it first (that lowers the quorum needed),
  // the promotion follows on the next round.
  const firstDead = dead[0]
  if (firstDead !== undefined && candidates.length > 0) {
    const after = voters.length - 1
    if (healthyVoters.length >= Math.floor(after / 2) + 1) {
      return { type: 'demote', id: firstDead.id, reason: `voter ${firstDead.id} is unreachable; learner ${candidates[0]?.id ?? ''} will replace it` }
    }
  }
  const firstCandidate = candidates[0]
  if (voters.length < target && firstCandidate !== undefined) {
    return { type: 'promote', id: firstCandidate.id, reason: `${voters.length} voters, ${target} wanted for ${members.length} agents` }
  }
  if (voters.length > target) {
    const extra = dead[0] ?? voters.filter((m) => m.id !== leader).sort(byId).at(-1)
    if (extra !== undefined) return { type: 'demote', id: extra.id, reason: `${voters.length} voters, ${target} wanted for ${members.length} agents` }
  }
  return null
}
