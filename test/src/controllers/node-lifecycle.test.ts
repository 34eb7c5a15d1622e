// Node lifecycle on a ManualClock and a real store: silence → Ready=Unknown + unreachable taint
// after the grace period → pods evicted after their toleration; a node heard again loses the
// taint; Ready=False from the kubelet → not-ready taint; a new leader's grace window; nothing
// written once leadership is lost. Timings are asserted to within one step (STEP_MS).

import { afterEach, describe, expect, it } from 'vitest'
import { LEADER, LifecycleWorld, STEP_MS } from './node-lifecycle-fixture.ts'
import type { StoreCommand } from '../../../src/store/types.ts'

const UNREACHABLE = 'node.kubernetes.io/unreachable:NoExecute'
const NOT_READY = 'node.kubernetes.io/not-ready:NoExecute'

let w: LifecycleWorld

async function world (): Promise<LifecycleWorld> {
  w = await LifecycleWorld.open()
  await w.addNode(LEADER, { ready: 'True' })
  await w.addNode('a', { ready: 'True' })
  await w.addNode('b', { ready: 'True' })
  w.backend.writes.length = 0
  return w
}

afterEach(async () => {
  await w.role.stop()
  await w.backend.close()
})

/** The writes but the Events' (RegisteredNode, NodeNotReady): what the controller changed. */
function changes (): StoreCommand[] {
  return w.backend.writes.flatMap((c: StoreCommand) => c.op === 'batch' ? c.commands : [c])
    .filter((c) => !((c.op === 'create' || c.op === 'update') && c.object.kind === 'Event'))
}

/** The writes that touched node `name` (status or spec updates). */
function nodeWrites (name: string): string[] {
  return w.backend.writes.flatMap((c: StoreCommand) => c.op === 'update' && c.object.kind === 'Node' && c.object.metadata.name === name ? [c.subresource ?? 'spec'] : [])
}

describe('node lifecycle: liveness', () => {
  it('turns a node silent for 4 s Ready=Unknown and taints it unreachable, once; others stay as they are', async () => {
    await world()
    w.role.start()
    await w.pass(1000, ['a', 'b'])
    expect(changes()).toEqual([])

    await w.pass(3800, ['b'])
    expect(w.ready('a')?.status).toBe('True')
    const took = await w.passUntil(() => w.ready('a')?.status === 'Unknown', 10 * STEP_MS, ['b'])
    expect(3800 + took).toBeGreaterThanOrEqual(4000 - STEP_MS)
    expect(w.ready('a')).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' })
    await w.pass(STEP_MS, ['b'])
    expect(w.taints('a')).toEqual([UNREACHABLE])
    const taint = (w.node('a').spec as { taints: Array<{ timeAdded?: string }> }).taints[0]
    expect(taint?.timeAdded).toMatch(/^2024-01-01T00:00:0\dZ|^2024-01-01T00:00:0\d\.\d+Z/)

    await w.pass(10_000, ['b'])
    expect(nodeWrites('a')).toEqual(['status', 'spec'])
    expect(w.ready('b')?.status).toBe('True')
    expect(w.taints('b')).toEqual([])
    // The leader's own node is never judged, though nothing ever "hears" it.
    expect(nodeWrites(LEADER)).toEqual([])
    // As Kubernetes' node controller, it says so in an Event about the Node (in default).
    const events = w.backend.reader.list('', 'Event', 'default').items.filter((e) => e.reason !== 'RegisteredNode').map((e) => [e.reason, (e.involvedObject as { name: string }).name, e.message])
    expect(events).toEqual([['NodeNotReady', 'a', 'Node a status is now: NodeNotReady']])
  })

  it('removes the unreachable taint as soon as the node is heard again; the kubelet then reports Ready', async () => {
    await world()
    await w.addPod('web', 'a')
    w.role.start()
    await w.passUntil(() => w.taints('a').length > 0, 6000, ['b'])
    await w.pass(1000, ['b'])

    const took = await w.passUntil(() => w.taints('a').length === 0, 1000, ['a', 'b'])
    expect(took).toBeLessThanOrEqual(300)
    // The controller leaves Ready to the node's kubelet, which rewrites it once it sees Unknown.
    expect(w.ready('a')?.status).toBe('Unknown')
    await w.kubeletSays('a', 'True')
    const before = w.backend.writes.length
    await w.pass(20_000, ['a', 'b'])
    expect(w.backend.writes.length).toBe(before)
    expect(w.pods()).toEqual(['web'])
  })

  it('taints a heard node not-ready while its kubelet says Ready=False, and untaints it when Ready is True', async () => {
    await world()
    await w.addPod('web', 'a')
    w.role.start()
    await w.pass(500, ['a', 'b'])
    await w.kubeletSays('a', 'False')
    await w.pass(STEP_MS * 2, ['a', 'b'])
    expect(w.taints('a')).toEqual([NOT_READY])
    expect(w.ready('a')?.status).toBe('False')

    await w.pass(2800, ['a', 'b'])
    expect(w.pods()).toEqual(['web'])
    await w.pass(300, ['a', 'b'])
    expect(w.pods()).toEqual([])

    await w.kubeletSays('a', 'True')
    await w.pass(STEP_MS * 2, ['a', 'b'])
    expect(w.taints('a')).toEqual([])
  })

  it('never judges the liveness of a Node that belongs to no agent; its taints follow its Ready condition', async () => {
    await world()
    await w.addNode('sim', { ready: 'True', peer: null })
    w.backend.writes.length = 0
    w.role.start()
    await w.pass(20_000, ['a', 'b'])
    expect(changes()).toEqual([])

    await w.kubeletSays('sim', 'Unknown')
    await w.pass(STEP_MS, ['a', 'b'])
    expect(w.taints('sim')).toEqual([UNREACHABLE])
    await w.kubeletSays('sim', 'False')
    await w.pass(STEP_MS, ['a', 'b'])
    expect(w.taints('sim')).toEqual([NOT_READY])
    await w.kubeletSays('sim', 'True')
    await w.pass(STEP_MS, ['a', 'b'])
    expect(w.taints('sim')).toEqual([])
  })

  it('keeps taints it does not own, on the way in and out', async () => {
    w = await LifecycleWorld.open()
    await w.addNode('a', { ready: 'True', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] })
    w.role.start()
    await w.passUntil(() => w.taints('a').length === 2, 6000)
    expect(w.taints('a')).toEqual(['dedicated:NoSchedule', UNREACHABLE])
    await w.passUntil(() => w.taints('a').length === 1, 1000, ['a'])
    expect(w.taints('a')).toEqual(['dedicated:NoSchedule'])
  })

  it('survives malformed nodes and pods: reports nothing broken, still does its job', async () => {
    w = await LifecycleWorld.open()
    await w.backend.write({ op: 'create', object: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'odd', annotations: { 'flotilla.io/peer-id': 'peer-odd' } }, spec: { taints: 5 }, status: { conditions: 'nope' } } })
    await w.backend.write({ op: 'create', object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u' }, spec: { nodeName: 'odd', tolerations: 'all', containers: [] } } })
    w.role.start()
    await w.passUntil(() => w.taints('odd').length === 1, 6000)
    expect(w.ready('odd')).toMatchObject({ status: 'Unknown', reason: 'NodeStatusNeverUpdated' })
    await w.passUntil(() => w.pods().length === 0, 4000)
  })
})

