// The proxy's frontends from Services and Endpoints: cluster IP and node port listeners per
// Service port, backends matched by port name and protocol, ready addresses only.

import { describe, expect, it } from 'vitest'
import { backendsFor, serviceFrontends } from '../../../src/proxy/service-table.ts'
import type { KObject } from '../../../src/store/types.ts'

const svc = (name: string, spec: Record<string, unknown>): KObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec })
const endpoints: KObject = {
  apiVersion: 'v1',
  kind: 'Endpoints',
  metadata: { name: 'web', namespace: 'default' },
  subsets: [
    { addresses: [{ ip: '172.17.0.2' }, { ip: '172.17.0.3' }], notReadyAddresses: [{ ip: '172.17.0.9' }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] },
    { addresses: [{ ip: '172.17.0.4' }], ports: [{ name: 'http', port: 9090, protocol: 'TCP' }] }
  ]
}

describe('service frontends', () => {
  it('matches backends by port name and protocol, ready addresses only, across subsets', () => {
    expect(backendsFor(endpoints, 'http', 'TCP')).toEqual([{ ip: '172.17.0.2', port: 8080 }, { ip: '172.17.0.3', port: 8080 }, { ip: '172.17.0.4', port: 9090 }])
    expect(backendsFor(endpoints, 'http', 'UDP')).toEqual([])
    expect(backendsFor(endpoints, 'dns', 'UDP')).toEqual([{ ip: '172.17.0.2', port: 53 }, { ip: '172.17.0.3', port: 53 }])
    expect(backendsFor(undefined, 'http', 'TCP')).toEqual([])
  })

  it('gives a NodePort Service a cluster IP frontend and a node port frontend on the node address', () => {
    const web = svc('web', { type: 'NodePort', clusterIP: '10.96.0.7', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }], sessionAffinity: 'ClientIP' })
    const fs = serviceFrontends([web], () => endpoints, '127.0.0.2')
    expect(fs.map((f) => [f.key, f.kind, f.affinitySeconds])).toEqual([['10.96.0.7:80/TCP', 'clusterIP', 10800], ['127.0.0.2:30080/TCP', 'nodePort', 10800]])
    expect(fs[1]?.backends).toHaveLength(3)
    expect(fs[1]?.service).toBe('default/web')
  })

  it('leaves out headless and ExternalName Services, skipped ones and ones being deleted; ClusterIP gets no node port', () => {
    const services = [
      svc('headless', { clusterIP: 'None', ports: [{ port: 80, protocol: 'TCP' }] }),
      svc('ext', { type: 'ExternalName', externalName: 'example.com' }),
      svc('plain', { type: 'ClusterIP', clusterIP: '10.96.0.8', ports: [{ port: 80, protocol: 'TCP', nodePort: 30001 }], sessionAffinityConfig: { clientIP: { timeoutSeconds: 5 } } }),
      svc('skipme', { clusterIP: '10.96.0.10', ports: [{ port: 53, protocol: 'UDP' }] }),
      { ...svc('gone', { clusterIP: '10.96.0.11', ports: [{ port: 80 }] }), metadata: { name: 'gone', namespace: 'default', deletionTimestamp: '2024-01-01T00:00:00Z' } }
    ]
    const fs = serviceFrontends(services, () => undefined, '127.0.0.1', (s) => s.metadata.name === 'skipme')
    expect(fs.map((f) => f.key)).toEqual(['10.96.0.8:80/TCP'])
    expect(fs[0]?.affinitySeconds).toBeUndefined()
    expect(fs[0]?.backends).toEqual([])
  })
})
