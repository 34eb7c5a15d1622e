// Which roles an agent runs. One line per role; each role's module builds it from the
// RoleContext.

import { NodeLifecycleController } from '../controllers/node-lifecycle.ts'
import { workloadControllers } from '../controllers/workload-controllers.ts'
import { schedulerRole } from '../scheduler/index.ts'
import { clusterDnsRole } from '../proxy/dns-role.ts'
import { ingressRole } from '../proxy/ingress-role.ts'
import { proxyRole } from '../proxy/proxy-role.ts'
import { kubeletRole } from './container-runtime.ts'
import type { Role, RoleContext } from './roles.ts'

/** Roles that run only on the leader, started in this order (stopped in reverse). */
export function leaderRoles (ctx: RoleContext): Role[] {
  return [
    ...workloadControllers(ctx),
    schedulerRole(ctx),
    new NodeLifecycleController(ctx, ctx.nodeLifecycle)
  ]
}

/** Roles that run on every agent. */
export function nodeRoles (ctx: RoleContext): Role[] {
  return [
    kubeletRole(ctx),
    proxyRole(ctx),
    clusterDnsRole(ctx),
    ingressRole(ctx)
  ]
}
