// One placement decision: run the filters over every node, score the survivors, pick the
// best. A pod that fits nowhere gets kube-scheduler's explanation, the reasons counted over
// the nodes: `0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector,
// 2 Insufficient cpu.` (reasons sorted as strings, as kube-scheduler's FitError does).

import type { SchedulerCache } from './cache.ts'
import { filterContext, runFilters, type Filter, FILTERS } from './filters.ts'
import type { NodeInfo } from './node-info.ts'
import type { NamespaceLabels } from './pod-anti-affinity.ts'
import type { PodInfo } from './pod-info.ts'
import { bestIndex, scoreNodes } from './scores.ts'

export const NO_NODES_MESSAGE = 'no nodes available to schedule pods'

export type Placement =
  | { readonly node: string }
  | { readonly unschedulable: string }

/** kube-scheduler's FitError text for `total` nodes and the reasons counted over them. */
export function fitErrorMessage (total: number, reasons: ReadonlyMap<string, number>): string {
  if (total === 0) return NO_NODES_MESSAGE
  const parts = [...reasons].map(([reason, n]) => `${n} ${reason}`).sort()
  return `0/${total} nodes are available: ${parts.join(', ')}.`
}

export function scheduleOne (pod: PodInfo, cache: SchedulerCache, nsLabels: NamespaceLabels, filters: readonly Filter[] = FILTERS): Placement {
  const nodes = cache.nodeList()
  const ctx = filterContext(pod, cache, nsLabels)
  const feasible: NodeInfo[] = []
  const reasons = new Map<string, number>()
  for (const node of nodes) {
    const failed = runFilters(ctx, node, filters)
    if (failed.length === 0) {
      feasible.push(node)
      continue
    }
    for (const r of failed) reasons.set(r, (reasons.get(r) ?? 0) + 1)
  }
  if (feasible.length === 0) return { unschedulable: fitErrorMessage(nodes.length, reasons) }
  const best = feasible.length === 1 ? 0 : bestIndex(scoreNodes(pod, feasible))
  return { node: (feasible[best] as NodeInfo).name }
}
