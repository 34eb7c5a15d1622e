// The scheduler role against the real ObjectStore (StoreBackend) on a manual clock: it binds
// pending pods in batches without overcommitting nodes, explains pods that fit nowhere and
// tries them again only when the cluster changes, survives conflicts, deletions and failed
// writes, and leaves other schedulers' pods alone.

import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Scheduler, type SchedulerOptions } from '../../../src/scheduler/scheduler.ts'
import type { Node } from '../../../src/objects/node.ts'
import type { Pod, PodCondition } from '../../../src/objects/pod.ts'
import type { ApplyResult, KObject, StoreCommand } from '../../../src/store/types.ts'
import { ManualClock } from '../manual-clock.ts'
import { StoreBackend } from '../store-backend.ts'
import { makeNode, makePod } from './fixtures.ts'

let backend: StoreBackend
let clock: ManualClock
let scheduler: Scheduler
const logs: string[] = []

async function start (opts: SchedulerOptions = {}): Promise<void> {
  scheduler = new Scheduler({ backend, clock, log: (l) => { logs.push(l) } }, opts)
  scheduler.start()
  await scheduler.idle()
}

async function create (...objects: KObject[]): Promise<void> {
  await backend.write({ op: 'batch', commands: objects.map((object) => ({ op: 'create' as const, object })) })
  await scheduler.idle()
}

function pod (name: string, namespace = 'default'): Pod {
  return backend.store.get({ group: '', kind: 'Pod', namespace, name }) as Pod
}

function node (name: string): Node {
  return backend.store.get({ group: '', kind: 'Node', namespace: '', name }) as Node
}

function scheduled (p: Pod): PodCondition | undefined {
  return p.status?.conditions?.find((c) => c.type === 'PodScheduled')
}

/** The batch writes since `from` (the scheduler's, and the tests' creates): one entry per proposal, its commands as "bind NAME", "status NAME", "create". */
function proposals (from = 0): string[][] {
  return backend.writes.slice(from).flatMap((w) => w.op === 'batch' ? [w.commands.map(label)] : [])
}

/** Writes other than the scheduler's Events (which go out in their own batches every 100 ms). */
function podWrites (): number {
  const isEvent = (c: StoreCommand): boolean => (c.op === 'create' || c.op === 'update') && c.object.kind === 'Event'
  return backend.writes.filter((w) => !(w.op === 'batch' ? w.commands.every(isEvent) : isEvent(w))).length
}

function label (c: StoreCommand): string {
  if (c.op === 'update') return `${c.subresource === 'status' ? 'status' : 'bind'} ${c.object.metadata.name}`
  return c.op
}

async function update (obj: KObject, change: (o: KObject) => void, subresource?: 'status'): Promise<void> {
  const next = structuredClone(obj)
  change(next)
  await backend.write({ op: 'update', object: next, ...(subresource !== undefined ? { subresource } : {}) })
  await scheduler.idle()
}

beforeEach(async () => {
  backend = await StoreBackend.open()
  clock = new ManualClock()
  logs.length = 0
})

afterEach(async () => {
  await scheduler.stop()
  await backend.close()
})

