// Score plugins and the placement they lead to: least allocated, spreading a controller's pods,
// PreferNoSchedule taints, deterministic ties — and the message of a pod that fits nowhere,
// worded and ordered as kube-scheduler's FitError.

import { describe, expect, it } from 'vitest'
import { SchedulerCache } from '../../../src/scheduler/cache.ts'
import { podInfoOf } from '../../../src/scheduler/pod-info.ts'
import { fitErrorMessage, scheduleOne } from '../../../src/scheduler/schedule-one.ts'
import { leastAllocatedScore, spreadScores, taintScores } from '../../../src/scheduler/scores.ts'
import type { Node } from '../../../src/objects/node.ts'
import type { Pod } from '../../../src/objects/pod.ts'
import { makeNode, makePod } from './fixtures.ts'

function cacheOf (nodes: Node[], bound: Pod[] = []): SchedulerCache {
  const cache = new SchedulerCache()
  for (const n of nodes) cache.upsertNode(n)
  for (const p of bound) cache.observePod(p)
  return cache
}

const place = (pod: Pod, cache: SchedulerCache): string => {
  const r = scheduleOne(podInfoOf(pod), cache, () => undefined)
  return 'node' in r ? r.node : `unschedulable: ${r.unschedulable}`
}

describe('scheduler scores', () => {
  it('least allocated: the free share of cpu and memory after placing the pod', () => {
    const cache = cacheOf([makeNode('n', { cpu: '4', memory: '4Gi' })], [makePod('a', { cpu: '1', memory: '1Gi', nodeName: 'n' })])
    const node = cache.node('n')!
    // cpu (4000 - 2000) / 4000 = 50, memory (4Gi - 2Gi) / 4Gi = 50.
    expect(leastAllocatedScore(podInfoOf(makePod('p', { cpu: '1', memory: '1Gi' })), node)).toBe(50)
    // No requests: kube-scheduler's defaults for scoring, 100m and 200Mi.
    expect(leastAllocatedScore(podInfoOf(makePod('p')), node)).toBe(Math.floor((Math.floor(2900 * 100 / 4000) + Math.floor((4096 - 1024 - 200) * 100 / 4096)) / 2))
    expect(cache.node('n')!.requested).toEqual({ milliCpu: 1000, memory: 2 ** 30 })
  })

  it('least allocated picks the emptier node', () => {
    const cache = cacheOf([makeNode('a'), makeNode('b')], [makePod('x', { cpu: '2', nodeName: 'a' })])
    expect(place(makePod('p', { cpu: '100m' }), cache)).toBe('b')
  })

  it('spreading: nodes with fewer pods of the same controller score higher', () => {
    const cache = cacheOf([makeNode('a'), makeNode('b'), makeNode('c')], [
      makePod('r1', { owner: 'rs', nodeName: 'a' }), makePod('r2', { owner: 'rs', nodeName: 'a' }), makePod('r3', { owner: 'rs', nodeName: 'b' })
    ])
    const nodes = cache.nodeList()
    expect(spreadScores(podInfoOf(makePod('p', { owner: 'rs' })), nodes)).toEqual([0, 50, 100])
    expect(spreadScores(podInfoOf(makePod('p', { owner: 'other' })), nodes)).toEqual([100, 100, 100])
    expect(spreadScores(podInfoOf(makePod('p')), nodes)).toEqual([100, 100, 100])
  })

  it('spreading wins over a slightly fuller node', () => {
    const cache = cacheOf([makeNode('a'), makeNode('b')], [makePod('r1', { owner: 'rs', nodeName: 'a' }), makePod('big', { cpu: '1', nodeName: 'b' })])
    expect(place(makePod('p', { owner: 'rs' }), cache)).toBe('b')
  })

  it('PreferNoSchedule taints lower the score but do not block', () => {
    const soft = { key: 'spot', effect: 'PreferNoSchedule' as const }
    const cache = cacheOf([makeNode('a', { taints: [soft] }), makeNode('b')])
    expect(taintScores(podInfoOf(makePod('p')), cache.nodeList())).toEqual([0, 100])
    expect(taintScores(podInfoOf(makePod('p', { tolerations: [{ key: 'spot', operator: 'Exists' }] })), cache.nodeList())).toEqual([100, 100])
    expect(place(makePod('p'), cache)).toBe('b')
    expect(place(makePod('p'), cacheOf([makeNode('a', { taints: [soft] })]))).toBe('a')
  })

  it('breaks ties by node name, so the same state always gives the same placement', () => {
    const cache = cacheOf([makeNode('c'), makeNode('a'), makeNode('b')])
    expect(place(makePod('p'), cache)).toBe('a')
    expect(place(makePod('p'), cache)).toBe('a')
  })
})

describe('unschedulable message', () => {
  it('counts reasons over the nodes in kube-scheduler wording, sorted as kube-scheduler sorts them', () => {
    const cache = cacheOf([
      makeNode('a', { cpu: '1' }), makeNode('b', { cpu: '1' }), makeNode('c', { cpu: '8', labels: { disk: 'hdd' } })
    ])
    const pod = makePod('p', { cpu: '2', nodeSelector: { disk: 'hdd' } })
    // a and b fail the selector first; c has the label but c is fine for cpu: so it fits.
    expect(place(pod, cache)).toBe('c')
    const big = makePod('p', { cpu: '2' })
    const cache2 = cacheOf([makeNode('a', { cpu: '1' }), makeNode('b', { cpu: '1' }), makeNode('c', { ready: false })])
    expect(place(big, cache2)).toBe('unschedulable: 0/3 nodes are available: 1 node(s) were not ready, 2 Insufficient cpu.')
    const selective = makePod('p', { cpu: '2', nodeSelector: { disk: 'ssd' } })
    expect(place(selective, cacheOf([makeNode('a', { cpu: '1', labels: { disk: 'ssd' } }), makeNode('b', { cpu: '1', labels: { disk: 'ssd' } }), makeNode('c')])))
      .toBe("unschedulable: 0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 Insufficient cpu.")
  })

  it('counts every reason a node gives for resources, and says when there are no nodes', () => {
    const cache = cacheOf([makeNode('a', { cpu: '1', memory: '1Gi' }), makeNode('b', { cpu: '1', memory: '8Gi' })])
    expect(place(makePod('p', { cpu: '2', memory: '2Gi' }), cache)).toBe('unschedulable: 0/2 nodes are available: 1 Insufficient memory, 2 Insufficient cpu.')
    expect(place(makePod('p'), new SchedulerCache())).toBe('unschedulable: no nodes available to schedule pods')
    expect(fitErrorMessage(100, new Map([['node(s) were unschedulable', 100]]))).toBe('0/100 nodes are available: 100 node(s) were unschedulable.')
  })
})
