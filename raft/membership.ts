// Cluster membership: voters (count for elections and commit) and learners (receive the log,
// never vote). Changes are single-server (dissertation §4.1); at most one is pending.

import { InvalidConfChangeError } from './errors.ts'
import type { ConfChange, ConfState, NodeId } from './types.ts'

export class Membership {
  readonly voters: Set<NodeId>
  readonly learners: Set<NodeId>

  constructor (conf: ConfState = { voters: [], learners: [] }) {
    this.voters = new Set(conf.voters)
    this.learners = new Set(conf.learners)
  }

  isVoter (id: NodeId): boolean { return this.voters.has(id) }
  isMember (id: NodeId): boolean { return this.voters.has(id) || this.learners.has(id) }

  members (): NodeId[] { return [...this.voters, ...this.learners] }

  toConfState (): ConfState {
    return { voters: [...this.voters].sort(), learners: [...this.learners].sort() }
  }

  /** Throw InvalidConfChangeError if `change` cannot apply to this membership. */
  validate (change: ConfChange): void {
    const { type, node } = change
    if (type === 'demote' && !this.voters.has(node)) {
      throw new InvalidConfChangeError(`Cannot demote ${node}: it is not a voter`)
    }
    if ((type === 'demote' || type === 'remove') && this.voters.has(node) && this.voters.size === 1) {
      throw new InvalidConfChangeError(`Cannot ${type} ${node}: it is the last voter; add another voter first`)
    }
    if (type === 'remove' && !this.isMember(node)) {
      throw new InvalidConfChangeError(`Cannot remove ${node}: it is not a member`)
    }
  }

  /** Apply a committed change. Changes are idempotent, so replaying the log is harmless. */
  apply (change: ConfChange): void {
    const { type, node } = change
    switch (type) {
      case 'addLearner':
        if (!this.voters.has(node)) this.learners.add(node)
        break
      case 'addVoter':
        this.learners.delete(node)
        this.voters.add(node)
        break
      case 'demote':
        if (this.voters.has(node) && this.voters.size > 1) {
          this.voters.delete(node)
          this.learners.add(node)
        }
        break
      case 'remove':
        if (!(this.voters.has(node) && this.voters.size === 1)) {
          this.voters.delete(node)
          this.learners.delete(node)
        }
        break
    }
  }
}