describe('node lifecycle: eviction', () => {
  it('evicts pods 3 s after the taint, honours tolerationSeconds, keeps pods tolerating it forever', async () => {
    await world()
    const unreachable = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }
    await w.addPod('plain', 'a')
    await w.addPod('tolerates-10s', 'a', [{ ...unreachable, tolerationSeconds: 10 }])
    await w.addPod('tolerates-forever', 'a', [unreachable])
    await w.addPod('tolerates-everything', 'a', [{ operator: 'Exists' }])
    await w.addPod('tolerates-not-ready-only', 'a', [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }])
    await w.addPod('elsewhere', 'b')
    w.role.start()
    await w.passUntil(() => w.taints('a').length > 0, 6000, ['b'])

    await w.pass(3000 - 2 * STEP_MS, ['b'])
    expect(w.pods()).toHaveLength(6)
    await w.pass(3 * STEP_MS, ['b'])
    expect(w.pods()).toEqual(['elsewhere', 'tolerates-10s', 'tolerates-everything', 'tolerates-forever'])

    await w.pass(7000 - 3 * STEP_MS, ['b'])
    expect(w.pods()).toContain('tolerates-10s')
    await w.pass(3 * STEP_MS, ['b'])
    expect(w.pods()).toEqual(['elsewhere', 'tolerates-everything', 'tolerates-forever'])

    await w.pass(60_000, ['b'])
    expect(w.pods()).toEqual(['elsewhere', 'tolerates-everything', 'tolerates-forever'])
    // Deleted for good (grace period 0, the uid as precondition): no kubelet will confirm it.
    const deletes = w.backend.writes.flatMap((c) => c.op === 'batch' ? c.commands : [c]).filter((c) => c.op === 'delete')
    expect(deletes).toHaveLength(3)
    for (const d of deletes) expect(d).toMatchObject({ gracePeriodSeconds: 0, preconditions: { uid: `pod-${d.op === 'delete' ? d.ref.name : ''}` } })
    expect(w.lines.filter((l) => l.includes('evicting pod default/plain from node a'))).toHaveLength(1)
  })

  it('marks the pods of a silent node not ready first, so Services stop using them', async () => {
    await world()
    await w.addPod('serving', 'a', [{ operator: 'Exists' }], 'True')
    await w.addPod('starting', 'a', [{ operator: 'Exists' }], 'False')
    await w.addPod('healthy-elsewhere', 'b', [], 'True')
    w.role.start()
    await w.pass(3900, ['b'])
    expect(w.podConditions('serving')).toEqual(['ContainersReady=True', 'Ready=True'])
    await w.passUntil(() => w.taints('a').length > 0, 300, ['b'])
    await w.pass(STEP_MS, ['b'])
    expect(w.podConditions('serving')).toEqual(['ContainersReady=False', 'Ready=False'])
    expect(w.podConditions('healthy-elsewhere')).toEqual(['ContainersReady=True', 'Ready=True'])
    await w.pass(10_000, ['b'])
    const podStatusWrites = w.backend.writes.flatMap((c) => c.op === 'batch' ? c.commands : [c]).filter((c) => c.op === 'update' && c.object.kind === 'Pod')
    expect(podStatusWrites.map((c) => c.op === 'update' ? c.object.metadata.name : '')).toEqual(['serving'])
  })

  it('evicts a pod bound to a tainted node later, counting from the taint', async () => {
    await world()
    w.role.start()
    await w.passUntil(() => w.taints('a').length > 0, 6000, ['b'])
    await w.pass(1000, ['b'])
    await w.addPod('late', 'a')
    await w.pass(1800, ['b'])
    expect(w.pods()).toEqual(['late'])
    await w.pass(300, ['b'])
    expect(w.pods()).toEqual([])
  })

  it('enforces NoExecute taints set by users at once on pods that do not tolerate them', async () => {
    w = await LifecycleWorld.open()
    await w.addNode('sim', { ready: 'True', peer: null, taints: [{ key: 'maintenance', effect: 'NoExecute' }] })
    await w.addPod('stays', 'sim', [{ key: 'maintenance', operator: 'Exists' }])
    await w.addPod('goes', 'sim')
    w.role.start()
    await w.settle()
    expect(w.pods()).toEqual(['stays'])
  })
})

