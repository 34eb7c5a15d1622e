// The endpoints controller against the real store on a manual clock, checked against what
// Kubernetes' endpoints controller writes: ready and not-ready addresses, targetPort by name,
// pods without an IP left out, subsets repacked by the addresses offering each port, updates
// on pod changes, deletion of managed Endpoints only, no write when nothing changed, and two
// instances converging on one object.

import { describe, expect, it } from 'vitest'
import { endpointsController } from '../../../src/controllers/endpoints.ts'
import type { KObject } from '../../../src/store/types.ts'
import { controllerHarness, pod, type ControllerHarness } from './harness.ts'

const POD_IPS: Record<string, string> = { a: '10.1.0.1', b: '10.1.0.2', c: '10.1.0.3', d: '10.1.0.4' }

function service (name: string, selector: Record<string, string> | undefined, spec: Record<string, unknown> = {}, labels?: Record<string, string>): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', ...(labels === undefined ? {} : { labels }) },
    spec: { ...(selector === undefined ? {} : { selector }), ports: [{ name: 'http', port: 80, targetPort: 8080 }], ...spec }
  }
}

function webPod (name: string, extra: { labels?: Record<string, string>, ports?: unknown[], spec?: Record<string, unknown> } = {}): KObject {
  const p = pod(name, extra.labels ?? { app: 'web' })
  p.spec = { containers: [{ name: 'c', image: 'busybox', ports: extra.ports ?? [] }], nodeName: 'node-a', ...extra.spec }
  return p
}

/** Writes the pod's status as a kubelet would: an IP (unless null), Running, Ready or not. */
async function setStatus (h: ControllerHarness, name: string, ready: boolean, ip: string | null = POD_IPS[name] ?? '10.9.9.9'): Promise<void> {
  const cur = h.get('', 'Pod', name) as KObject
  const status: Record<string, unknown> = { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] }
  if (ip !== null) status.podIP = ip
  const r = await h.backend.write({ op: 'update', object: { ...cur, status }, subresource: 'status' })
  if (!r.ok) throw new Error(r.error.message)
}

async function update (h: ControllerHarness, obj: KObject): Promise<void> {
  const r = await h.backend.write({ op: 'update', object: obj })
  if (!r.ok) throw new Error(r.error.message)
}

const endpointsOf = (h: ControllerHarness, name = 'web'): KObject | undefined => h.get('', 'Endpoints', name)
const ref = (h: ControllerHarness, name: string): Record<string, string> => ({ kind: 'Pod', namespace: 'default', name, uid: h.get('', 'Pod', name)?.metadata.uid ?? '' })
const endpointWrites = (h: ControllerHarness): number => h.backend.writes.filter((w) =>
  (w.op === 'create' || w.op === 'update') ? w.object.kind === 'Endpoints' : w.op === 'delete' && w.ref.kind === 'Endpoints').length

async function started (): Promise<{ h: ControllerHarness, c: ReturnType<typeof endpointsController> }> {
  const h = await controllerHarness()
  const c = endpointsController(h.ctx)
  c.start()
  return { h, c }
}

