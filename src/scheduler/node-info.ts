// One node as the scheduler sees it: the facts read from the Node object (readiness, taints,
// allocatable, labels), computed once per Node change, and what the pods bound or assumed
// there take (requests, host ports, counts per owner). The cache (cache.ts) keeps these in
// step with the pods; filters and scores only read them.

import type { Node, Taint } from '../objects/node.ts'
import { parseQuantity } from '../objects/quantity.ts'
import type { HostPort, PodInfo, Resources } from './pod-info.ts'

export const HOSTNAME_LABEL = 'kubernetes.io/hostname'

export interface NodeFacts {
  name: string
  labels: Readonly<Record<string, string>>
  ready: boolean
  unschedulable: boolean
  /** Taints with effect NoSchedule or NoExecute: a pod must tolerate them. */
  hardTaints: Taint[]
  /** Taints with effect PreferNoSchedule: they only lower the score. */
  softTaints: Taint[]
  allocatable: { milliCpu: number, memory: number, pods: number }
  /** What decides schedulability; when it changes, unschedulable pods are tried again. */
  fingerprint: string
}

function isRecord (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** A quantity from allocatable; absent or unreadable counts as none (as Kubernetes does). */
function amount (alloc: Record<string, unknown>, name: string): number {
  const v = parseQuantity(alloc[name])
  return v === undefined || v < 0 ? 0 : v
}

export function nodeFactsOf (node: Node): NodeFacts {
  const spec: Record<string, unknown> = isRecord(node.spec) ? node.spec : {}
  const status: Record<string, unknown> = isRecord(node.status) ? node.status : {}
  const conditions = Array.isArray(status.conditions) ? status.conditions.filter(isRecord) : []
  const ready = conditions.some((c) => c.type === 'Ready' && c.status === 'True')
  const taints = Array.isArray(spec.taints) ? spec.taints.filter((t): t is Taint => isRecord(t) && typeof t.key === 'string') : []
  const alloc = isRecord(status.allocatable) ? status.allocatable : {}
  const allocatable = {
    milliCpu: Math.floor(Math.round(amount(alloc, 'cpu') * 1e6) / 1e3),
    memory: Math.floor(amount(alloc, 'memory')),
    pods: Math.floor(amount(alloc, 'pods'))
  }
  const labels = node.metadata.labels ?? {}
  const unschedulable = spec.unschedulable === true
  const hardTaints = taints.filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')
  const softTaints = taints.filter((t) => t.effect === 'PreferNoSchedule')
  const fingerprint = JSON.stringify([ready, unschedulable, allocatable, labels, taints.map((t) => [t.key, t.value ?? '', t.effect])])
  return { name: node.metadata.name, labels, ready, unschedulable, hardTaints, softTaints, allocatable, fingerprint }
}

/** The value of the node's topology domain for `key` (the hostname label falls back to the node's name). */
export function topologyValue (facts: NodeFacts, key: string): string | undefined {
  const v = facts.labels[key]
  if (v !== undefined) return v
  return key === HOSTNAME_LABEL ? facts.name : undefined
}

export class NodeInfo {
  /** Requests of the non-terminated pods bound or assumed here. */
  readonly requested: Resources = { milliCpu: 0, memory: 0 }
  /** The same with kube-scheduler's scoring defaults. */
  readonly scoreRequested: Resources = { milliCpu: 0, memory: 0 }
  podCount = 0
  readonly hostPorts: HostPort[] = []
  /** Pods here per controller owner uid. */
  readonly ownerCounts = new Map<string, number>()

  constructor (public facts: NodeFacts) {}

  get name (): string { return this.facts.name }

  addPod (p: PodInfo): void { this.account(p, 1) }

  removePod (p: PodInfo): void { this.account(p, -1) }

  private account (p: PodInfo, sign: 1 | -1): void {
    this.requested.milliCpu += sign * p.requests.milliCpu
    this.requested.memory += sign * p.requests.memory
    this.scoreRequested.milliCpu += sign * p.scoreRequests.milliCpu
    this.scoreRequested.memory += sign * p.scoreRequests.memory
    this.podCount += sign
    if (p.ownerUid !== undefined) {
      const n = (this.ownerCounts.get(p.ownerUid) ?? 0) + sign
      if (n <= 0) this.ownerCounts.delete(p.ownerUid)
      else this.ownerCounts.set(p.ownerUid, n)
    }
    for (const hp of p.hostPorts) {
      if (sign === 1) this.hostPorts.push(hp)
      else {
        const i = this.hostPorts.findIndex((x) => x.port === hp.port && x.protocol === hp.protocol && x.hostIP === hp.hostIP)
        if (i >= 0) this.hostPorts.splice(i, 1)
      }
    }
  }
}
