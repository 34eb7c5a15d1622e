// The garbage collector on the real store: background (dependents of a deleted owner go),
// foreground (the owner waits, marked, until its blocking dependents are gone, down a
// Deployment → ReplicaSet → Pod chain), orphan (references removed, dependents stay), and
// dangling references dropped while another owner lives.

import { describe, expect, it } from 'vitest'
import { deploymentController } from '../../../src/controllers/deployment.ts'
import { FOREGROUND_FINALIZER, foregroundDeleteCommands, garbageCollector, ORPHAN_FINALIZER } from '../../../src/controllers/garbage-collector.ts'
import { replicaSetController } from '../../../src/controllers/replicaset.ts'
import type { KObject, StoreCommand } from '../../../src/store/types.ts'
import { controllerHarness, deployment, pod, replicaSet, type ControllerHarness } from './harness.ts'

const ref = (o: KObject): { apiVersion: string, kind: string, name: string, uid: string } =>
  ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, uid: o.metadata.uid ?? '' })

async function withFinalizer (h: ControllerHarness, obj: KObject, finalizer: string): Promise<void> {
  const cur = h.get(obj.apiVersion === 'v1' ? '' : 'apps', obj.kind, obj.metadata.name) as KObject
  const r = await h.backend.write({ op: 'update', object: { ...cur, metadata: { ...cur.metadata, finalizers: [...cur.metadata.finalizers ?? [], finalizer] } } })
  if (!r.ok) throw new Error(r.error.message)
}

async function remove (h: ControllerHarness, group: string, kind: string, name: string): Promise<void> {
  const cmd: StoreCommand = { op: 'delete', ref: { group, kind, namespace: 'default', name }, deletionTimestamp: h.backend.now() }
  const r = await h.backend.write(cmd)
  if (!r.ok) throw new Error(r.error.message)
}

async function workload (): Promise<{ h: ControllerHarness, settle: () => Promise<void>, stop: () => Promise<void> }> {
  const h = await controllerHarness()
  const roles = [replicaSetController(h.ctx), deploymentController(h.ctx), garbageCollector(h.ctx)]
  for (const r of roles) r.start()
  return { h, settle: async () => { await h.settle(...roles) }, stop: async () => { for (const r of roles) await r.stop() } }
}

describe('garbage collector', () => {
  it('background: deleting a Deployment deletes its ReplicaSets, then their pods', async () => {
    const { h, settle, stop } = await workload()
    await h.create(deployment('web', 3))
    await settle()
    expect(h.list('', 'Pod', 'default')).toHaveLength(3)
    await remove(h, 'apps', 'Deployment', 'web')
    expect(h.get('apps', 'Deployment', 'web')).toBeUndefined()
    await settle()
    expect(h.list('apps', 'ReplicaSet', 'default')).toEqual([])
    expect(h.list('', 'Pod', 'default')).toEqual([])
    await stop()
  })

  it('foreground: the owner stays, marked, until its dependents are gone, all the way down', async () => {
    const { h, settle, stop } = await workload()
    await h.create(deployment('web', 2))
    await settle()
    // A pod that holds on: the ReplicaSet, and so the Deployment, wait for it.
    const held = h.list('', 'Pod', 'default')[0] as KObject
    await withFinalizer(h, held, 'test/hold')
    const d = h.get('apps', 'Deployment', 'web') as KObject
    await h.backend.write({ op: 'batch', commands: foregroundDeleteCommands(d, h.backend.now()) })
    await settle()
    const marked = h.get('apps', 'Deployment', 'web') as KObject
    expect(marked.metadata.deletionTimestamp).toBeDefined()
    expect(marked.metadata.finalizers).toEqual([FOREGROUND_FINALIZER])
    const rs = h.list('apps', 'ReplicaSet', 'default')[0] as KObject
    expect(rs.metadata.finalizers).toEqual([FOREGROUND_FINALIZER])
    expect(h.list('', 'Pod', 'default').map((p) => p.metadata.name)).toEqual([held.metadata.name])
    // The last pod lets go: everything goes, bottom up.
    const cur = h.get('', 'Pod', held.metadata.name) as KObject
    await h.backend.write({ op: 'update', object: { ...cur, metadata: { ...cur.metadata, finalizers: [] } } })
    await settle()
    expect(h.list('', 'Pod', 'default')).toEqual([])
    expect(h.list('apps', 'ReplicaSet', 'default')).toEqual([])
    expect(h.get('apps', 'Deployment', 'web')).toBeUndefined()
    await stop()
  })

  it('orphan: dependents lose the reference and stay; the owner goes', async () => {
    const { h, settle, stop } = await workload()
    await h.create(replicaSet('web', 2))
    await settle()
    const rs = h.get('apps', 'ReplicaSet', 'web') as KObject
    await withFinalizer(h, rs, ORPHAN_FINALIZER)
    await remove(h, 'apps', 'ReplicaSet', 'web')
    await settle()
    expect(h.get('apps', 'ReplicaSet', 'web')).toBeUndefined()
    const pods = h.list('', 'Pod', 'default')
    expect(pods).toHaveLength(2)
    for (const p of pods) expect(p.metadata.ownerReferences).toBeUndefined()
    await stop()
  })

  it('drops references to owners that are gone while another owner lives; deletes when all are gone', async () => {
    const { h, settle, stop } = await workload()
    const a = await h.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'default' } })
    const b = await h.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'default' } })
    await h.create(pod('p', { app: 'x' }, { ownerReferences: [ref(a), ref(b)] }))
    await settle()
    await remove(h, '', 'ConfigMap', 'a')
    await settle()
    expect(h.get('', 'Pod', 'p')?.metadata.ownerReferences).toEqual([ref(b)])
    // A new object under the old name is another owner (another uid): still gone.
    await remove(h, '', 'ConfigMap', 'b')
    await h.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'default' } })
    await settle()
    expect(h.get('', 'Pod', 'p')).toBeUndefined()
    await stop()
  })

  it('a dependent whose owner was deleted while no leader ran is collected when the collector starts', async () => {
    const h = await controllerHarness()
    const owner = await h.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'default' } })
    await h.create(pod('p', { app: 'x' }, { ownerReferences: [ref(owner)] }))
    await remove(h, '', 'ConfigMap', 'a')
    const gc = garbageCollector(h.ctx)
    gc.start()
    await h.settle(gc)
    expect(h.get('', 'Pod', 'p')).toBeUndefined()
    await gc.stop()
  })
})

describe('garbage collector and unknown owner kinds', () => {
  it('leaves alone a dependent whose owner is of a kind the cluster does not serve', async () => {
    const h = await controllerHarness()
    await h.create(pod('job-pod', { app: 'x' }, { ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'uid-job' }] }))
    const gc = garbageCollector(h.ctx)
    gc.start()
    await h.settle(gc)
    expect(h.get('', 'Pod', 'job-pod')).toBeDefined()
    await gc.stop()
  })
})
