// The ReplicaSet controller against the real store on a manual clock: creating pods owned by
// the ReplicaSet in one batch, scale down order, adoption and release, finished and deleting
// pods not counted, status with readiness and minReadySeconds, and no duplicates when a
// second controller instance (a new leader) starts on the same state.

import { describe, expect, it } from 'vitest'
import { replicaSetController } from '../../../src/controllers/replicaset.ts'
import type { KObject } from '../../../src/store/types.ts'
import { controllerHarness, pod, replicaSet, type ControllerHarness } from './harness.ts'

const podsOf = (h: ControllerHarness, app: string): KObject[] => h.list('', 'Pod', 'default').filter((p) => p.metadata.labels?.app === app)

describe('ReplicaSet controller', () => {
  it('records SuccessfulCreate and SuccessfulDelete Events for the pods it creates and deletes', async () => {
    const h = await controllerHarness()
    const rs = await h.create(replicaSet('web', 2))
    const c = replicaSetController(h.ctx)
    c.start()
    await h.settle(c)
    const created = podsOf(h, 'web').map((p) => `Created pod: ${p.metadata.name}`).sort()
    await h.backend.write({ op: 'update', object: { ...(h.get('apps', 'ReplicaSet', 'web') as KObject), spec: { ...(rs.spec as object), replicas: 1 } } })
    await h.settle(c)
    await c.stop()
    const events = h.list('', 'Event', 'default').map((e) => [e.reason, (e.involvedObject as { name: string }).name, e.message])
    expect(events.filter((e) => e[0] === 'SuccessfulCreate').map((e) => e[2]).sort()).toEqual(created)
    expect(events.filter((e) => e[0] === 'SuccessfulDelete')).toHaveLength(1)
    expect(events.every((e) => e[1] === 'web')).toBe(true)
  })

  it('creates spec.replicas pods from the template, owned by the ReplicaSet, in one batch write', async () => {
    const h = await controllerHarness()
    const rs = await h.create(replicaSet('web', 3))
    const c = replicaSetController(h.ctx)
    c.start()
    await h.settle(c)
    const pods = podsOf(h, 'web')
    expect(pods).toHaveLength(3)
    for (const p of pods) {
      expect(p.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/)
      expect(p.metadata.uid).toBeDefined()
      expect(p.metadata.creationTimestamp).toBeDefined()
      expect(p.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }])
    }
    const creates = h.backend.writes.filter((w) => w.op === 'batch' && w.commands.every((x) => x.op === 'create'))
    expect(creates).toHaveLength(1)
    const status = h.get('apps', 'ReplicaSet', 'web')?.status
    expect(status).toMatchObject({ replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 0, availableReplicas: 0, observedGeneration: 1 })
    await c.stop()
  })

  it('a second controller instance on the same state creates no duplicates', async () => {
    const h = await controllerHarness()
    await h.create(replicaSet('web', 4))
    const first = replicaSetController(h.ctx)
    first.start()
    await h.settle(first)
    await first.stop()
    const second = replicaSetController(h.ctx)
    second.start()
    await h.settle(second)
    expect(podsOf(h, 'web')).toHaveLength(4)
    // Both running at once (an old leader not yet stopped) still converge on 4 after settling.
    const third = replicaSetController(h.ctx)
    third.start()
    await h.settle(second, third)
    expect(podsOf(h, 'web')).toHaveLength(4)
    await second.stop()
    await third.stop()
  })

  it('scales down unscheduled pods first, then not ready ones, then the newest', async () => {
    const h = await controllerHarness()
    const c = replicaSetController(h.ctx)
    await h.create(replicaSet('web', 4))
    c.start()
    await h.settle(c)
    const pods = podsOf(h, 'web').sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    // Two scheduled and ready, one scheduled not ready, one unscheduled.
    const [a, b, x, u] = pods as [KObject, KObject, KObject, KObject]
    for (const p of [a, b, x]) {
      const cur = h.get('', 'Pod', p.metadata.name) as KObject
      await h.backend.write({ op: 'update', object: { ...cur, spec: { ...(cur.spec as object), nodeName: 'node-a' } } })
    }
    await h.makeReady([h.get('', 'Pod', a.metadata.name) as KObject, h.get('', 'Pod', b.metadata.name) as KObject])
    const rs = h.get('apps', 'ReplicaSet', 'web') as KObject
    await h.backend.write({ op: 'update', object: { ...rs, spec: { ...(rs.spec as object), replicas: 2 } } })
    await h.settle(c)
    const left = podsOf(h, 'web').map((p) => p.metadata.name).sort()
    expect(left).toEqual([a.metadata.name, b.metadata.name].sort())
    expect(left).not.toContain(u.metadata.name)
    expect(left).not.toContain(x.metadata.name)
    expect(h.get('apps', 'ReplicaSet', 'web')?.status).toMatchObject({ replicas: 2, readyReplicas: 2, availableReplicas: 2 })
    await c.stop()
  })

  it('adopts matching orphans, releases pods whose labels stop matching, and ignores finished pods', async () => {
    const h = await controllerHarness()
    const orphan = await h.create(pod('stray', { app: 'web' }))
    const done = await h.create(pod('done', { app: 'web' }))
    await h.backend.write({ op: 'update', object: { ...done, status: { phase: 'Succeeded' } }, subresource: 'status' })
    const rs = await h.create(replicaSet('web', 2))
    const c = replicaSetController(h.ctx)
    c.start()
    await h.settle(c)
    const adopted = h.get('', 'Pod', 'stray') as KObject
    expect(adopted.metadata.ownerReferences?.[0]?.uid).toBe(rs.metadata.uid)
    expect(adopted.metadata.uid).toBe(orphan.metadata.uid)
    // Succeeded pods are adopted but not counted: one new pod besides the stray.
    const active = podsOf(h, 'web').filter((p) => (p.status as { phase?: string } | undefined)?.phase !== 'Succeeded')
    expect(active).toHaveLength(2)
    // Relabel the stray: released (no ownerReference) and replaced.
    await h.backend.write({ op: 'update', object: { ...adopted, metadata: { ...adopted.metadata, labels: { app: 'other' } } } })
    await h.settle(c)
    expect(h.get('', 'Pod', 'stray')?.metadata.ownerReferences).toBeUndefined()
    expect(podsOf(h, 'web').filter((p) => (p.status as { phase?: string } | undefined)?.phase !== 'Succeeded')).toHaveLength(2)
    await c.stop()
  })

  it('replaces a pod being deleted and does not count it', async () => {
    const h = await controllerHarness()
    await h.create(replicaSet('web', 2))
    const c = replicaSetController(h.ctx)
    c.start()
    await h.settle(c)
    const victim = podsOf(h, 'web')[0] as KObject
    // A finalizer keeps it around, marked.
    await h.backend.write({ op: 'update', object: { ...victim, metadata: { ...victim.metadata, finalizers: ['test/hold'] } } })
    await h.backend.write({ op: 'delete', ref: { group: '', kind: 'Pod', namespace: 'default', name: victim.metadata.name }, deletionTimestamp: h.backend.now() })
    await h.settle(c)
    const pods = podsOf(h, 'web')
    expect(pods).toHaveLength(3)
    expect(pods.filter((p) => p.metadata.deletionTimestamp === undefined)).toHaveLength(2)
    expect(h.get('apps', 'ReplicaSet', 'web')?.status).toMatchObject({ replicas: 2 })
    await c.stop()
  })

  it('counts a ready pod available only after minReadySeconds', async () => {
    const h = await controllerHarness()
    await h.create(replicaSet('web', 1, { minReadySeconds: 10 }))
    const c = replicaSetController(h.ctx)
    c.start()
    await h.settle(c)
    await h.makeReady(podsOf(h, 'web'))
    await h.settle(c)
    expect(h.get('apps', 'ReplicaSet', 'web')?.status).toMatchObject({ readyReplicas: 1, availableReplicas: 0 })
    h.clock.advance(9_000)
    await h.settle(c)
    expect(h.get('apps', 'ReplicaSet', 'web')?.status).toMatchObject({ availableReplicas: 0 })
    h.clock.advance(1_000)
    await h.settle(c)
    expect(h.get('apps', 'ReplicaSet', 'web')?.status).toMatchObject({ availableReplicas: 1 })
    await c.stop()
  })
})
