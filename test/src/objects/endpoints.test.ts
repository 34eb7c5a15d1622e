// Endpoints defaults and rules, as Kubernetes' ValidateEndpoints: addresses required per
// subset, endpoint IPs, hostnames, node names, ports, protocols and port names.

import { describe, expect, it } from 'vitest'
import { endpointIPErrors, endpointsKind } from '../../../src/objects/endpoints.ts'
import { formatFieldError } from '../../../src/objects/validation.ts'
import type { KObject } from '../../../src/store/types.ts'

function endpoints (subsets: unknown, name = 'web'): KObject {
  return { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace: 'default' }, subsets }
}

const errorsOf = (obj: KObject): string[] => endpointsKind.validate(obj).map(formatFieldError)

describe('Endpoints', () => {
  it('defaults port protocols to TCP, idempotently', () => {
    const e = endpoints([{ addresses: [{ ip: '10.0.0.1' }], ports: [{ name: 'a', port: 80 }, { name: 'b', port: 53, protocol: 'UDP' }] }])
    endpointsKind.defaults(e)
    expect(e.subsets).toEqual([{ addresses: [{ ip: '10.0.0.1' }], ports: [{ name: 'a', port: 80, protocol: 'TCP' }, { name: 'b', port: 53, protocol: 'UDP' }] }])
    const once = structuredClone(e)
    endpointsKind.defaults(e)
    expect(e).toEqual(once)
  })

  it('accepts a full object, an empty one, and a subset without ports (headless)', () => {
    expect(errorsOf(endpoints([{
      addresses: [{ ip: '10.0.0.1', hostname: 'web-0', nodeName: 'node-a', targetRef: { kind: 'Pod', namespace: 'default', name: 'web-0', uid: 'u1' } }],
      notReadyAddresses: [{ ip: 'fd00::5' }],
      ports: [{ name: 'http', port: 80, protocol: 'TCP', appProtocol: 'kubernetes.io/h2c' }, { name: 'dns', port: 53, protocol: 'UDP' }]
    }]))).toEqual([])
    expect(errorsOf(endpoints(undefined))).toEqual([])
    expect(errorsOf(endpoints([]))).toEqual([])
    expect(errorsOf(endpoints([{ notReadyAddresses: [{ ip: '10.0.0.2' }] }]))).toEqual([])
  })

  it('requires an address in every subset', () => {
    expect(errorsOf(endpoints([{ ports: [{ port: 80, protocol: 'TCP' }] }, { addresses: [], notReadyAddresses: [] }]))).toEqual([
      'subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`',
      'subsets[1]: Required value: must specify `addresses` or `notReadyAddresses`'
    ])
  })

  it('checks addresses: IPs usable as endpoints, hostnames and node names', () => {
    expect(errorsOf(endpoints([{
      addresses: [{ ip: 'nope' }, { ip: '127.0.0.1' }, { ip: '10.0.0.1', hostname: 'Web_0' }, { ip: '10.0.0.2', nodeName: 'Node A' }, {}],
      notReadyAddresses: [{ ip: '169.254.169.254' }]
    }]))).toEqual([
      'subsets[0].addresses[0].ip: Invalid value: "nope": must be a valid IP address',
      'subsets[0].addresses[1].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
      expect.stringMatching(/^subsets\[0\]\.addresses\[2\]\.hostname: Invalid value: "Web_0": a lowercase RFC 1123 label must/),
      expect.stringMatching(/^subsets\[0\]\.addresses\[3\]\.nodeName: Invalid value: "Node A": a lowercase RFC 1123 subdomain must/),
      'subsets[0].addresses[4].ip: Required value',
      'subsets[0].notReadyAddresses[0].ip: Invalid value: "169.254.169.254": may not be in the link-local range (169.254.0.0/16, fe80::/10)'
    ])
  })

  it.each([
    ['10.1.2.3', []], ['fd00::1', []], ['::ffff:10.0.0.1', []],
    ['0.0.0.0', ['may not be unspecified (0.0.0.0)']], ['::', ['may not be unspecified (::)']],
    ['127.9.9.9', ['may not be in the loopback range (127.0.0.0/8, ::1/128)']], ['::1', ['may not be in the loopback range (127.0.0.0/8, ::1/128)']],
    ['fe80::1', ['may not be in the link-local range (169.254.0.0/16, fe80::/10)']],
    ['224.0.0.251', ['may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)']],
    ['ff02::fb', ['may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)']],
    ['10.0.0.256', ['must be a valid IP address']]
  ])('endpoint IP %s', (ip, want) => {
    expect(endpointIPErrors(ip)).toEqual(want)
  })

  it('checks ports: range, protocol, names (required and unique when several)', () => {
    expect(errorsOf(endpoints([{
      addresses: [{ ip: '10.0.0.1' }],
      ports: [{ port: 80, protocol: 'TCP' }, { name: 'b', port: 0, protocol: 'TCP' }, { name: 'b', port: 81, protocol: 'HTTP' }, { name: 'Bad_Name', port: 65536 }]
    }]))).toEqual([
      'subsets[0].ports[0].name: Required value',
      'subsets[0].ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive',
      'subsets[0].ports[2].name: Duplicate value: "b"',
      'subsets[0].ports[2].protocol: Unsupported value: "HTTP": supported values: "TCP", "UDP", "SCTP"',
      expect.stringMatching(/^subsets\[0\]\.ports\[3\]\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 label must/),
      'subsets[0].ports[3].port: Invalid value: 65536: must be between 1 and 65535, inclusive',
      'subsets[0].ports[3].protocol: Required value'
    ])
    // One port needs no name.
    expect(errorsOf(endpoints([{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 8080, protocol: 'SCTP' }] }]))).toEqual([])
  })

  it('checks the name as a DNS-1123 subdomain and requires a namespace', () => {
    const e = endpoints([], 'Web')
    delete e.metadata.namespace
    expect(errorsOf(e)).toEqual([
      expect.stringMatching(/^metadata\.name: Invalid value: "Web": a lowercase RFC 1123 subdomain must/),
      'metadata.namespace: Required value'
    ])
  })

  it('is served as core/v1 endpoints, short name ep, in no category', () => {
    expect(endpointsKind).toMatchObject({ group: '', version: 'v1', plural: 'endpoints', singular: 'endpoints', shortNames: ['ep'], namespaced: true, categories: [], subresources: [] })
  })
})
