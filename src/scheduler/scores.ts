// Score plugins rank the nodes that passed the filters, each from 0 to 100, combined with
// kube-scheduler's default weights: least allocated (NodeResourcesFit, weight 1), spreading
// the pods of one controller over nodes (weight 2, as PodTopologySpread's default), and
// PreferNoSchedule taints (TaintToleration, weight 3). Integer arithmetic, so equal nodes tie
// exactly and the tie goes to the first node in name order: the same input gives the same
// placement.

import type { NodeInfo } from './node-info.ts'
import type { PodInfo } from './pod-info.ts'
import { countUntolerated } from './taints.ts'

export const MAX_SCORE = 100

/** Free share of cpu and memory after placing the pod (kube's LeastAllocated, with its non-zero request defaults). */
export function leastAllocatedScore (pod: PodInfo, node: NodeInfo): number {
  const alloc = node.facts.allocatable
  const free = (capacity: number, used: number): number => {
    if (capacity <= 0 || used > capacity) return 0
    return Math.floor((capacity - used) * MAX_SCORE / capacity)
  }
  const cpu = free(alloc.milliCpu, node.scoreRequested.milliCpu + pod.scoreRequests.milliCpu)
  const mem = free(alloc.memory, node.scoreRequested.memory + pod.scoreRequests.memory)
  return Math.floor((cpu + mem) / 2)
}

/** Fewer pods of the same controller owner on a node score higher; 100 everywhere when it has none. */
export function spreadScores (pod: PodInfo, nodes: readonly NodeInfo[]): number[] {
  const owner = pod.ownerUid
  if (owner === undefined) return nodes.map(() => MAX_SCORE)
  const counts = nodes.map((n) => n.ownerCounts.get(owner) ?? 0)
  const max = Math.max(0, ...counts)
  return counts.map((c) => max === 0 ? MAX_SCORE : Math.floor((max - c) * MAX_SCORE / max))
}

/** Fewer untolerated PreferNoSchedule taints score higher (normalized against the worst node). */
export function taintScores (pod: PodInfo, nodes: readonly NodeInfo[]): number[] {
  const counts = nodes.map((n) => n.facts.softTaints.length === 0 ? 0 : countUntolerated(n.facts.softTaints, pod.tolerations))
  const max = Math.max(0, ...counts)
  return counts.map((c) => max === 0 ? MAX_SCORE : MAX_SCORE - Math.floor(c * MAX_SCORE / max))
}

export const WEIGHTS = { leastAllocated: 1, spread: 2, taints: 3 } as const

/** Total scores of the feasible nodes, in their order. */
export function scoreNodes (pod: PodInfo, nodes: readonly NodeInfo[]): number[] {
  const spread = spreadScores(pod, nodes)
  const taints = taintScores(pod, nodes)
  return nodes.map((n, i) => WEIGHTS.leastAllocated * leastAllocatedScore(pod, n) + WEIGHTS.spread * (spread[i] as number) + WEIGHTS.taints * (taints[i] as number))
}

/** The index of the best score; the first of equal ones. -1 when empty. */
export function bestIndex (scores: readonly number[]): number {
  let best = -1
  for (let i = 0; i < scores.length; i++) if (best < 0 || (scores[i] as number) > (scores[best] as number)) best = i
  return best
}
