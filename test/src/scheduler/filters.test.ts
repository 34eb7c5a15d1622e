// Each filter plugin on its own: a node that should fit does, one that should not gives
// kube-scheduler's reason. Pods "already bound" are fed to the cache as the replica would.

import { describe, expect, it } from 'vitest'
import { SchedulerCache } from '../../../src/scheduler/cache.ts'
import { filterContext, runFilters } from '../../../src/scheduler/filters.ts'
import { podInfoOf } from '../../../src/scheduler/pod-info.ts'
import type { NamespaceLabels } from '../../../src/scheduler/pod-anti-affinity.ts'
import type { Node } from '../../../src/objects/node.ts'
import type { Pod } from '../../../src/objects/pod.ts'
import { makeNode, makePod } from './fixtures.ts'

const noNamespaces: NamespaceLabels = () => undefined

/** The reasons `pod` does not fit `node` (empty when it fits), with `bound` pods already there. */
function reasons (pod: Pod, node: Node, bound: Pod[] = [], nsLabels: NamespaceLabels = noNamespaces): readonly string[] {
  const cache = new SchedulerCache()
  cache.upsertNode(node)
  for (const p of bound) cache.observePod(p)
  const info = cache.node(node.metadata.name)
  if (info === undefined) throw new Error('node not cached')
  return runFilters(filterContext(podInfoOf(pod), cache, nsLabels), info)
}

