// Which roles an agent runs. One line per role; each role's module builds it from the
// RoleContext.

import { schedulerRole } from '../scheduler/index.ts'
import type { Role, RoleContext } from './roles.ts'

/** Roles that run only on the leader, started in this order (stopped in reverse). */
export function leaderRoles (ctx: RoleContext): Role[] {
  return [
    schedulerRole(ctx)
  ]
}

/** Roles that run on every agent. */
export function nodeRoles (_ctx: RoleContext): Role[] {
  return []
}
