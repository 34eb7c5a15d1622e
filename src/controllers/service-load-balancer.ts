// The LoadBalancer controller (leader only). Flotilla has no cloud load balancer: a
// LoadBalancer Service behaves as a NodePort Service (the proxy on every agent serves its node
// ports), and this controller publishes where to reach it — status.loadBalancer.ingress lists
// the InternalIP of every Ready node, as a bare-metal load balancer would. A Service that stops
// being of type LoadBalancer has that status cleared. Status is written only when it changes.

import type { RoleContext } from '../agent/roles.ts'
import type { KObject } from '../store/types.ts'
import { ControllerRole } from './controller-role.ts'
import { keyOf, splitKey } from './informer.ts'
import { readyStatus } from './node-lifecycle-node.ts'
import { updateCommand } from './store-writes.ts'

const SERVICE = { group: '', kind: 'Service' }
const NODE = { group: '', kind: 'Node' }

type Rec = Record<string, unknown>
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v)
const isLoadBalancer = (svc: KObject): boolean => isRecord(svc.spec) && svc.spec.type === 'LoadBalancer'

/** InternalIPs of the Ready nodes, sorted and without repeats. */
export function readyNodeAddresses (nodes: readonly KObject[]): string[] {
  const ips = new Set<string>()
  for (const node of nodes) {
    if (readyStatus(node) !== 'True' || !isRecord(node.status) || !Array.isArray(node.status.addresses)) continue
    for (const a of node.status.addresses) {
      if (isRecord(a) && a.type === 'InternalIP' && typeof a.address === 'string' && a.address !== '') ips.add(a.address)
    }
  }
  return [...ips].sort()
}

export function serviceLoadBalancerController (ctx: RoleContext): ControllerRole {
  const reader = ctx.backend.reader
  /** Services whose status this controller may have to change: LoadBalancers, and any that has an ingress list. */
  const enqueueAll = (enqueue: (key: string) => void): void => {
    for (const svc of reader.list('', 'Service', undefined).items) if (isLoadBalancer(svc) || hasIngress(svc)) enqueue(keyOf(svc))
  }
  return new ControllerRole(ctx, {
    name: 'service-lb-controller',
    watches: [
      { kind: SERVICE, onEvent: (e, enqueue) => { if (isLoadBalancer(e.object) || hasIngress(e.object)) enqueue(keyOf(e.object)) } },
      { kind: NODE, onEvent: (_e, enqueue) => { enqueueAll(enqueue) } }
    ],
    reconcile: async (key) => {
      const { namespace, name } = splitKey(key)
      const svc = reader.get({ ...SERVICE, namespace, name })
      if (svc === undefined) return
      const want = isLoadBalancer(svc) ? readyNodeAddresses(reader.list('', 'Node', undefined).items).map((ip) => ({ ip, ipMode: 'VIP' })) : []
      const status = isRecord(svc.status) ? svc.status : {}
      const have = isRecord(status.loadBalancer) && Array.isArray(status.loadBalancer.ingress) ? status.loadBalancer.ingress : []
      if (JSON.stringify(have) === JSON.stringify(want)) return
      const next: KObject = { ...svc, status: { ...status, loadBalancer: want.length > 0 ? { ingress: want } : {} } }
      const r = await ctx.backend.write(updateCommand(next, 'status'))
      // A Conflict means the Service changed meanwhile: its event queues the key again.
      if (!r.ok && 'error' in r && r.error.reason !== 'Conflict' && r.error.reason !== 'NotFound') throw new Error(r.error.message)
    }
  })
}

function hasIngress (svc: KObject): boolean {
  return isRecord(svc.status) && isRecord(svc.status.loadBalancer) && Array.isArray(svc.status.loadBalancer.ingress) && svc.status.loadBalancer.ingress.length > 0
}
