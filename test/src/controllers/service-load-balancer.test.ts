// The LoadBalancer controller: a LoadBalancer Service's status lists the InternalIPs of the
// Ready nodes, follows nodes turning NotReady, is cleared when the type changes, and is not
// rewritten when nothing changed.

import { describe, expect, it } from 'vitest'
import { serviceLoadBalancerController } from '../../../src/controllers/service-load-balancer.ts'
import type { KObject } from '../../../src/store/types.ts'
import { controllerHarness } from './harness.ts'

const node = (name: string, ip: string, ready: string): KObject => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name },
  status: { conditions: [{ type: 'Ready', status: ready }], addresses: [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }] }
})

describe('LoadBalancer controller', () => {
  it('publishes the Ready nodes\' addresses, follows readiness, clears on a type change', async () => {
    const h = await controllerHarness()
    await h.create(node('b', '127.0.0.3', 'True'))
    await h.create(node('a', '127.0.0.2', 'True'))
    await h.create(node('c', '127.0.0.4', 'False'))
    await h.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'lb', namespace: 'default' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } })
    await h.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'plain', namespace: 'default' }, spec: { ports: [{ port: 80 }] } })
    const c = serviceLoadBalancerController(h.ctx)
    c.start()
    await h.settle(c)
    const ingress = (): unknown => (h.get('', 'Service', 'lb')?.status as { loadBalancer?: { ingress?: unknown } } | undefined)?.loadBalancer?.ingress
    expect(ingress()).toEqual([{ ip: '127.0.0.2', ipMode: 'VIP' }, { ip: '127.0.0.3', ipMode: 'VIP' }])
    expect(h.get('', 'Service', 'plain')?.status).toBeUndefined()

    const writes = h.backend.writes.length
    await c.stop()
    c.start()
    await h.settle(c)
    expect(h.backend.writes.length).toBe(writes)

    const b = h.get('', 'Node', 'b', '') as KObject
    await h.backend.write({ op: 'update', object: { ...b, status: { ...(b.status as object), conditions: [{ type: 'Ready', status: 'Unknown' }] } }, subresource: 'status' })
    await h.settle(c)
    expect(ingress()).toEqual([{ ip: '127.0.0.2', ipMode: 'VIP' }])

    const lb = h.get('', 'Service', 'lb') as KObject
    await h.backend.write({ op: 'update', object: { ...lb, spec: { ...(lb.spec as object), type: 'NodePort' } } })
    await h.settle(c)
    expect(ingress()).toBeUndefined()
    await c.stop()
  })
})
