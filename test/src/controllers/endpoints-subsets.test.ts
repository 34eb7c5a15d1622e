// The pure part of the endpoints controller: which pods are endpoints, targetPort
// resolution (Kubernetes' FindPort), the labels of managed Endpoints, and subsets that do
// not depend on the order pods are listed in.

import { describe, expect, it } from 'vitest'
import { endpointsLabels, endpointSubsets, findPort, shouldPodBeInEndpoints } from '../../../src/controllers/endpoints-subsets.ts'
import type { Pod } from '../../../src/objects/pod.ts'
import type { Service } from '../../../src/objects/service.ts'

function pod (name: string, ip: string | undefined, extra: { ports?: unknown[], phase?: string, deleting?: boolean, ready?: boolean, init?: unknown[] } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, ...(extra.deleting === true ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
    spec: { containers: [{ name: 'c', image: 'x', ports: extra.ports ?? [] }], ...(extra.init === undefined ? {} : { initContainers: extra.init }) },
    status: {
      phase: extra.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: extra.ready === false ? 'False' : 'True' }],
      ...(ip === undefined ? {} : { podIP: ip })
    }
  } as unknown as Pod
}

function service (spec: Record<string, unknown>, labels?: Record<string, string>): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default', ...(labels === undefined ? {} : { labels }) }, spec: { selector: { app: 'web' }, ...spec } } as Service
}

describe('endpoint subsets', () => {
  it('takes pods with an IP that are neither finished nor (unless included) terminating', () => {
    expect(shouldPodBeInEndpoints(pod('a', '10.0.0.1'), false)).toBe(true)
    expect(shouldPodBeInEndpoints(pod('a', undefined), true)).toBe(false)
    expect(shouldPodBeInEndpoints(pod('a', '10.0.0.1', { phase: 'Failed' }), true)).toBe(false)
    expect(shouldPodBeInEndpoints(pod('a', '10.0.0.1', { phase: 'Succeeded' }), true)).toBe(false)
    expect(shouldPodBeInEndpoints(pod('a', '10.0.0.1', { deleting: true }), false)).toBe(false)
    expect(shouldPodBeInEndpoints(pod('a', '10.0.0.1', { deleting: true }), true)).toBe(true)
  })

  it('resolves targetPort: a number as is, a name by container port name and protocol, sidecars included', () => {
    const p = pod('a', '10.0.0.1', {
      ports: [{ name: 'dns', containerPort: 5353, protocol: 'UDP' }, { name: 'http', containerPort: 8080 }],
      init: [{ name: 'proxy', image: 'x', restartPolicy: 'Always', ports: [{ name: 'proxy', containerPort: 15001 }] }, { name: 'setup', image: 'x', ports: [{ name: 'setup', containerPort: 1 }] }]
    })
    expect(findPort(p, { port: 80, targetPort: 9000 })).toBe(9000)
    expect(findPort(p, { port: 80 })).toBe(80)
    expect(findPort(p, { port: 80, targetPort: 'http', protocol: 'TCP' })).toBe(8080)
    expect(findPort(p, { port: 53, targetPort: 'dns', protocol: 'UDP' })).toBe(5353)
    expect(findPort(p, { port: 53, targetPort: 'dns', protocol: 'TCP' })).toBeUndefined()
    expect(findPort(p, { port: 80, targetPort: 'proxy', protocol: 'TCP' })).toBe(15001)
    expect(findPort(p, { port: 80, targetPort: 'setup', protocol: 'TCP' })).toBeUndefined()
  })

  it('labels managed Endpoints with the service labels, headless and managed-by', () => {
    expect(endpointsLabels(service({}, { app: 'web', 'service.kubernetes.io/headless': '' }))).toEqual({ app: 'web', 'endpoints.kubernetes.io/managed-by': 'endpoint-controller' })
    expect(endpointsLabels(service({ clusterIP: 'None' }))).toEqual({ 'service.kubernetes.io/headless': '', 'endpoints.kubernetes.io/managed-by': 'endpoint-controller' })
  })

  it('gives the same subsets whatever order the pods come in, addresses sorted by IP', () => {
    const svc = service({ ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' }] })
    const pods = [
      pod('a', '10.0.0.9', { ports: [{ name: 'http', containerPort: 8080 }] }),
      pod('b', '10.0.0.1', { ports: [{ name: 'http', containerPort: 8080 }], ready: false }),
      pod('c', '10.0.0.5', { ports: [{ name: 'http', containerPort: 9090 }] }),
      pod('d', '10.0.0.2', { ports: [{ name: 'http', containerPort: 8080 }] })
    ]
    const forward = endpointSubsets(svc, pods).subsets
    expect(endpointSubsets(svc, [...pods].reverse()).subsets).toEqual(forward)
    const [a, b, c, d] = pods as [Pod, Pod, Pod, Pod]
    expect(endpointSubsets(svc, [c, b, d, a]).subsets).toEqual(forward)
    expect(forward.map((s) => ({ ready: s.addresses?.map((a) => a.ip), notReady: s.notReadyAddresses?.map((a) => a.ip), ports: s.ports?.map((p) => p.port) }))).toEqual([
      { ready: ['10.0.0.2', '10.0.0.9'], notReady: ['10.0.0.1'], ports: [8080] },
      { ready: ['10.0.0.5'], notReady: undefined, ports: [9090] }
    ])
  })

  it('gives no subsets to a service without ports unless it is headless', () => {
    const pods = [pod('a', '10.0.0.1')]
    expect(endpointSubsets(service({ ports: [] }), pods).subsets).toEqual([])
    expect(endpointSubsets(service({ clusterIP: 'None' }), pods).subsets).toEqual([
      { addresses: [{ ip: '10.0.0.1', targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' } }] }
    ])
  })
})
