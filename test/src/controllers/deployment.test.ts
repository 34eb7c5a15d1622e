// The Deployment controller with the ReplicaSet controller, on the real store and a manual
// clock; pods become ready only when the test says so (no kubelet here). Checks the
// ReplicaSet naming and labels, revisions, rolling updates within maxSurge/maxUnavailable at
// every write, Recreate, pause/resume, scaling, history pruning, rollback to an old template,
// status conditions and the progress deadline.

import { describe, expect, it } from 'vitest'
import { deploymentController } from '../../../src/controllers/deployment.ts'
import { replicaSetController } from '../../../src/controllers/replicaset.ts'
import { isPodActive, isPodReady } from '../../../src/controllers/pod-readiness.ts'
import type { KObject } from '../../../src/store/types.ts'
import { controllerHarness, deployment, withImage, withSpec, type ControllerHarness } from './harness.ts'

async function cluster (): Promise<{ h: ControllerHarness, settle: () => Promise<void>, stop: () => Promise<void> }> {
  const h = await controllerHarness()
  const rs = replicaSetController(h.ctx)
  const dc = deploymentController(h.ctx)
  rs.start()
  dc.start()
  return { h, settle: async () => { await h.settle(rs, dc) }, stop: async () => { await dc.stop(); await rs.stop() } }
}

const activePods = (h: ControllerHarness): KObject[] => h.list('', 'Pod', 'default').filter(isPodActive)
const imageOf = (p: KObject): string => (p.spec as { containers: Array<{ image: string }> }).containers[0]?.image ?? ''
const rss = (h: ControllerHarness): KObject[] => h.list('apps', 'ReplicaSet', 'default')
const dep = (h: ControllerHarness, name = 'web'): KObject => h.get('apps', 'Deployment', name) as KObject
const cond = (d: KObject, type: string): Record<string, unknown> | undefined =>
  ((d.status as { conditions?: Array<Record<string, unknown>> }).conditions ?? []).find((c) => c.type === type)

/** Ready every active pod that is not, one settle at a time, until the rollout is done (a kubelet stand-in). */
async function readyOneByOne (h: ControllerHarness, settle: () => Promise<void>, maxSteps = 100): Promise<void> {
  for (let i = 0; i < maxSteps; i++) {
    await settle()
    const next = activePods(h).find((p) => !isPodReady(p))
    if (next === undefined) return
    await h.makeReady([next])
  }
  throw new Error('rollout did not finish')
}

async function update (h: ControllerHarness, obj: KObject): Promise<void> {
  const r = await h.backend.write({ op: 'update', object: obj })
  if (!r.ok) throw new Error(r.error.message)
}

