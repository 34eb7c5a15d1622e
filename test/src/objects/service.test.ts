// Service defaults and rules: types, ports, node ports, ExternalName.

import { describe, expect, it } from 'vitest'
import { serviceKind } from '../../../src/objects/service.ts'
import { formatFieldError } from '../../../src/objects/validation.ts'
import type { KObject } from '../../../src/store/types.ts'

function service (spec: Record<string, unknown>, name = 'web'): KObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec }
}

const errorsOf = (obj: KObject): string[] => serviceKind.validate(obj).map(formatFieldError)

describe('Service', () => {
  it('defaults type, affinity, protocol and targetPort, idempotently', () => {
    const s = service({ selector: { app: 'web' }, ports: [{ port: 80 }, { name: 'dns', port: 53, protocol: 'UDP', targetPort: 5353 }] })
    serviceKind.defaults(s)
    expect(s.spec).toEqual({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      selector: { app: 'web' },
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }, { name: 'dns', port: 53, protocol: 'UDP', targetPort: 5353 }]
    })
    const once = structuredClone(s)
    serviceKind.defaults(s)
    expect(s).toEqual(once)
  })

  it('accepts a valid service and names ports when there are several', () => {
    expect(errorsOf(service({ ports: [{ port: 80 }] }))).toEqual([])
    expect(errorsOf(service({ ports: [{ port: 80 }, { name: 'b', port: 81 }, { name: 'b', port: 0 }] }))).toEqual([
      'spec.ports[0].name: Required value',
      'spec.ports[2].name: Duplicate value: "b"',
      'spec.ports[2].port: Invalid value: 0: must be between 1 and 65535, inclusive'
    ])
  })

  it('checks the type and node ports', () => {
    expect(errorsOf(service({ type: 'Magic', ports: [{ port: 80 }] }))).toEqual([
      'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'
    ])
    expect(errorsOf(service({ type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] }))).toEqual([
      'spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767'
    ])
    expect(errorsOf(service({ type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }))).toEqual([])
    expect(errorsOf(service({ ports: [{ port: 80, nodePort: 30080 }] }))).toEqual([
      "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"
    ])
  })

  it('requires ports except for ExternalName and headless services', () => {
    expect(errorsOf(service({}))).toEqual(['spec.ports: Required value'])
    expect(errorsOf(service({ clusterIP: 'None' }))).toEqual([])
    expect(errorsOf(service({ type: 'ExternalName' }))).toEqual(['spec.externalName: Required value'])
    expect(errorsOf(service({ type: 'ExternalName', externalName: 'db.example.com' }))).toEqual([])
  })

  it('requires DNS-1035 names and valid cluster IPs', () => {
    expect(errorsOf(service({ ports: [{ port: 80 }] }, '1web'))[0]).toMatch(/^metadata\.name: Invalid value: "1web": a DNS-1035 label/)
    expect(errorsOf(service({ clusterIP: '10.0.0.300', ports: [{ port: 80 }] }))).toEqual([
      'spec.clusterIP: Invalid value: "10.0.0.300": must be empty, \'None\', or a valid IP address'
    ])
  })
})
