// The kinds table and kubectl-style name lookups.

import { describe, expect, it } from 'vitest'
import { findKind, KINDS, kindFor, kindForResource, kindsInCategory, qualifiedResource } from '../../../src/objects/kinds.ts'
import { apiVersionOf, splitApiVersion } from '../../../src/objects/registry.ts'

describe('findKind', () => {
  it.each([
    ['pods', 'Pod'], ['pod', 'Pod'], ['po', 'Pod'], ['Pod', 'Pod'], ['PODS', 'Pod'],
    ['deployments.apps', 'Deployment'], ['deployment.apps', 'Deployment'], ['deploy', 'Deployment'],
    ['deployments.v1.apps', 'Deployment'], ['rs', 'ReplicaSet'], ['replicasets.apps', 'ReplicaSet'],
    ['ns', 'Namespace'], ['no', 'Node'], ['cm', 'ConfigMap'], ['secret', 'Secret'], ['svc', 'Service'],
    ['services', 'Service'], ['pods.v1', 'Pod'],
    ['ep', 'Endpoints'], ['endpoints', 'Endpoints'], ['Endpoints', 'Endpoints'],
    ['ing', 'Ingress'], ['ingress', 'Ingress'], ['ingresses.networking.k8s.io', 'Ingress'], ['ing.v1.networking.k8s.io', 'Ingress']
  ])('%s → %s', (name, kind) => {
    expect(findKind(name)?.kind).toBe(kind)
  })

  it('rejects unknown names and wrong groups', () => {
    expect(findKind('widgets')).toBeUndefined()
    expect(findKind('deployments.extensions')).toBeUndefined()
    expect(findKind('pods.apps')).toBeUndefined()
    expect(findKind('ingresses.extensions')).toBeUndefined()
  })
})

describe('kind table', () => {
  it('serves core v1, apps/v1 and networking.k8s.io/v1', () => {
    expect(KINDS.map((k) => apiVersionOf(k) + ' ' + k.kind)).toEqual([
      'v1 Namespace', 'v1 Node', 'v1 Pod', 'v1 ConfigMap', 'v1 Secret', 'v1 Service', 'v1 Endpoints', 'v1 Event', 'apps/v1 Deployment', 'apps/v1 ReplicaSet',
      'networking.k8s.io/v1 Ingress'
    ])
    expect(kindFor('apps', 'Deployment')?.plural).toBe('deployments')
    expect(kindFor('', 'Deployment')).toBeUndefined()
    expect(kindForResource('', 'v1', 'pods')?.kind).toBe('Pod')
    expect(kindForResource('apps', 'v1', 'replicasets')?.kind).toBe('ReplicaSet')
    expect(kindForResource('apps', 'v2', 'replicasets')).toBeUndefined()
    expect(kindForResource('', 'v1', 'endpoints')?.kind).toBe('Endpoints')
    expect(kindForResource('networking.k8s.io', 'v1', 'ingresses')?.kind).toBe('Ingress')
  })

  it('puts pods, services, deployments and replicasets in `all`', () => {
    expect(kindsInCategory('all').map((k) => k.plural).sort()).toEqual(['deployments', 'pods', 'replicasets', 'services'])
  })

  it('declares scope and subresources', () => {
    expect(KINDS.filter((k) => !k.namespaced).map((k) => k.kind)).toEqual(['Namespace', 'Node'])
    for (const k of KINDS) {
      expect(k.subresources.includes('status')).toBe(!['ConfigMap', 'Secret', 'Endpoints', 'Event'].includes(k.kind))
      expect(k.subresources.includes('scale')).toBe(k.kind === 'Deployment' || k.kind === 'ReplicaSet')
    }
  })

  it('names resources as Kubernetes messages do', () => {
    expect(qualifiedResource('', 'Pod')).toBe('pods')
    expect(qualifiedResource('apps', 'Deployment')).toBe('deployments.apps')
    expect(qualifiedResource('networking.k8s.io', 'Ingress')).toBe('ingresses.networking.k8s.io')
    expect(splitApiVersion('apps/v1')).toEqual({ group: 'apps', version: 'v1' })
    expect(splitApiVersion('v1')).toEqual({ group: '', version: 'v1' })
  })
})
