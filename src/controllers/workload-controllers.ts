// The leader roles of the workload controllers, in start order (stopped in reverse).

import type { Role, RoleContext } from '../agent/roles.ts'
import { deploymentController } from './deployment.ts'
import { garbageCollector } from './garbage-collector.ts'
import { namespaceController } from './namespace.ts'
import { replicaSetController } from './replicaset.ts'

export function workloadControllers (ctx: RoleContext): Role[] {
  return [replicaSetController(ctx), deploymentController(ctx), garbageCollector(ctx), namespaceController(ctx)]
}
