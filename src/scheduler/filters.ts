// Filter plugins: each answers "fits", or "does not fit, because …" in kube-scheduler's words
// (the reasons are counted per node in the unschedulable message). They run in
// kube-scheduler's order and a node's reasons are those of the first filter it fails.

import { antiAffinityFor, type AntiAffinity, type NamespaceLabels } from './pod-anti-affinity.ts'
import type { SchedulerCache } from './cache.ts'
import { matchesNodeAffinity } from './node-affinity.ts'
import type { NodeInfo } from './node-info.ts'
import type { HostPort, PodInfo } from './pod-info.ts'
import { firstUntolerated, tolerates } from './taints.ts'

export const REASON_NOT_READY = 'node(s) were not ready'
export const REASON_UNSCHEDULABLE = 'node(s) were unschedulable'
export const REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector"
export const REASON_HOST_PORTS = "node(s) didn't have free ports for the requested pod ports"
export const REASON_TOO_MANY_PODS = 'Too many pods'
export const REASON_INSUFFICIENT_CPU = 'Insufficient cpu'
export const REASON_INSUFFICIENT_MEMORY = 'Insufficient memory'

/** What every filter sees for one pod; anti-affinity is worked out once per pod, not per node. */
export interface FilterContext {
  readonly pod: PodInfo
  readonly antiAffinity: AntiAffinity | undefined
}

/** Reasons the node does not fit; empty when it fits. */
export type Filter = (ctx: FilterContext, node: NodeInfo) => readonly string[]

const FITS: readonly string[] = []

export const nodeReady: Filter = (_ctx, node) => node.facts.ready ? FITS : [REASON_NOT_READY]

/** Cordoned nodes take only pods that tolerate the unschedulable taint (as DaemonSet pods do). */
export const nodeSchedulable: Filter = (ctx, node) => {
  if (!node.facts.unschedulable) return FITS
  const taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' as const }
  return ctx.pod.tolerations.some((t) => tolerates(t, taint)) ? FITS : [REASON_UNSCHEDULABLE]
}

export const taintToleration: Filter = (ctx, node) => {
  const taint = firstUntolerated(node.facts.hardTaints, ctx.pod.tolerations)
  return taint === undefined ? FITS : [`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`]
}

export const nodeAffinity: Filter = (ctx, node) => matchesNodeAffinity(ctx.pod, node.facts) ? FITS : [REASON_NODE_AFFINITY]

function portsConflict (a: HostPort, b: HostPort): boolean {
  if (a.port !== b.port || a.protocol !== b.protocol) return false
  const any = (ip: string): boolean => ip === '' || ip === '0.0.0.0'
  return any(a.hostIP) || any(b.hostIP) || a.hostIP === b.hostIP
}

export const nodePorts: Filter = (ctx, node) => {
  for (const want of ctx.pod.hostPorts) {
    if (node.hostPorts.some((used) => portsConflict(want, used))) return [REASON_HOST_PORTS]
  }
  return FITS
}

/** Requests fit allocatable minus what the pods bound or assumed there request. */
export const resourcesFit: Filter = (ctx, node) => {
  const alloc = node.facts.allocatable
  const req = ctx.pod.requests
  const reasons: string[] = []
  if (node.podCount + 1 > alloc.pods) reasons.push(REASON_TOO_MANY_PODS)
  if (req.milliCpu > 0 && node.requested.milliCpu + req.milliCpu > alloc.milliCpu) reasons.push(REASON_INSUFFICIENT_CPU)
  if (req.memory > 0 && node.requested.memory + req.memory > alloc.memory) reasons.push(REASON_INSUFFICIENT_MEMORY)
  return reasons.length === 0 ? FITS : reasons
}

export const podAntiAffinity: Filter = (ctx, node) => {
  const reason = ctx.antiAffinity?.check(node.facts)
  return reason === undefined ? FITS : [reason]
}

/** The filters, in the order they run. */
export const FILTERS: readonly Filter[] = [nodeReady, nodeSchedulable, taintToleration, nodeAffinity, nodePorts, resourcesFit, podAntiAffinity]

export function filterContext (pod: PodInfo, cache: SchedulerCache, nsLabels: NamespaceLabels): FilterContext {
  return { pod, antiAffinity: antiAffinityFor(pod, cache, nsLabels) }
}

/** The reasons of the first filter the node fails; empty when it passes them all. */
export function runFilters (ctx: FilterContext, node: NodeInfo, filters: readonly Filter[] = FILTERS): readonly string[] {
  for (const f of filters) {
    const reasons = f(ctx, node)
    if (reasons.length > 0) return reasons
  }
  return FITS
}
