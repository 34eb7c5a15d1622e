// Which addresses an Ingress's status.loadBalancer.ingress lists: the node IPs of the Ready
// nodes serving ingress. No object says which nodes serve it, so every agent that serves keeps
// the list itself, level-triggered and idempotent: it adds its own address while its Node is
// Ready, and drops any address whose Node is not Ready (or gone). Agents that agree write
// nothing; agents that race conflict on resourceVersion and settle at the next event. Pure.

import type { KObject } from '../store/types.ts'

type Rec = Record<string, unknown>
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v)
const records = (v: unknown): Rec[] => Array.isArray(v) ? v.filter(isRecord) : []

/** InternalIP of every Node whose Ready condition is True, by node name. */
export function readyNodeIps (nodes: readonly KObject[]): Map<string, string> {
  const out = new Map<string, string>()
  for (const node of nodes) {
    const status = isRecord(node.status) ? node.status : {}
    const ready = records(status.conditions).find((c) => c.type === 'Ready')?.status === 'True'
    const ip = records(status.addresses).find((a) => a.type === 'InternalIP')?.address
    if (ready && typeof ip === 'string' && ip !== '') out.set(node.metadata.name, ip)
  }
  return out
}

/** The IPs status.loadBalancer.ingress of an Ingress lists now, in order. */
export function loadBalancerIps (ingress: KObject): string[] {
  const status = isRecord(ingress.status) ? ingress.status : {}
  const lb = isRecord(status.loadBalancer) ? status.loadBalancer : {}
  return records(lb.ingress).map((e) => e.ip).filter((ip): ip is string => typeof ip === 'string' && ip !== '')
}

/**
 * The IPs the Ingress should list, sorted: those it lists that belong to Ready nodes, plus
 * `ownIp` when this node (`ownNode`) is Ready.
 */
export function wantedIps (ingress: KObject, ready: ReadonlyMap<string, string>, ownNode: string, ownIp: string): string[] {
  const readyIps = new Set(ready.values())
  const ips = new Set(loadBalancerIps(ingress).filter((ip) => readyIps.has(ip)))
  if (ready.has(ownNode)) ips.add(ownIp)
  return [...ips].sort()
}

/** The Ingress with its status listing `ips`, or undefined when it lists exactly those already. */
export function withLoadBalancerIps (ingress: KObject, ips: readonly string[]): KObject | undefined {
  const current = loadBalancerIps(ingress)
  if (current.length === ips.length && current.every((ip, i) => ip === ips[i])) return undefined
  const status = isRecord(ingress.status) ? ingress.status : {}
  return { ...ingress, status: { ...status, loadBalancer: { ingress: ips.map((ip) => ({ ip })) } } }
}
