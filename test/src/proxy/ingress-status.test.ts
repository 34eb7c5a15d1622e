// Ingress status addresses: Ready nodes' InternalIPs only, this node's added while it is
// Ready, sorted, and no rewrite when the list is already right.

import { describe, expect, it } from 'vitest'
import { loadBalancerIps, readyNodeIps, wantedIps, withLoadBalancerIps } from '../../../src/proxy/ingress-status.ts'
import type { KObject } from '../../../src/store/types.ts'

const node = (name: string, ip: string, ready: string): KObject => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name },
  status: { conditions: [{ type: 'Ready', status: ready }], addresses: [{ type: 'Hostname', address: name }, { type: 'InternalIP', address: ip }] }
})
const ingress = (ips: string[]): KObject => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'default' }, spec: {},
  ...(ips.length > 0 ? { status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } } } : {})
})

describe('ingress status addresses', () => {
  const ready = readyNodeIps([node('a', '10.0.0.1', 'True'), node('b', '10.0.0.2', 'True'), node('c', '10.0.0.3', 'Unknown'), node('d', '10.0.0.4', 'False'), { apiVersion: 'v1', kind: 'Node', metadata: { name: 'e' } }])

  it('knows the Ready nodes and their InternalIPs', () => {
    expect([...ready]).toEqual([['a', '10.0.0.1'], ['b', '10.0.0.2']])
  })

  it('adds this node while it is Ready and keeps only Ready nodes\' addresses, sorted', () => {
    expect(wantedIps(ingress([]), ready, 'b', '10.0.0.2')).toEqual(['10.0.0.2'])
    expect(wantedIps(ingress(['10.0.0.3', '10.0.0.1', '192.168.9.9']), ready, 'b', '10.0.0.2')).toEqual(['10.0.0.1', '10.0.0.2'])
    expect(wantedIps(ingress(['10.0.0.1', '10.0.0.3']), ready, 'c', '10.0.0.3')).toEqual(['10.0.0.1'])
  })

  it('rewrites the status only when the list differs, keeping the rest of the status', () => {
    expect(withLoadBalancerIps(ingress(['10.0.0.1', '10.0.0.2']), ['10.0.0.1', '10.0.0.2'])).toBeUndefined()
    const base = { ...ingress(['10.0.0.2', '10.0.0.1']), status: { loadBalancer: { ingress: [{ ip: '10.0.0.2' }, { ip: '10.0.0.1' }] }, other: 1 } }
    const updated = withLoadBalancerIps(base, ['10.0.0.1', '10.0.0.2'])
    expect(updated?.status).toEqual({ loadBalancer: { ingress: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }] }, other: 1 })
    expect(loadBalancerIps(base)).toEqual(['10.0.0.2', '10.0.0.1'])
    expect(withLoadBalancerIps(ingress([]), [])).toBeUndefined()
  })
})
