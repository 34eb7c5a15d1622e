// The registry of benchmark suites, in the order `npm run bench` runs them. A new suite is
// a module exporting a Suite (see types.ts) added to this list; `--only` filters by name.

import { apiWritesSuite } from './api-writes.ts'
import { failoverSuite } from './failover.ts'
import { nodeDeathSuite } from './node-death.ts'
import { raftCommitSuite } from './raft-commit.ts'
import { agentRssSuite } from './rss.ts'
import { schedulerSuite } from './scheduler.ts'
import { serviceProxySuite } from './service-proxy.ts'
import type { Suite } from './types.ts'
import { workloadsSuite } from './workloads.ts'

export const suites: readonly Suite[] = [
  raftCommitSuite,
  apiWritesSuite,
  failoverSuite,
  agentRssSuite,
  schedulerSuite,
  workloadsSuite,
  nodeDeathSuite,
  serviceProxySuite
]