describe('node lifecycle: leadership', () => {
  it('a new leader gives every node a grace period first; nodes already Unknown stay so until heard', async () => {
    w = await LifecycleWorld.open()
    await w.addNode('silent', { ready: 'True' })
    await w.addNode('gone', { ready: 'Unknown', taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] })
    await w.addNode('back', { ready: 'Unknown', taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] })
    await w.addPod('on-gone', 'gone')
    w.lastHeard.set('peer-silent', 0)
    w.clock.advance(60_000)
    w.backend.writes.length = 0

    w.role.start()
    await w.pass(2 * STEP_MS, ['back'])
    expect(w.taints('back')).toEqual([])
    await w.pass(2800, ['back'])
    expect(w.pods()).toEqual(['on-gone'])
    expect(w.ready('silent')?.status).toBe('True')
    expect(w.taints('gone')).toEqual([UNREACHABLE])
    await w.pass(300, ['back'])
    expect(w.pods()).toEqual([])

    await w.pass(1000 - 6 * STEP_MS, ['back'])
    expect(w.ready('silent')?.status).toBe('True')
    await w.pass(3 * STEP_MS, ['back'])
    expect(w.ready('silent')?.status).toBe('Unknown')
  })

  it('writes nothing more once leadership is lost; the next leader starts its own countdown', async () => {
    await world()
    await w.addPod('web', 'a')
    w.role.start()
    await w.passUntil(() => w.taints('a').length > 0, 6000, ['b'])
    await w.pass(1000, ['b'])
    await w.role.stop()
    const before = w.backend.writes.length
    await w.pass(20_000, ['b'])
    expect(w.backend.writes.length).toBe(before)
    expect(w.pods()).toEqual(['web'])

    w.role = w.newRole()
    w.role.start()
    await w.pass(3000 - 2 * STEP_MS, ['b'])
    expect(w.pods()).toEqual(['web'])
    await w.pass(3 * STEP_MS, ['b'])
    expect(w.pods()).toEqual([])
  })

  it('does not retry a failed write after leadership is lost', async () => {
    await world()
    w.role.start()
    await w.pass(4000 - 2 * STEP_MS, ['b'])
    w.backend.failNext.push(Object.assign(new Error('leadership lost while proposing'), { name: 'LeadershipLostError' }))
    await w.pass(3 * STEP_MS, ['b'])
    expect(w.backend.failNext).toEqual([])
    expect(w.lines.some((l) => l.includes('leadership lost while proposing'))).toBe(true)
    await w.role.stop()
    await w.pass(20_000, ['b'])
    expect(changes()).toEqual([])
    expect(w.ready('a')?.status).toBe('True')
  })
})

describe('node lifecycle: Events', () => {
  it('records RegisteredNode once per Node per leadership, as Kubernetes\' node controller', async () => {
    await world()
    w.role.start()
    await w.pass(1000, ['a', 'b'])
    const registered = (): string[] => w.backend.reader.list('', 'Event', 'default').items
      .filter((e) => e.reason === 'RegisteredNode')
      .map((e) => `${String((e.involvedObject as { name?: string }).name)} x${String(e.count)}: ${String(e.message)}`)
      .sort()
    expect(registered()).toEqual([
      'a x1: Node a event: Registered Node a in Controller',
      'b x1: Node b event: Registered Node b in Controller',
      `${LEADER} x1: Node ${LEADER} event: Registered Node ${LEADER} in Controller`
    ].sort())
    await w.kubeletSays('a', 'True')
    await w.pass(1000, ['a', 'b'])
    expect(registered().filter((e) => e.startsWith('a '))).toEqual(['a x1: Node a event: Registered Node a in Controller'])
  })
})