describe('scheduler filters', () => {
  it('node readiness: only Ready=True nodes take pods', () => {
    expect(reasons(makePod('p'), makeNode('n'))).toEqual([])
    expect(reasons(makePod('p'), makeNode('n', { ready: false }))).toEqual(['node(s) were not ready'])
    const noConditions = makeNode('n')
    noConditions.status = { allocatable: { cpu: '1', memory: '1Gi', pods: '10' } }
    expect(reasons(makePod('p'), noConditions)).toEqual(['node(s) were not ready'])
  })

  it('cordoned nodes are unschedulable unless the pod tolerates the unschedulable taint', () => {
    expect(reasons(makePod('p'), makeNode('n', { unschedulable: true }))).toEqual(['node(s) were unschedulable'])
    const tolerant = makePod('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] })
    expect(reasons(tolerant, makeNode('n', { unschedulable: true }))).toEqual([])
  })

  it('resources: requests must fit allocatable minus the requests of non-terminated pods bound there', () => {
    const node = makeNode('n', { cpu: '2', memory: '4Gi', pods: '3' })
    const running = makePod('a', { cpu: '1500m', memory: '1Gi', nodeName: 'n', phase: 'Running' })
    const done = makePod('b', { cpu: '1', memory: '2Gi', nodeName: 'n', phase: 'Succeeded' })
    const failed = makePod('c', { cpu: '1', memory: '2Gi', nodeName: 'n', phase: 'Failed' })
    expect(reasons(makePod('p', { cpu: '500m', memory: '3Gi' }), node, [running, done, failed])).toEqual([])
    expect(reasons(makePod('p', { cpu: '501m' }), node, [running])).toEqual(['Insufficient cpu'])
    expect(reasons(makePod('p', { cpu: '1', memory: '3073Mi' }), node, [running])).toEqual(['Insufficient cpu', 'Insufficient memory'])
    const full = [makePod('x', { nodeName: 'n' }), makePod('y', { nodeName: 'n' }), makePod('z', { nodeName: 'n' })]
    expect(reasons(makePod('p'), node, full)).toEqual(['Too many pods'])
  })

  it('resources: a limit without a request counts as the request; init containers count at their largest', () => {
    const node = makeNode('n', { cpu: '1' })
    const limited = makePod('p', { containers: [{ name: 'c', image: 'i', resources: { limits: { cpu: '2' } } }] })
    expect(reasons(limited, node)).toEqual(['Insufficient cpu'])
    const withInit = makePod('p')
    withInit.spec.initContainers = [{ name: 'init', image: 'i', resources: { requests: { cpu: '1500m' } } }]
    expect(reasons(withInit, node)).toEqual(['Insufficient cpu'])
  })

  it('nodeSelector: every pair must be among the node labels', () => {
    const node = makeNode('n', { labels: { disk: 'ssd', zone: 'a' } })
    expect(reasons(makePod('p', { nodeSelector: { disk: 'ssd' } }), node)).toEqual([])
    expect(reasons(makePod('p', { nodeSelector: { disk: 'ssd', zone: 'b' } }), node)).toEqual(["node(s) didn't match Pod's node affinity/selector"])
  })

  it('required node affinity: terms are ORed, expressions ANDed, with In/NotIn/Exists/DoesNotExist/Gt/Lt and matchFields metadata.name', () => {
    const node = makeNode('n1', { labels: { zone: 'a', cores: '8' } })
    const affinity = (...terms: unknown[]): Record<string, unknown> => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } })
    const fits = (...terms: unknown[]): boolean => reasons(makePod('p', { affinity: affinity(...terms) }), node).length === 0
    expect(fits({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] })).toBe(true)
    expect(fits({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] })).toBe(false)
    expect(fits({ matchExpressions: [{ key: 'gpu', operator: 'NotIn', values: ['x'] }] })).toBe(true)
    expect(fits({ matchExpressions: [{ key: 'zone', operator: 'Exists' }] })).toBe(true)
    expect(fits({ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] })).toBe(false)
    expect(fits({ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['4'] }] })).toBe(true)
    expect(fits({ matchExpressions: [{ key: 'cores', operator: 'Lt', values: ['4'] }] })).toBe(false)
    expect(fits({ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['many'] }] })).toBe(false)
    expect(fits({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }, { key: 'cores', operator: 'Lt', values: ['4'] }] })).toBe(false)
    expect(fits({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] })).toBe(true)
    expect(fits({ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['n1'] }] })).toBe(false)
    expect(fits({})).toBe(false)
    expect(fits({ matchExpressions: [{ key: 'zone', operator: 'Near', values: ['a'] }] })).toBe(false)
    expect(reasons(makePod('p', { affinity: affinity({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }) }), node))
      .toEqual(["node(s) didn't match Pod's node affinity/selector"])
  })

  it('taints: NoSchedule and NoExecute block unless tolerated; PreferNoSchedule does not', () => {
    const node = makeNode('n', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }, { key: 'slow', effect: 'PreferNoSchedule' }] })
    expect(reasons(makePod('p'), node)).toEqual(['node(s) had untolerated taint {dedicated: db}'])
    expect(reasons(makePod('p', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] }), node)).toEqual([])
    expect(reasons(makePod('p', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web' }] }), node)).toHaveLength(1)
    expect(reasons(makePod('p', { tolerations: [{ key: 'dedicated', operator: 'Exists' }] }), node)).toEqual([])
    expect(reasons(makePod('p', { tolerations: [{ operator: 'Exists' }] }), node)).toEqual([])
    expect(reasons(makePod('p', { tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }] }), node)).toHaveLength(1)
    const noExecute = makeNode('n', { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] })
    expect(reasons(makePod('p'), noExecute)).toEqual(['node(s) had untolerated taint {node.kubernetes.io/not-ready: }'])
  })

  it('host ports: a port in use on the node (same protocol, overlapping address) does not fit', () => {
    const node = makeNode('n')
    const there = makePod('a', { hostPort: 8080, nodeName: 'n' })
    expect(reasons(makePod('p', { hostPort: 8080 }), node, [there])).toEqual(["node(s) didn't have free ports for the requested pod ports"])
    expect(reasons(makePod('p', { hostPort: 8081 }), node, [there])).toEqual([])
    const udp = makePod('p', { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 53, hostPort: 8080, protocol: 'UDP' }] }] })
    expect(reasons(udp, node, [there])).toEqual([])
    const hostNetwork = makePod('p', { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 8080 }] }] })
    hostNetwork.spec.hostNetwork = true
    expect(reasons(hostNetwork, node, [there])).toEqual(["node(s) didn't have free ports for the requested pod ports"])
    // A pod that finished gives its port back.
    expect(reasons(makePod('p', { hostPort: 8080 }), node, [makePod('a', { hostPort: 8080, nodeName: 'n', phase: 'Succeeded' })])).toEqual([])
  })

  it('pod anti-affinity on the hostname: not beside a pod its terms select, in its namespace or the listed ones', () => {
    const node = makeNode('n')
    const term = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'kubernetes.io/hostname', ...extra }] }
    })
    const db = makePod('db-0', { labels: { app: 'db' }, nodeName: 'n' })
    const dbElsewhere = makePod('db-1', { labels: { app: 'db' }, nodeName: 'n', namespace: 'other' })
    expect(reasons(makePod('p', { affinity: term() }), node, [db])).toEqual(["node(s) didn't match pod anti-affinity rules"])
    expect(reasons(makePod('p', { affinity: term() }), node, [dbElsewhere])).toEqual([])
    expect(reasons(makePod('p', { affinity: term({ namespaces: ['other'] }) }), node, [dbElsewhere])).toEqual(["node(s) didn't match pod anti-affinity rules"])
    expect(reasons(makePod('p', { affinity: term({ namespaceSelector: {} }) }), node, [dbElsewhere])).toHaveLength(1)
    const labelled = (ns: string): Record<string, string> | undefined => ns === 'other' ? { team: 'x' } : {}
    expect(reasons(makePod('p', { affinity: term({ namespaceSelector: { matchLabels: { team: 'x' } } }) }), node, [dbElsewhere], labelled)).toHaveLength(1)
    expect(reasons(makePod('p', { affinity: term({ namespaceSelector: { matchLabels: { team: 'y' } } }) }), node, [dbElsewhere], labelled)).toEqual([])
    // The rule of a pod already there keeps matching pods away too.
    const guard = makePod('guard', { nodeName: 'n', affinity: term() })
    expect(reasons(makePod('p', { labels: { app: 'db' } }), node, [guard])).toEqual(["node(s) didn't satisfy existing pods anti-affinity rules"])
    expect(reasons(makePod('p', { labels: { app: 'web' } }), node, [guard])).toEqual([])
  })

  it('runs in kube-scheduler order and reports the first filter a node fails', () => {
    const node = makeNode('n', { ready: true, unschedulable: true, cpu: '1' })
    expect(reasons(makePod('p', { cpu: '2', nodeSelector: { x: 'y' } }), node)).toEqual(['node(s) were unschedulable'])
  })
})