describe('Deployment controller', () => {
  it('records ScalingReplicaSet Events as kube-controller-manager does', async () => {
    const { h, settle, stop } = await cluster()
    await h.create(deployment('web', 2))
    await settle()
    const rsName = rss(h)[0]?.metadata.name ?? ''
    await stop()
    const events = h.list('', 'Event', 'default').map((e) => [e.reason, (e.involvedObject as { kind: string }).kind, e.message, (e.source as { component: string }).component])
    expect(events.filter((e) => e[0] === 'ScalingReplicaSet')).toEqual([['ScalingReplicaSet', 'Deployment', `Scaled up replica set ${rsName} from 0 to 2`, 'deployment-controller']])
    expect(events.filter((e) => e[0] === 'SuccessfulCreate')).toHaveLength(2)
  })

  it('creates <name>-<hash> ReplicaSet with the hash label in selector and template, revision 1, and reports status', async () => {
    const { h, settle, stop } = await cluster()
    const d = await h.create(deployment('web', 3))
    await settle()
    const [rs] = rss(h)
    expect(rss(h)).toHaveLength(1)
    const hash = rs?.metadata.labels?.['pod-template-hash'] as string
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/)
    expect(rs?.metadata.name).toBe(`web-${hash}`)
    expect((rs?.spec as any).selector.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash })
    expect((rs?.spec as any).template.metadata.labels).toEqual({ app: 'web', 'pod-template-hash': hash })
    expect(rs?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1')
    expect(rs?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'web', uid: d.metadata.uid, controller: true, blockOwnerDeletion: true })
    expect(dep(h).metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1')
    expect(activePods(h)).toHaveLength(3)
    expect(dep(h).status).toMatchObject({ replicas: 3, updatedReplicas: 3, readyReplicas: 0, availableReplicas: 0, unavailableReplicas: 3 })
    expect(cond(dep(h), 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' })
    expect(cond(dep(h), 'Progressing')).toMatchObject({ status: 'True' })
    await h.makeReady(activePods(h))
    await settle()
    expect(dep(h).status).toMatchObject({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 0 })
    expect(cond(dep(h), 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' })
    expect(cond(dep(h), 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "web-${hash}" has successfully progressed.` })
    await stop()
  })

  it('rolls out within maxSurge and maxUnavailable at every write', async () => {
    const { h, settle, stop } = await cluster()
    await h.create(deployment('web', 4, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } }))
    await readyOneByOne(h, settle)
    const violations: string[] = []
    let maxPods = 0
    let minReady = Infinity
    const stopWatch = h.backend.reader.watch('', 'Pod', 'default', h.backend.reader.appliedIndex, {}, () => {
      const active = activePods(h)
      const ready = active.filter(isPodReady).length
      maxPods = Math.max(maxPods, active.length)
      minReady = Math.min(minReady, ready)
      if (active.length > 5) violations.push(`${active.length} pods`)
      if (ready < 3) violations.push(`${ready} ready`)
    })
    await update(h, withImage(dep(h), 'busybox:2'))
    await readyOneByOne(h, settle)
    stopWatch()
    expect(violations).toEqual([])
    expect(maxPods).toBe(5)
    expect(minReady).toBe(3)
    expect(activePods(h).map(imageOf)).toEqual(['busybox:2', 'busybox:2', 'busybox:2', 'busybox:2'])
    const byRev = Object.fromEntries(rss(h).map((rs) => [rs.metadata.annotations?.['deployment.kubernetes.io/revision'], (rs.spec as any).replicas]))
    expect(byRev).toEqual({ 1: 0, 2: 4 })
    expect(dep(h).metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2')
    expect(dep(h).status).toMatchObject({ replicas: 4, updatedReplicas: 4, availableReplicas: 4 })
    await stop()
  })

  it('resolves 25% defaults as Kubernetes: surge rounds up, unavailable down', async () => {
    const { h, settle, stop } = await cluster()
    await h.create(deployment('web', 10))
    await readyOneByOne(h, settle)
    await update(h, withImage(dep(h), 'busybox:2'))
    await settle()
    // maxSurge ceil(2.5) = 3: 13 pods; maxUnavailable floor(2.5) = 2: the old ReplicaSet keeps 8.
    const sizes = rss(h).map((rs) => (rs.spec as any).replicas).sort((a: number, b: number) => a - b)
    expect(sizes).toEqual([5, 8])
    expect(activePods(h)).toHaveLength(13)
    await stop()
  })

  it('Recreate: the old pods are gone before any new pod is created', async () => {
    const { h, settle, stop } = await cluster()
    await h.create(deployment('web', 3, { strategy: { type: 'Recreate' } }))
    await readyOneByOne(h, settle)
    const mixed: string[] = []
    const stopWatch = h.backend.reader.watch('', 'Pod', 'default', h.backend.reader.appliedIndex, {}, () => {
      const images = new Set(h.list('', 'Pod', 'default').map(imageOf))
      if (images.size > 1) mixed.push([...images].join(','))
    })
    await update(h, withImage(dep(h), 'busybox:2'))
    await readyOneByOne(h, settle)
    stopWatch()
    expect(mixed).toEqual([])
    expect(activePods(h).map(imageOf)).toEqual(['busybox:2', 'busybox:2', 'busybox:2'])
    await stop()
  })

  it('paused: a template change waits, scaling applies; resume rolls out', async () => {
    const { h, settle, stop } = await cluster()
    await h.create(deployment('web', 2))
    await readyOneByOne(h, settle)
    await update(h, withSpec(dep(h), { paused: true }))
    await settle()
    expect(cond(dep(h), 'Progressing')).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused' })
    await update(h, withSpec(withImage(dep(h), 'busybox:2'), { replicas: 3 }))
    await readyOneByOne(h, settle)
    expect(rss(h)).toHaveLength(1)
    expect(activePods(h).map(imageOf)).toEqual(['busybox:1', 'busybox:1', 'busybox:1'])
    await update(h, withSpec(dep(h), { paused: false }))
    await readyOneByOne(h, settle)
    expect(rss(h)).toHaveLength(2)
    expect(activePods(h).map(imageOf)).toEqual(['busybox:2', 'busybox:2', 'busybox:2'])
    expect(cond(dep(h), 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' })
    await stop()
  })

  it('scaling mid-rollout spreads the change over both ReplicaSets in proportion', async () => {
    const { h, settle, stop } = await cluster()
    await h.create(deployment('web', 10))
    await readyOneByOne(h, settle)
    await update(h, withImage(dep(h), 'busybox:2'))
    await settle()
    // Rollout stuck mid-way (new pods never ready): old 8, new 5.
    await update(h, withSpec(dep(h), { replicas: 20 }))
    await settle()
    const sizes = Object.fromEntries(rss(h).map((rs) => [rs.metadata.annotations?.['deployment.kubernetes.io/revision'], (rs.spec as any).replicas]))
    // 20 + maxSurge 5 = 25 in all, 12 more; each grows by 25/13 (max-replicas before: 13):
    // old round(8 × 25/13) = 15, new round(5 × 25/13) = 10, as Kubernetes does.
    expect(sizes).toEqual({ 1: 15, 2: 10 })
    for (const rs of rss(h)) expect(rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas']).toBe('20')
    // Down to 5 (5 + surge 2 = 7 in all): old round(15 × 7/25) = 4, new round(10 × 7/25) = 3.
    await update(h, withSpec(dep(h), { replicas: 5 }))
    await settle()
    expect(Object.fromEntries(rss(h).map((rs) => [rs.metadata.annotations?.['deployment.kubernetes.io/revision'], (rs.spec as any).replicas]))).toEqual({ 1: 4, 2: 3 })
    await update(h, withSpec(dep(h), { replicas: 20 }))
    await readyOneByOne(h, settle, 200)
    expect(activePods(h)).toHaveLength(20)
    expect(activePods(h).every((p) => imageOf(p) === 'busybox:2')).toBe(true)
    await stop()
  })

  it('keeps revisionHistoryLimit old ReplicaSets; a template of an old revision brings its ReplicaSet back as the newest revision', async () => {
    const { h, settle, stop } = await cluster()
    await h.create(deployment('web', 1, { revisionHistoryLimit: 1 }))
    await readyOneByOne(h, settle)
    for (const image of ['busybox:2', 'busybox:3']) {
      await update(h, withImage(dep(h), image))
      await readyOneByOne(h, settle)
    }
    const revs = rss(h).map((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision']).sort()
    expect(revs).toEqual(['2', '3'])
    const old = rss(h).find((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === '2') as KObject
    // Rollback as `rollout undo` does it: the old template back in the Deployment.
    await update(h, withImage(dep(h), 'busybox:2'))
    await readyOneByOne(h, settle)
    const back = h.get('apps', 'ReplicaSet', old.metadata.name) as KObject
    expect(back.metadata.uid).toBe(old.metadata.uid)
    expect(back.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('4')
    expect(back.metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('2')
    expect(dep(h).metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('4')
    expect(activePods(h).map(imageOf)).toEqual(['busybox:2'])
    await stop()
  })

  it('reports ProgressDeadlineExceeded when the rollout makes no progress for progressDeadlineSeconds', async () => {
    const { h, settle, stop } = await cluster()
    await h.create(deployment('web', 2, { progressDeadlineSeconds: 30 }))
    await settle()
    h.clock.advance(29_000)
    await settle()
    expect(cond(dep(h), 'Progressing')).toMatchObject({ status: 'True' })
    h.clock.advance(2_000)
    await settle()
    expect(cond(dep(h), 'Progressing')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded', message: expect.stringMatching(/^ReplicaSet "web-\w+" has timed out progressing\.$/) })
    // Progress again: back to True.
    await readyOneByOne(h, settle)
    expect(cond(dep(h), 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' })
    await stop()
  })

  it('a second controller instance creates no second ReplicaSet', async () => {
    const { h, settle, stop } = await cluster()
    await h.create(deployment('web', 2))
    await settle()
    await stop()
    const again = await (async () => {
      const rs = replicaSetController(h.ctx)
      const dc = deploymentController(h.ctx)
      rs.start()
      dc.start()
      await h.settle(rs, dc)
      return { rs, dc }
    })()
    expect(rss(h)).toHaveLength(1)
    expect(activePods(h)).toHaveLength(2)
    await again.dc.stop()
    await again.rs.stop()
  })
})
