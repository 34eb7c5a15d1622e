// Deleting a namespace: the store marks it Terminating, the namespace controller deletes
// every namespaced object in it (waiting for those with finalizers), then removes the
// "kubernetes" finalizer and the namespace goes. Controllers create nothing in it meanwhile.

import { describe, expect, it } from 'vitest'
import { namespaceController } from '../../../src/controllers/namespace.ts'
import { replicaSetController } from '../../../src/controllers/replicaset.ts'
import type { KObject } from '../../../src/store/types.ts'
import { controllerHarness, deployment, pod, replicaSet } from './harness.ts'

describe('namespace controller', () => {
  it('deletes everything in a Terminating namespace, then the namespace', async () => {
    const h = await controllerHarness()
    await h.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } })
    expect((h.get('', 'Namespace', 'team')?.spec as { finalizers?: string[] }).finalizers).toEqual(['kubernetes'])
    const inTeam = <T extends KObject>(o: T): T => ({ ...o, metadata: { ...o.metadata, namespace: 'team' } })
    await h.create(inTeam(deployment('web', 1)))
    await h.create(inTeam(replicaSet('api', 1)))
    await h.create(inTeam({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' } }))
    await h.create(inTeam({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } }))
    await h.create(inTeam({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc' }, spec: { ports: [{ port: 80 }] } }))
    const held = await h.create(inTeam(pod('held', { app: 'x' }, { finalizers: ['test/hold'] })))
    await h.create(pod('elsewhere', { app: 'x' }))
    const ns = namespaceController(h.ctx)
    const rs = replicaSetController(h.ctx)
    ns.start()
    rs.start()
    await h.settle(ns, rs)
    const r = await h.backend.write({ op: 'delete', ref: { group: '', kind: 'Namespace', namespace: '', name: 'team' }, deletionTimestamp: h.backend.now() })
    expect(r.ok).toBe(true)
    expect((h.get('', 'Namespace', 'team')?.status as { phase?: string }).phase).toBe('Terminating')
    await h.settle(ns, rs)
    // Only the pod with a finalizer is left, marked; the namespace waits for it.
    const left = ['Pod', 'ConfigMap', 'Secret', 'Service'].flatMap((k) => h.list('', k, 'team'))
      .concat(h.list('apps', 'Deployment', 'team'), h.list('apps', 'ReplicaSet', 'team'))
    expect(left.map((o) => o.metadata.name)).toEqual(['held'])
    expect(left[0]?.metadata.deletionTimestamp).toBeDefined()
    expect(h.get('', 'Namespace', 'team')).toBeDefined()
    const cur = h.get('', 'Pod', 'held', 'team') as KObject
    await h.backend.write({ op: 'update', object: { ...cur, metadata: { ...cur.metadata, finalizers: [] } } })
    await h.settle(ns, rs)
    expect(h.get('', 'Namespace', 'team')).toBeUndefined()
    expect(h.get('', 'Pod', 'elsewhere')).toBeDefined()
    expect(held.metadata.uid).toBeDefined()
    await ns.stop()
    await rs.stop()
  })

  it('a ReplicaSet in a terminating namespace creates no pods and reports ReplicaFailure', async () => {
    const h = await controllerHarness()
    await h.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } })
    await h.create({ ...replicaSet('api', 2), metadata: { name: 'api', namespace: 'team', finalizers: ['test/hold'] } })
    await h.backend.write({ op: 'delete', ref: { group: '', kind: 'Namespace', namespace: '', name: 'team' }, deletionTimestamp: h.backend.now() })
    const rs = replicaSetController(h.ctx)
    rs.start()
    await h.settle(rs)
    expect(h.list('', 'Pod', 'team')).toEqual([])
    const failure = ((h.get('apps', 'ReplicaSet', 'api', 'team')?.status as { conditions?: unknown[] }).conditions ?? [])[0]
    expect(failure).toMatchObject({ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'unable to create new content in namespace team because it is being terminated' })
    await rs.stop()
  })
})