describe('endpoints controller', () => {
  it('lists ready pods in addresses and others in notReadyAddresses, with node, targetRef and the service labels', async () => {
    const { h, c } = await started()
    await h.create(service('web', { app: 'web' }, {}, { tier: 'front' }))
    for (const n of ['a', 'b', 'c']) await h.create(webPod(n))
    await h.create(webPod('other', { labels: { app: 'db' } }))
    await setStatus(h, 'a', true)
    await setStatus(h, 'b', false)
    await setStatus(h, 'c', true, null)
    await setStatus(h, 'other', true, '10.1.0.9')
    await h.settle(c)
    const ep = endpointsOf(h) as KObject
    expect(ep.metadata.labels).toEqual({ tier: 'front', 'endpoints.kubernetes.io/managed-by': 'endpoint-controller' })
    expect(ep.subsets).toEqual([{
      addresses: [{ ip: '10.1.0.1', nodeName: 'node-a', targetRef: ref(h, 'a') }],
      notReadyAddresses: [{ ip: '10.1.0.2', nodeName: 'node-a', targetRef: ref(h, 'b') }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }]
    }])
    await c.stop()
  })

  it('creates Endpoints without subsets when no pod matches, and fills them as pods come', async () => {
    const { h, c } = await started()
    await h.create(service('web', { app: 'web' }))
    await h.settle(c)
    expect(endpointsOf(h)?.subsets).toBeUndefined()
    await h.create(webPod('a'))
    await setStatus(h, 'a', true)
    await h.settle(c)
    expect(endpointsOf(h)?.subsets).toEqual([{ addresses: [{ ip: '10.1.0.1', nodeName: 'node-a', targetRef: ref(h, 'a') }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }])
    await c.stop()
  })

  it('resolves a named targetPort per pod and groups pods by the ports they offer', async () => {
    const { h, c } = await started()
    await h.create(service('web', { app: 'web' }, {
      ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'metrics', port: 9100, targetPort: 'metrics' }]
    }))
    await h.create(webPod('a', { ports: [{ name: 'http', containerPort: 8080 }, { name: 'metrics', containerPort: 9100 }] }))
    await h.create(webPod('b', { ports: [{ name: 'http', containerPort: 8080 }, { name: 'metrics', containerPort: 9100 }] }))
    await h.create(webPod('c', { ports: [{ name: 'http', containerPort: 9090 }] }))
    // A UDP port of the right name is not the TCP port the service asks for: d offers nothing.
    await h.create(webPod('d', { ports: [{ name: 'http', containerPort: 8080, protocol: 'UDP' }] }))
    for (const n of ['a', 'b', 'c', 'd']) await setStatus(h, n, true)
    await h.settle(c)
    const addr = (n: string): Record<string, unknown> => ({ ip: POD_IPS[n], nodeName: 'node-a', targetRef: ref(h, n) })
    expect(endpointsOf(h)?.subsets).toEqual([
      { addresses: [addr('a'), addr('b')], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'metrics', port: 9100, protocol: 'TCP' }] },
      { addresses: [addr('c')], ports: [{ name: 'http', port: 9090, protocol: 'TCP' }] }
    ])
    await c.stop()
  })

  it('gives a port offered by fewer pods its own subset (ports grouped by the addresses offering them)', async () => {
    const { h, c } = await started()
    await h.create(service('web', { app: 'web' }, {
      ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'metrics', port: 9100, targetPort: 'metrics' }]
    }))
    await h.create(webPod('a', { ports: [{ name: 'metrics', containerPort: 9100 }] }))
    await h.create(webPod('b'))
    await setStatus(h, 'a', true)
    await setStatus(h, 'b', false)
    await h.settle(c)
    const addr = (n: string): Record<string, unknown> => ({ ip: POD_IPS[n], nodeName: 'node-a', targetRef: ref(h, n) })
    expect(endpointsOf(h)?.subsets).toEqual([
      { addresses: [addr('a')], notReadyAddresses: [addr('b')], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] },
      { addresses: [addr('a')], ports: [{ name: 'metrics', port: 9100, protocol: 'TCP' }] }
    ])
    await c.stop()
  })

  it('follows pods: readiness flips, labels change, deletion, termination, finishing', async () => {
    const { h, c } = await started()
    await h.create(service('web', { app: 'web' }))
    for (const n of ['a', 'b', 'c']) await h.create(webPod(n))
    for (const n of ['a', 'b', 'c']) await setStatus(h, n, true)
    await h.settle(c)
    const ips = (): { ready: string[], notReady: string[] } => {
      const subsets = (endpointsOf(h)?.subsets ?? []) as Array<{ addresses?: Array<{ ip: string }>, notReadyAddresses?: Array<{ ip: string }> }>
      return {
        ready: subsets.flatMap((s) => (s.addresses ?? []).map((a) => a.ip)),
        notReady: subsets.flatMap((s) => (s.notReadyAddresses ?? []).map((a) => a.ip))
      }
    }
    expect(ips()).toEqual({ ready: ['10.1.0.1', '10.1.0.2', '10.1.0.3'], notReady: [] })
    await setStatus(h, 'b', false)
    await h.settle(c)
    expect(ips()).toEqual({ ready: ['10.1.0.1', '10.1.0.3'], notReady: ['10.1.0.2'] })
    await setStatus(h, 'b', true)
    await h.settle(c)
    expect(ips()).toEqual({ ready: ['10.1.0.1', '10.1.0.2', '10.1.0.3'], notReady: [] })
    const a = h.get('', 'Pod', 'a') as KObject
    await update(h, { ...a, metadata: { ...a.metadata, labels: { app: 'other' } } })
    await h.settle(c)
    expect(ips()).toEqual({ ready: ['10.1.0.2', '10.1.0.3'], notReady: [] })
    await h.backend.write({ op: 'delete', ref: { group: '', kind: 'Pod', namespace: 'default', name: 'b' } })
    await h.settle(c)
    expect(ips()).toEqual({ ready: ['10.1.0.3'], notReady: [] })
    const cPod = h.get('', 'Pod', 'c') as KObject
    await h.backend.write({ op: 'update', object: { ...cPod, status: { ...(cPod.status as object), phase: 'Succeeded' } }, subresource: 'status' })
    await h.settle(c)
    expect(ips()).toEqual({ ready: [], notReady: [] })
    expect(endpointsOf(h)?.subsets).toBeUndefined()
    await c.stop()
  })

  it('leaves out terminating pods, unless the service publishes not-ready addresses', async () => {
    const { h, c } = await started()
    await h.create(service('web', { app: 'web' }))
    await h.create(webPod('a', { spec: { hostname: 'a', subdomain: 'web' } }))
    await h.create({ ...webPod('b'), metadata: { name: 'b', namespace: 'default', labels: { app: 'web' }, finalizers: ['example.com/hold'] } })
    await setStatus(h, 'a', false)
    await setStatus(h, 'b', true)
    await h.backend.write({ op: 'delete', ref: { group: '', kind: 'Pod', namespace: 'default', name: 'b' }, deletionTimestamp: h.backend.now() })
    expect(h.get('', 'Pod', 'b')?.metadata.deletionTimestamp).toBeDefined()
    await h.settle(c)
    expect(endpointsOf(h)?.subsets).toEqual([{
      notReadyAddresses: [{ ip: '10.1.0.1', hostname: 'a', nodeName: 'node-a', targetRef: ref(h, 'a') }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }]
    }])
    const svc = h.get('', 'Service', 'web') as KObject
    await update(h, { ...svc, spec: { ...(svc.spec as object), publishNotReadyAddresses: true } })
    await h.settle(c)
    expect(endpointsOf(h)?.subsets).toEqual([{
      addresses: [
        { ip: '10.1.0.1', hostname: 'a', nodeName: 'node-a', targetRef: ref(h, 'a') },
        { ip: '10.1.0.2', nodeName: 'node-a', targetRef: ref(h, 'b') }
      ],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }]
    }])
    await c.stop()
  })

  it('sets hostname only when the pod subdomain is the service name', async () => {
    const { h, c } = await started()
    await h.create(service('web', { app: 'web' }))
    await h.create(webPod('a', { spec: { hostname: 'a', subdomain: 'elsewhere' } }))
    await setStatus(h, 'a', true)
    await h.settle(c)
    expect(endpointsOf(h)?.subsets).toEqual([{ addresses: [{ ip: '10.1.0.1', nodeName: 'node-a', targetRef: ref(h, 'a') }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }])
    await c.stop()
  })

  it('lists addresses without ports for a headless service without ports, labelled headless', async () => {
    const { h, c } = await started()
    await h.create(service('web', { app: 'web' }, { clusterIP: 'None', ports: [] }))
    await h.create(webPod('a'))
    await setStatus(h, 'a', true)
    await h.settle(c)
    const ep = endpointsOf(h) as KObject
    expect(ep.subsets).toEqual([{ addresses: [{ ip: '10.1.0.1', nodeName: 'node-a', targetRef: ref(h, 'a') }] }])
    expect(ep.metadata.labels).toEqual({ 'service.kubernetes.io/headless': '', 'endpoints.kubernetes.io/managed-by': 'endpoint-controller' })
    await c.stop()
  })

  it('writes nothing when pod changes do not change the endpoints, and follows service label changes', async () => {
    const { h, c } = await started()
    await h.create(service('web', { app: 'web' }))
    for (const n of ['a', 'b']) await h.create(webPod(n))
    for (const n of ['a', 'b']) await setStatus(h, n, true)
    await h.settle(c)
    const before = endpointWrites(h)
    const rv = endpointsOf(h)?.metadata.resourceVersion
    // An annotation, a restart count, the same status again: none changes the endpoints.
    const a = h.get('', 'Pod', 'a') as KObject
    await update(h, { ...a, metadata: { ...a.metadata, annotations: { note: 'x' } } })
    await setStatus(h, 'b', true)
    await h.create(webPod('unrelated', { labels: { app: 'db' } }))
    await h.settle(c)
    expect(endpointWrites(h)).toBe(before)
    expect(endpointsOf(h)?.metadata.resourceVersion).toBe(rv)
    // A restarted controller (new leader) on the same state writes nothing either.
    await c.stop()
    const again = endpointsController(h.ctx)
    again.start()
    await h.settle(again)
    expect(endpointWrites(h)).toBe(before)
    const svc = h.get('', 'Service', 'web') as KObject
    await update(h, { ...svc, metadata: { ...svc.metadata, labels: { tier: 'front' } } })
    await h.settle(again)
    expect(endpointWrites(h)).toBe(before + 1)
    expect(endpointsOf(h)?.metadata.labels).toEqual({ tier: 'front', 'endpoints.kubernetes.io/managed-by': 'endpoint-controller' })
    await again.stop()
  })

  it('deletes its Endpoints when the service is deleted or loses its selector, and puts back edited ones', async () => {
    const { h, c } = await started()
    await h.create(service('web', { app: 'web' }))
    await h.create(service('api', { app: 'web' }))
    await h.create(webPod('a'))
    await setStatus(h, 'a', true)
    await h.settle(c)
    expect(endpointsOf(h, 'web')).toBeDefined()
    expect(endpointsOf(h, 'api')).toBeDefined()
    const ep = endpointsOf(h, 'api') as KObject
    const wanted = ep.subsets
    await update(h, { ...ep, subsets: [{ addresses: [{ ip: '10.7.7.7' }] }] })
    await h.settle(c)
    expect(endpointsOf(h, 'api')?.subsets).toEqual(wanted)
    await h.backend.write({ op: 'delete', ref: { group: '', kind: 'Service', namespace: 'default', name: 'web' } })
    const svc = h.get('', 'Service', 'api') as KObject
    await update(h, { ...svc, spec: { ...(svc.spec as object), selector: undefined } })
    await h.settle(c)
    expect(endpointsOf(h, 'web')).toBeUndefined()
    expect(endpointsOf(h, 'api')).toBeUndefined()
    await c.stop()
  })

  it('leaves Endpoints of a selector-less service alone, and removes managed leftovers on start', async () => {
    const h = await controllerHarness()
    await h.create(service('ext', undefined))
    const userSubsets = [{ addresses: [{ ip: '192.0.2.10' }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }]
    await h.create({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'ext', namespace: 'default' }, subsets: userSubsets })
    // Left by an earlier leader for a service deleted while no controller ran.
    await h.create({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'gone', namespace: 'default', labels: { 'endpoints.kubernetes.io/managed-by': 'endpoint-controller' } } })
    await h.create(webPod('a'))
    await setStatus(h, 'a', true)
    const c = endpointsController(h.ctx)
    c.start()
    await h.settle(c)
    expect(endpointsOf(h, 'ext')?.subsets).toEqual(userSubsets)
    expect(endpointsOf(h, 'gone')).toBeUndefined()
    await h.backend.write({ op: 'delete', ref: { group: '', kind: 'Service', namespace: 'default', name: 'ext' } })
    await h.settle(c)
    expect(endpointsOf(h, 'ext')?.subsets).toEqual(userSubsets)
    await c.stop()
  })

  it('two controller instances converge on one Endpoints without duplicates or write storms', async () => {
    const h = await controllerHarness()
    await h.create(service('web', { app: 'web' }))
    for (const n of ['a', 'b']) await h.create(webPod(n))
    for (const n of ['a', 'b']) await setStatus(h, n, true)
    const first = endpointsController(h.ctx)
    const second = endpointsController(h.ctx)
    first.start()
    second.start()
    await h.settle(first, second)
    expect(h.list('', 'Endpoints', 'default').map((e) => e.metadata.name)).toEqual(['web'])
    await setStatus(h, 'a', false)
    await h.settle(first, second)
    const before = endpointWrites(h)
    await h.settle(first, second)
    expect(endpointWrites(h)).toBe(before)
    const subsets = endpointsOf(h)?.subsets as Array<{ addresses?: Array<{ ip: string }>, notReadyAddresses?: Array<{ ip: string }> }>
    expect(subsets.flatMap((s) => (s.addresses ?? []).map((x) => x.ip))).toEqual(['10.1.0.2'])
    expect(subsets.flatMap((s) => (s.notReadyAddresses ?? []).map((x) => x.ip))).toEqual(['10.1.0.1'])
    expect(h.logs.filter((l) => l.includes('endpoints-controller'))).toEqual([])
    await first.stop()
    await second.stop()
  })

  it('leaves out pods whose IP cannot be an endpoint, saying so', async () => {
    const { h, c } = await started()
    await h.create(service('web', { app: 'web' }))
    await h.create(webPod('a'))
    await h.create(webPod('b'))
    await setStatus(h, 'a', true, '127.0.0.1')
    await setStatus(h, 'b', true)
    await h.settle(c)
    expect(endpointsOf(h)?.subsets).toEqual([{ addresses: [{ ip: '10.1.0.2', nodeName: 'node-a', targetRef: ref(h, 'b') }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }])
    expect(h.logs.some((l) => l.includes('default/web') && l.includes('a (127.0.0.1)'))).toBe(true)
    await c.stop()
  })
})