describe('Scheduler role', () => {
  it('records Scheduled and FailedScheduling Events, as kube-scheduler does', async () => {
    await start()
    await create(makeNode('n1', { cpu: '1' }))
    await create(makePod('fits', { cpu: '500m' }), makePod('big', { cpu: '2' }))
    clock.advance(100)
    await scheduler.idle()
    await scheduler.stop()
    const events = backend.reader.list('', 'Event', 'default').items.map((e) => [e.reason, e.type, (e.involvedObject as { name: string }).name, e.message])
    expect(events.sort()).toEqual([
      ['FailedScheduling', 'Warning', 'big', '0/1 nodes are available: 1 Insufficient cpu.'],
      ['Scheduled', 'Normal', 'fits', 'Successfully assigned default/fits to n1']
    ])
  })

  it('binds pending pods in one batch, then marks them PodScheduled=True in one more', async () => {
    await start()
    await create(makeNode('n1'), makeNode('n2'))
    const before = backend.writes.length
    await create(...Array.from({ length: 50 }, (_, i) => makePod(`p${i}`, { cpu: '100m', owner: 'rs' })))
    const made = proposals(before + 1)
    expect(made).toHaveLength(2)
    expect(made[0]).toHaveLength(50)
    expect(made[0]!.every((c) => c.startsWith('bind '))).toBe(true)
    expect(made[1]!.every((c) => c.startsWith('status '))).toBe(true)
    const nodes = Array.from({ length: 50 }, (_, i) => pod(`p${i}`).spec.nodeName)
    expect(nodes.filter((n) => n === 'n1')).toHaveLength(25)
    expect(nodes.filter((n) => n === 'n2')).toHaveLength(25)
    expect(scheduled(pod('p0'))).toMatchObject({ status: 'True' })
  })

  it('counts pods placed earlier in the same batch (assumed), so a batch never overcommits a node', async () => {
    await start()
    await create(makeNode('n1', { cpu: '2' }), makeNode('n2', { cpu: '2' }))
    await create(...Array.from({ length: 5 }, (_, i) => makePod(`p${i}`, { cpu: '1' })))
    const placed = Array.from({ length: 5 }, (_, i) => pod(`p${i}`).spec.nodeName ?? '')
    expect(placed.filter((n) => n === 'n1')).toHaveLength(2)
    expect(placed.filter((n) => n === 'n2')).toHaveLength(2)
    const pending = Array.from({ length: 5 }, (_, i) => pod(`p${i}`)).find((p) => p.spec.nodeName === undefined)!
    expect(scheduled(pending)).toMatchObject({ status: 'False', reason: 'Unschedulable', message: '0/2 nodes are available: 2 Insufficient cpu.' })
  })

  it('honours anti-affinity between pods placed in the same batch', async () => {
    await start()
    await create(makeNode('n1'), makeNode('n2'), makeNode('n3'))
    const affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'kubernetes.io/hostname' }] } }
    await create(...Array.from({ length: 4 }, (_, i) => makePod(`db-${i}`, { labels: { app: 'db' }, affinity })))
    const nodes = Array.from({ length: 4 }, (_, i) => pod(`db-${i}`).spec.nodeName)
    expect(nodes.slice(0, 3).sort()).toEqual(['n1', 'n2', 'n3'])
    expect(nodes[3]).toBeUndefined()
    expect(scheduled(pod('db-3'))?.message).toBe("0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules.")
  })

  it('keeps counting bound-but-unapplied pods across batches in flight', async () => {
    await start({ maxBatch: 2, maxInflight: 3 })
    await create(makeNode('n1', { cpu: '3' }))
    await create(...Array.from({ length: 6 }, (_, i) => makePod(`p${i}`, { cpu: '1' })))
    const bound = Array.from({ length: 6 }, (_, i) => pod(`p${i}`)).filter((p) => p.spec.nodeName === 'n1')
    expect(bound).toHaveLength(3)
  })

  it('writes the unschedulable condition once, and again only when the reason changes', async () => {
    await start()
    await create(makeNode('n1', { unschedulable: true }), makeNode('n2', { cpu: '1' }))
    await create(makePod('big', { cpu: '2' }))
    expect(scheduled(pod('big'))?.message).toBe('0/2 nodes are available: 1 Insufficient cpu, 1 node(s) were unschedulable.')
    const writes = podWrites()
    // A node change that does not help: tried again, same message, nothing written.
    await update(node('n2'), (n) => { n.metadata.labels = { ...n.metadata.labels, touched: 'yes' } })
    expect(podWrites()).toBe(writes + 1)
    // A new message within a second of the last one waits for the end of that second.
    await update(node('n2'), (n) => { (n.spec as Record<string, unknown>).unschedulable = true })
    expect(scheduled(pod('big'))?.message).toBe('0/2 nodes are available: 1 Insufficient cpu, 1 node(s) were unschedulable.')
    clock.advance(999)
    await scheduler.idle()
    expect(scheduled(pod('big'))?.message).toBe('0/2 nodes are available: 1 Insufficient cpu, 1 node(s) were unschedulable.')
    clock.advance(1)
    await scheduler.idle()
    expect(scheduled(pod('big'))?.message).toBe('0/2 nodes are available: 2 node(s) were unschedulable.')
    expect(podWrites()).toBe(writes + 3)
  })

  it('rewrites the messages of thousands of pending pods at most once a second while nodes open one by one', async () => {
    await start()
    const nodes = Array.from({ length: 20 }, (_, i) => makeNode(`n${String(i).padStart(2, '0')}`, { unschedulable: true, pods: '10' }))
    await create(...nodes)
    await create(...Array.from({ length: 1000 }, (_, i) => makePod(`p${i}`)))
    const before = backend.writes.length
    for (const n of nodes) await update(node(n.metadata.name), (x) => { (x.spec as Record<string, unknown>).unschedulable = false })
    const commands = proposals(before).flat()
    expect(commands.filter((c) => c.startsWith('bind '))).toHaveLength(200)
    // Without the limit every uncordon would rewrite ~800–1000 messages (about 18,000 writes).
    expect(commands.filter((c) => c.startsWith('status ')).length).toBeLessThanOrEqual(200 + 1000)
    clock.advance(1000)
    await scheduler.idle()
    expect(scheduled(pod('p999'))?.message).toBe('0/20 nodes are available: 20 Too many pods.')
  })

  it('tries unschedulable pods again when a node is added', async () => {
    await start()
    await create(makePod('p', { cpu: '1' }))
    expect(scheduled(pod('p'))).toMatchObject({ status: 'False', message: 'no nodes available to schedule pods' })
    await create(makeNode('n1'))
    expect(pod('p').spec.nodeName).toBe('n1')
    expect(scheduled(pod('p'))).toMatchObject({ status: 'True' })
  })

  it('tries unschedulable pods again when a bound pod is deleted, finishes or moves — not on unrelated pod changes', async () => {
    await start()
    await create(makeNode('n1', { cpu: '1' }), makeNode('n2', { cpu: '1' }))
    await create(makePod('a', { cpu: '1', nodeName: 'n1' }), makePod('b', { cpu: '1', nodeName: 'n2' }))
    await create(makePod('c', { cpu: '1' }), makePod('d', { cpu: '1' }))
    expect(scheduled(pod('c'))?.message).toBe('0/2 nodes are available: 2 Insufficient cpu.')
    const writes = backend.writes.length
    // Unrelated: a new bound pod, a status change of a pending pod.
    await create(makePod('e', { nodeName: 'n1' }))
    await update(pod('c'), (p) => { (p.status as Record<string, unknown>).message = 'hello' }, 'status')
    expect(backend.writes.length).toBe(writes + 2)
    await backend.write({ op: 'delete', ref: { group: '', kind: 'Pod', namespace: 'default', name: 'a' } })
    await scheduler.idle()
    expect([pod('c').spec.nodeName, pod('d').spec.nodeName].sort()).toEqual(['n1', undefined].sort())
    await update(pod('b'), (p) => { (p.status as Record<string, unknown>).phase = 'Succeeded' }, 'status')
    expect(pod('c').spec.nodeName !== undefined && pod('d').spec.nodeName !== undefined).toBe(true)
  })

  it('does not loop: an unschedulable pod with nothing changing is not tried again', async () => {
    await start()
    await create(makeNode('n1', { cpu: '1' }))
    await create(makePod('p', { cpu: '2' }))
    const writes = podWrites()
    for (let i = 0; i < 10; i++) await scheduler.idle()
    expect(podWrites()).toBe(writes)
    expect(scheduler.unschedulableCount).toBe(1)
    // The safety net: after kube-scheduler's 5 minutes it is tried again (and still written nothing new).
    clock.advance(5 * 60_000)
    await scheduler.idle()
    expect(podWrites()).toBe(writes)
  })

  it('on Conflict reads the pod again and binds it; a pod deleted meanwhile is dropped', async () => {
    await start()
    await create(makeNode('n1'))
    // Change and delete pods between the scheduler's decision and its write.
    const write = backend.write.bind(backend)
    let raced = false
    backend.write = async (cmd: StoreCommand): Promise<ApplyResult> => {
      if (!raced && cmd.op === 'batch' && cmd.commands.some((c) => c.op === 'update' && c.subresource === undefined)) {
        raced = true
        const p = structuredClone(pod('changed'))
        p.metadata.labels = { v: '2' }
        await write({ op: 'update', object: p })
        await write({ op: 'delete', ref: { group: '', kind: 'Pod', namespace: 'default', name: 'gone' } })
      }
      return await write(cmd)
    }
    await create(makePod('changed'), makePod('gone'), makePod('plain'))
    expect(pod('changed').spec.nodeName).toBe('n1')
    expect(pod('changed').metadata.labels).toEqual({ v: '2' })
    expect(pod('plain').spec.nodeName).toBe('n1')
    expect(pod('gone')).toBeUndefined()
    const binds = proposals().flat().filter((c) => c.startsWith('bind '))
    expect(binds.filter((c) => c === 'bind changed')).toHaveLength(2)
    expect(binds.filter((c) => c === 'bind gone')).toHaveLength(1)
  })

  it('retries the pods of a failed write after a back-off, giving their room back meanwhile', async () => {
    await start({ retryDelayMs: 1000 })
    await create(makeNode('n1', { cpu: '1' }))
    // The scheduler's first write fails, as it would when leadership is lost mid-write.
    const write = backend.write.bind(backend)
    let failed = false
    backend.write = async (cmd: StoreCommand): Promise<ApplyResult> => {
      if (!failed && cmd.op === 'batch' && cmd.commands.some((c) => c.op === 'update')) {
        failed = true
        backend.failNext.push(Object.assign(new Error('leadership lost'), { name: 'LeadershipLostError' }))
      }
      return await write(cmd)
    }
    await create(makePod('p', { cpu: '1' }))
    expect(pod('p').spec.nodeName).toBeUndefined()
    expect(logs.join('\n')).toMatch(/failed \(leadership lost\); retrying its pods in 1000 ms/)
    clock.advance(999)
    await scheduler.idle()
    expect(pod('p').spec.nodeName).toBeUndefined()
    clock.advance(1)
    await scheduler.idle()
    expect(pod('p').spec.nodeName).toBe('n1')
  })

  it('a binding refused for good (not a Conflict) is reported and waits for a change instead of retrying at once', async () => {
    await start()
    await create(makeNode('n1'))
    const write = backend.write.bind(backend)
    let refusals = 0
    backend.write = async (cmd: StoreCommand): Promise<ApplyResult> => {
      if (refusals === 0 && cmd.op === 'batch' && cmd.commands.some((c) => c.op === 'update' && c.subresource === undefined)) {
        refusals++
        return { ok: true, results: cmd.commands.map(() => ({ ok: false as const, error: { code: 422, reason: 'Invalid' as const, message: 'spec.nodeName: Forbidden' } })) }
      }
      return await write(cmd)
    }
    await create(makePod('p'))
    expect(logs.join('\n')).toContain('writing the binding of pod default/p to n1 was refused: spec.nodeName: Forbidden')
    expect(pod('p').spec.nodeName).toBeUndefined()
    expect(scheduler.unschedulableCount).toBe(1)
    await create(makeNode('n2'))
    expect(pod('p').spec.nodeName).toBe('n1')
  })

  it('leaves pods of other schedulers, terminating pods and bound pods alone, but counts what they take', async () => {
    await start()
    await create(makeNode('n1', { cpu: '1' }))
    await create(makePod('other', { schedulerName: 'my-scheduler' }), makePod('taken', { cpu: '1', nodeName: 'n1', schedulerName: 'my-scheduler' }))
    await create(makePod('mine', { cpu: '500m' }))
    expect(pod('other').spec.nodeName).toBeUndefined()
    expect(scheduled(pod('other'))).toBeUndefined()
    expect(scheduled(pod('mine'))?.message).toBe('0/1 nodes are available: 1 Insufficient cpu.')
  })

  it('marks a pod found bound with PodScheduled=False as scheduled', async () => {
    const p = makePod('p', { nodeName: 'n1' })
    p.status = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'old' }] }
    await backend.write({ op: 'create', object: p })
    await start()
    expect(scheduled(pod('p'))).toMatchObject({ status: 'True' })
  })

  it('stops writing when stopped, and picks up where the replica is when started again', async () => {
    await start()
    await scheduler.stop()
    await backend.write({ op: 'create', object: makeNode('n1') })
    await backend.write({ op: 'create', object: makePod('p') })
    expect(pod('p').spec.nodeName).toBeUndefined()
    scheduler.start()
    await scheduler.idle()
    expect(pod('p').spec.nodeName).toBe('n1')
  })

  it('keeps thousands of pods to a handful of proposals', async () => {
    await start({ maxBatch: 1000 })
    await create(...Array.from({ length: 20 }, (_, i) => makeNode(`n${String(i).padStart(2, '0')}`, { cpu: '100', pods: '200' })))
    const before = backend.writes.length
    await create(...Array.from({ length: 3000 }, (_, i) => makePod(`p${i}`, { cpu: '100m', owner: `rs${i % 7}` })))
    const made = proposals(before + 1)
    expect(made.length).toBeLessThanOrEqual(6)
    expect(made.flat().filter((c) => c.startsWith('bind '))).toHaveLength(3000)
    const perNode = new Map<string, number>()
    for (let i = 0; i < 3000; i++) perNode.set(pod(`p${i}`).spec.nodeName ?? '', (perNode.get(pod(`p${i}`).spec.nodeName ?? '') ?? 0) + 1)
    // Spread evenly (150 each), give or take the integer rounding of the least-allocated score.
    expect(Math.max(...perNode.values()) - Math.min(...perNode.values())).toBeLessThanOrEqual(10)
  })
})
