// Which roles an agent runs. One line per role; each role's module builds it from the
// RoleContext.

import { kubeletRole } from './container-runtime.ts'
import type { Role, RoleContext } from './roles.ts'

/** Roles that run only on the leader, started in this order (stopped in reverse). */
export function leaderRoles (_ctx: RoleContext): Role[] {
  return []
}

/** Roles that run on every agent. */
export function nodeRoles (ctx: RoleContext): Role[] {
  return [
    kubeletRole(ctx)
  ]
}
