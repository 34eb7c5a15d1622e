// Leader-only: every `intervalMs`, compare Raft membership with what the cluster should have
// (voter-policy.ts) and propose the next change. Liveness comes from the Raft transport (when
// each peer was last heard), never from writes to the log.

import type { RaftNode } from '../../raft/node.ts'
import { nextVoterAction, type MemberView } from './voter-policy.ts'

export interface MembershipManagerOptions {
  /** A voter silent for longer than this is replaced by a caught-up learner. Default 3000 ms. */
  graceMs?: number
  /** How often to check. Default 500 ms. */
  intervalMs?: number
  /** A learner this close to the leader's last index counts as caught up. Default 100 entries. */
  caughtUpWithin?: number
  log?: (line: string) => void
}

export class MembershipManager {
  private timer: NodeJS.Timeout | null = null
  private busy = false
  private readonly graceMs: number

  constructor (
    private readonly raft: RaftNode,
    private readonly silenceOf: (peer: string) => number,
    private readonly nameOf: (peer: string) => string,
    private readonly opts: MembershipManagerOptions = {}
  ) {
    this.graceMs = opts.graceMs ?? 3000
  }

  start (): void {
    this.timer = setInterval(() => { void this.check() }, this.opts.intervalMs ?? 500)
    this.timer.unref()
  }

  stop (): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  /** Is `peer` alive as far as this agent can tell? */
  healthy (peer: string): boolean {
    return peer === this.raft.id || this.silenceOf(peer) <= this.graceMs
  }

  /** The members as the policy sees them (leader only: uses replication progress). */
  view (): MemberView[] {
    const s = this.raft.status()
    const within = this.opts.caughtUpWithin ?? 100
    const members: MemberView[] = []
    for (const id of [...s.voters, ...s.learners]) {
      const match = id === s.id ? s.lastIndex : (s.progress[id]?.match ?? 0)
      members.push({ id, voter: s.voters.includes(id), healthy: this.healthy(id), caughtUp: match >= s.lastIndex - within })
    }
    return members
  }

  private async check (): Promise<void> {
    if (this.busy || !this.raft.isLeader) return
    this.busy = true
    try {
      const action = nextVoterAction(this.view(), this.raft.id)
      if (action === null) return
      this.opts.log?.(`membership: ${action.type} ${this.nameOf(action.id)} (${action.reason})`)
      await this.raft.proposeConfChange({ type: action.type === 'promote' ? 'addVoter' : 'demote', node: action.id }, { signal: AbortSignal.timeout(5000) })
    } catch (err) {
      const name = (err as Error).name
      if (name !== 'ConfChangeInProgressError' && name !== 'NotLeaderError' && name !== 'LeadershipLostError' && name !== 'RaftTimeoutError') {
        this.opts.log?.(`membership: change failed: ${(err as Error).message}`)
      }
    } finally {
      this.busy = false
    }
  }
}
