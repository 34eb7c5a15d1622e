// The leader roles of the workload controllers, in start order (stopped in reverse).

import type { Role, RoleContext } from '../agent/roles.ts'
import { deploymentController } from './deployment.ts'
import { endpointsController } from './endpoints.ts'
import { eventTtlController } from './event-ttl.ts'
import { garbageCollector } from './garbage-collector.ts'
import { namespaceController } from './namespace.ts'
import { replicaSetController } from './replicaset.ts'
import { serviceLoadBalancerController } from './service-load-balancer.ts'

export function workloadControllers (ctx: RoleContext): Role[] {
  return [replicaSetController(ctx), deploymentController(ctx), endpointsController(ctx), serviceLoadBalancerController(ctx), eventTtlController(ctx), garbageCollector(ctx), namespaceController(ctx)]
}
