// The official JavaScript Kubernetes client (@kubernetes/client-node 2.x) against a real
// three-agent cluster, with nothing but the kubeconfig an agent wrote (HTTPS, cluster CA,
// bearer token): typed CRUD on ConfigMaps, Deployments, Services and Namespaces with every
// patch type, Kubernetes Status errors, the generic KubernetesObjectApi on manifest objects,
// and informers (ListWatch) — exact events and cache, across a leader kill -9, and across a
// restart of the very agent the informer talks to.

import { beforeAll, describe, expect, test } from 'vitest'
import { AppsV1Api, CoreV1Api, KubernetesObjectApi, PatchStrategy, setHeaderOptions, type KubernetesObject, type V1Deployment } from '@kubernetes/client-node'
import { e2eClusters, voters, waitFor, type ClusterStatus, type TestCluster } from './cluster-harness.ts'
import {
  configMap, deployment, describeWrites, expectEachWriteOnce, kubeConfigOf, largestInformerLag, longestWriteGap, RecordedInformer, rejection, retryOnConflict,
  sameMap, serverState, service, startConfigMapWriter, startWatch, statusOf, type SeenEvent
} from './harness/client-node.ts'

const clusters = e2eClusters()
const NAMES = ['a', 'b', 'c']

function healthyTrio (s: ClusterStatus): boolean {
  return s.members.length === 3 && voters(s).length === 3 && s.members.every((m) => m.healthy)
}

describe('@kubernetes/client-node against a three-agent cluster', () => {
  let c: TestCluster
  beforeAll(async () => {
    c = await clusters.createShared('client-node')
    await c.form(NAMES)
    await c.waitForAgreement('3 healthy voters', healthyTrio, 60_000)
  }, 180_000)

  /** A follower's kubeconfig (not the leader's), and the leader's name. */
  async function follower (): Promise<{ name: string, leader: string }> {
    const s = await c.waitForAgreement('3 healthy voters', healthyTrio, 60_000)
    const leader = s.leader as string
    return { name: NAMES.find((n) => n !== leader) as string, leader }
  }

  test('typed CRUD and patches on Namespaces, ConfigMaps, Deployments and Services; 404 NotFound and 409 AlreadyExists as Status', async () => {
    const { name } = await follower()
    const kc = kubeConfigOf(c.agent(name))
    const core = kc.makeApiClient(CoreV1Api)
    const apps = kc.makeApiClient(AppsV1Api)
    const namespace = 'crud'

    // Namespaces
    const ns = await core.createNamespace({ body: { metadata: { name: namespace, labels: { team: 'a' } } } })
    expect(ns.status?.phase).toBe('Active')
    expect((await core.listNamespace()).items.map((n) => n.metadata?.name)).toEqual(expect.arrayContaining(['default', namespace]))
    const nsPatched = await core.patchNamespace({ name: namespace, body: { metadata: { labels: { tier: 'test' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))
    expect(nsPatched.metadata?.labels).toMatchObject({ team: 'a', tier: 'test' })
    const nsStrategic = await core.patchNamespace({ name: namespace, body: { metadata: { annotations: { owner: 'client-node' } } } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch))
    expect(nsStrategic.metadata?.annotations).toEqual({ owner: 'client-node' })
    const nsReplaced = await retryOnConflict(async () => {
      const current = await core.readNamespace({ name: namespace })
      return await core.replaceNamespace({ name: namespace, body: { ...current, metadata: { ...current.metadata, labels: { team: 'b' } } } })
    })
    expect(nsReplaced.metadata?.labels?.team).toBe('b')
    expect((await rejection(core.createNamespace({ body: { metadata: { name: namespace } } })))).toMatchObject({ code: 409, kind: 'Status', status: 'Failure', reason: 'AlreadyExists' })

    // ConfigMaps: create, get, list by label, JSON patch (client-node's default), merge patch,
    // strategic merge patch, replace (and a stale replace), delete.
    const cm = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'settings', labels: { app: 'web' } }, data: { a: '1' } } })
    expect(cm.metadata?.uid).toMatch(/\S/)
    expect((await core.readNamespacedConfigMap({ name: 'settings', namespace })).data).toEqual({ a: '1' })
    expect((await core.listNamespacedConfigMap({ namespace, labelSelector: 'app=web' })).items.map((i) => i.metadata?.name)).toEqual(['settings'])
    expect((await core.listNamespacedConfigMap({ namespace, labelSelector: 'app=db' })).items).toEqual([])
    const jsonPatched = await core.patchNamespacedConfigMap({ name: 'settings', namespace, body: [{ op: 'add', path: '/data/b', value: '2' }] })
    expect(jsonPatched.data).toEqual({ a: '1', b: '2' })
    const merged = await core.patchNamespacedConfigMap({ name: 'settings', namespace, body: { data: { a: null, c: '3' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))
    expect(merged.data).toEqual({ b: '2', c: '3' })
    const strategic = await core.patchNamespacedConfigMap({ name: 'settings', namespace, body: { metadata: { labels: { extra: 'x' } } } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch))
    expect(strategic.metadata?.labels).toEqual({ app: 'web', extra: 'x' })
    expect(Number(strategic.metadata?.resourceVersion)).toBeGreaterThan(Number(merged.metadata?.resourceVersion))
    const replaced = await core.replaceNamespacedConfigMap({ name: 'settings', namespace, body: { ...strategic, data: { only: 'this' } } })
    expect(replaced.data).toEqual({ only: 'this' })
    expect(replaced.metadata?.uid).toBe(cm.metadata?.uid)
    expect(await rejection(core.replaceNamespacedConfigMap({ name: 'settings', namespace, body: { ...strategic, data: { stale: 'yes' } } })))
      .toMatchObject({ code: 409, reason: 'Conflict' })
    expect(await rejection(core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'settings' } } })))
      .toMatchObject({ code: 409, kind: 'Status', status: 'Failure', reason: 'AlreadyExists', message: 'configmaps "settings" already exists' })
    const deleted = await core.deleteNamespacedConfigMap({ name: 'settings', namespace })
    expect(deleted.status).toBe('Success')
    expect(await rejection(core.readNamespacedConfigMap({ name: 'settings', namespace })))
      .toMatchObject({ code: 404, kind: 'Status', status: 'Failure', reason: 'NotFound', message: 'configmaps "settings" not found' })
    expect((await rejection(core.deleteNamespacedConfigMap({ name: 'settings', namespace }))).reason).toBe('NotFound')

    // Deployments: a strategic merge patch merges containers by name.
    const dep = await apps.createNamespacedDeployment({ namespace, body: deployment('web', 2, namespace) })
    expect(dep.metadata?.generation).toBe(1)
    const smp = await apps.patchNamespacedDeployment({ name: 'web', namespace, body: { spec: { template: { spec: { containers: [{ name: 'app', env: [{ name: 'MODE', value: 'fast' }] }] } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch))
    const container = smp.spec?.template.spec?.containers[0]
    expect(smp.spec?.template.spec?.containers).toHaveLength(1)
    expect(container?.image).toBe('flotilla/busybox:test')
    expect(container?.env).toEqual([{ name: 'MODE', value: 'fast' }])
    expect(smp.metadata?.generation).toBe(2)
    // Read, change, replace: the controllers rolling out the patched template write the status
    // meanwhile, so a replace may meet a 409 Conflict; users retry it from a fresh read.
    const scaled = await retryOnConflict(async () => {
      const read = await apps.readNamespacedDeployment({ name: 'web', namespace })
      read.spec = { ...read.spec!, replicas: 3 }
      return await apps.replaceNamespacedDeployment({ name: 'web', namespace, body: read })
    })
    expect(scaled.spec?.replicas).toBe(3)
    expect((await apps.readNamespacedDeploymentScale({ name: 'web', namespace })).spec?.replicas).toBe(3)
    const depMerged = await apps.patchNamespacedDeployment({ name: 'web', namespace, body: { spec: { replicas: 1 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))
    expect(depMerged.spec?.replicas).toBe(1)
    expect((await apps.listNamespacedDeployment({ namespace, labelSelector: 'app=web' })).items.map((d) => d.metadata?.name)).toEqual(['web'])
    expect(await rejection(apps.readNamespacedDeployment({ name: 'nope', namespace }))).toMatchObject({ code: 404, reason: 'NotFound', message: 'deployments.apps "nope" not found' })
    expect((await apps.deleteNamespacedDeployment({ name: 'web', namespace })).status).toBe('Success')

    // Services: a ClusterIP is allocated; a merge patch replaces the ports list.
    const svc = await core.createNamespacedService({ namespace, body: service('web', namespace) })
    expect(svc.spec?.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/)
    const svcPatched = await core.patchNamespacedService({ name: 'web', namespace, body: { spec: { ports: [{ name: 'http', port: 8080, targetPort: 80 }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch))
    expect(svcPatched.spec?.ports?.map((p) => p.port)).toEqual([8080])
    expect(svcPatched.spec?.clusterIP).toBe(svc.spec?.clusterIP)
    const svcStrategic = await core.patchNamespacedService({ name: 'web', namespace, body: { metadata: { labels: { exposed: 'yes' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch))
    expect(svcStrategic.metadata?.labels).toEqual({ exposed: 'yes' })
    expect((await core.readNamespacedService({ name: 'web', namespace })).spec?.ports?.[0]?.port).toBe(8080)
    expect((await core.listNamespacedService({ namespace })).items.map((i) => i.metadata?.name)).toEqual(['web'])
    const svcReplaced = await retryOnConflict(async () => {
      const current = await core.readNamespacedService({ name: 'web', namespace })
      return await core.replaceNamespacedService({ name: 'web', namespace, body: { ...current, spec: { ...current.spec, selector: { app: 'web', tier: 'front' } } } })
    })
    expect(svcReplaced.spec?.selector).toEqual({ app: 'web', tier: 'front' })
    expect(svcReplaced.spec?.clusterIP).toBe(svc.spec?.clusterIP)
    await core.deleteNamespacedService({ name: 'web', namespace })
    expect((await rejection(core.readNamespacedService({ name: 'web', namespace }))).reason).toBe('NotFound')

    // Deleting the namespace: Terminating at once, gone once its contents are.
    const nsDeleted = await core.deleteNamespace({ name: namespace })
    expect(nsDeleted).toBeDefined()
    await waitFor(`namespace ${namespace} to be gone`, async () => {
      const err = await core.readNamespace({ name: namespace }).then(() => undefined, (e: unknown) => statusOf(e))
      return err?.code === 404 && err.reason === 'NotFound'
    }, { timeoutMs: 30_000, intervalMs: 250 })
  }, 120_000)

  test('manifest objects built as client-node users build them, created and read back through KubernetesObjectApi', async () => {
    const { name } = await follower()
    const kc = kubeConfigOf(c.agent(name))
    const client = KubernetesObjectApi.makeApiClient(kc)
    const manifests: KubernetesObject[] = [
      configMap('web-config', { 'index.html': 'hello' }),
      deployment('web-manifest', 1),
      service('web-manifest')
    ]
    for (const m of manifests) {
      const created = await client.create(m)
      expect(created.metadata?.uid, `${m.kind} ${m.metadata?.name}`).toMatch(/\S/)
      const back = await client.read({ apiVersion: m.apiVersion!, kind: m.kind!, metadata: { name: m.metadata!.name!, namespace: 'default' } })
      expect(back.kind).toBe(m.kind)
      expect(back.metadata?.uid).toBe(created.metadata?.uid)
    }
    // The generic client's default patch is a strategic merge patch.
    const patched = await client.patch({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web-manifest', namespace: 'default', labels: { patched: 'yes' } } } as V1Deployment)
    expect(patched.metadata?.labels).toEqual({ app: 'web-manifest', patched: 'yes' })
    const listed = await client.list('apps/v1', 'Deployment', 'default')
    expect(listed.items.map((d) => d.metadata?.name)).toContain('web-manifest')
    for (const m of manifests) await client.delete(m)
    expect(await rejection(client.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config', namespace: 'default' } }))).toMatchObject({ code: 404, reason: 'NotFound' })
  }, 60_000)

  test('an informer sees each add, update and delete exactly once, in order, and its cache matches the server', async () => {
    const { name } = await follower()
    const kc = kubeConfigOf(c.agent(name))
    const core = kc.makeApiClient(CoreV1Api)
    const namespace = 'default'
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'inf-before' }, data: { v: '0' } } })
    const inf = new RecordedInformer(kc, namespace)
    await inf.start()
    try {
      await waitFor('the informer to list inf-before', () => inf.cache().has('inf-before'), { timeoutMs: 10_000 })
      const expected: Array<{ type: SeenEvent['type'], name: string, rv?: number }> = []
      const rvOf = (o: { metadata?: { resourceVersion?: string } }): number => Number(o.metadata?.resourceVersion)
      for (let i = 0; i < 5; i++) {
        expected.push({ type: 'add', name: `inf-${i}`, rv: rvOf(await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: `inf-${i}` }, data: { v: '1' } } })) })
        expected.push({ type: 'update', name: `inf-${i}`, rv: rvOf(await core.patchNamespacedConfigMap({ name: `inf-${i}`, namespace, body: { data: { v: '2' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))) })
      }
      expected.push({ type: 'update', name: 'inf-before', rv: rvOf(await core.replaceNamespacedConfigMap({ name: 'inf-before', namespace, body: { metadata: { name: 'inf-before' }, data: { v: 'replaced' } } })) })
      for (const i of [1, 3]) {
        await core.deleteNamespacedConfigMap({ name: `inf-${i}`, namespace })
        expected.push({ type: 'delete', name: `inf-${i}` })
      }
      await waitFor('the informer to see both deletes', () => inf.about('inf-').filter((e) => e.type === 'delete').length >= 2, { timeoutMs: 10_000 })
      const seen = inf.about('inf-')
      expect(seen[0]).toMatchObject({ type: 'add', name: 'inf-before' })
      expect(seen.slice(1).map((e) => `${e.type} ${e.name}`)).toEqual(expected.map((e) => `${e.type} ${e.name}`))
      expect(seen.slice(1).filter((e) => e.type !== 'delete').map((e) => e.rv)).toEqual(expected.filter((e) => e.type !== 'delete').map((e) => e.rv))
      const rvs = seen.slice(1).map((e) => e.rv)
      expect(rvs).toEqual([...rvs].sort((x, y) => x - y))
      expect(new Set(rvs).size).toBe(rvs.length)
      expect(inf.cache()).toEqual(await serverState(kc, namespace))
      expect(inf.lists).toBe(1)
    } finally {
      await inf.stop()
    }
  }, 60_000)

  test('a client-node Watch as a streaming list: every object, the initial-events-end bookmark, then live events', async () => {
    const { name } = await follower()
    const kc = kubeConfigOf(c.agent(name))
    const core = kc.makeApiClient(CoreV1Api)
    const namespace = 'default'
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'stream-before' } } })
    const listed = await serverState(kc, namespace)
    const w = await startWatch(kc, `/api/v1/namespaces/${namespace}/configmaps`, { allowWatchBookmarks: true, sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan' })
    try {
      await waitFor('the initial-events-end bookmark', () => w.events.some((e) => e.type === 'BOOKMARK'), { timeoutMs: 10_000 })
      const end = w.events.findIndex((e) => e.type === 'BOOKMARK')
      expect(w.events[end]?.object.metadata?.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' })
      const initial = w.events.slice(0, end)
      expect(initial.every((e) => e.type === 'ADDED')).toBe(true)
      // At least what a list before the watch held (the controllers may have written more since).
      expect(initial.map((e) => e.object.metadata?.name)).toEqual(expect.arrayContaining([...listed.keys()]))
      expect(Number(w.events[end]?.object.metadata?.resourceVersion)).toBeGreaterThanOrEqual(Math.max(...initial.map((e) => Number(e.object.metadata?.resourceVersion))))
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'stream-after' } } })
      await waitFor('the live ADDED event', () => w.events.some((e) => e.type === 'ADDED' && e.object.metadata?.name === 'stream-after'), { timeoutMs: 10_000 })
    } finally {
      w.abort()
    }
  }, 60_000)

  test('an informer on a follower sees every write exactly once, in resourceVersion order, across a leader kill -9', async () => {
    const { leader } = await follower()
    const [watched, writer] = NAMES.filter((n) => n !== leader) as [string, string]
    const namespace = 'default'
    const watchKc = kubeConfigOf(c.agent(watched))
    const inf = new RecordedInformer(watchKc, namespace)
    await inf.start()
    const until = { stop: false }
    const w = startConfigMapWriter(kubeConfigOf(c.agent(writer)), namespace, 'fo-', until)
    try {
      await waitFor('20 acknowledged writes', () => w.writes.filter((x) => x.acknowledged).length >= 20, { timeoutMs: 30_000, lastSeen: () => describeWrites(w.writes) })
      const killedAt = Date.now()
      await c.kill(leader)
      const after = await c.waitForAgreement('a new leader among the survivors', (s) => s.leader !== leader && s.leader !== null, 30_000)
      await waitFor('20 writes acknowledged after the kill', () => w.writes.filter((x) => x.acknowledged && x.at > killedAt).length >= 20, { timeoutMs: 45_000, lastSeen: () => describeWrites(w.writes) })
      console.log(`[client-node] leader ${leader} killed; new leader ${String(after.leader)}; informer on ${watched}, writes through ${writer}: ${describeWrites(w.writes)}; ` +
        `longest gap between acknowledged writes after the kill ${longestWriteGap(w.writes, killedAt)} ms`)
    } finally {
      until.stop = true
      await w.done
    }
    try {
      const truth = await serverState(watchKc, namespace)
      await waitFor('the informer cache to equal the server\'s list', () => sameMap(inf.cache(), truth), { timeoutMs: 15_000, lastSeen: () => ({ cache: [...inf.cache()], truth: [...truth] }) })
      const seen = inf.about('fo-')
      expectEachWriteOnce(seen, w.writes)
      const rvs = seen.map((e) => e.rv)
      expect(rvs, 'events in resourceVersion order').toEqual([...rvs].sort((x, y) => x - y))
      expect(new Set(rvs).size, 'no resourceVersion twice').toBe(rvs.length)
      // The informer's own agent never went away: its watch needed no relist.
      expect(inf.lists).toBe(1)
      console.log(`[client-node] largest delay from a write's answer to the informer's callback: ${largestInformerLag(w.writes, seen)} ms`)
    } finally {
      await inf.stop()
    }
    await c.restart(leader)
    await c.waitForAgreement('3 healthy voters again', healthyTrio, 60_000)
  }, 240_000)

  test('an informer whose own agent is killed and restarted reconnects, never adds an object twice, and ends with the server\'s state', async () => {
    const { name: watched, leader } = await follower()
    const writer = NAMES.find((n) => n !== watched) as string
    const namespace = 'default'
    const watchKc = kubeConfigOf(c.agent(watched))
    const inf = new RecordedInformer(watchKc, namespace)
    await inf.start()
    const until = { stop: false }
    const w = startConfigMapWriter(kubeConfigOf(c.agent(writer)), namespace, 'rs-', until)
    try {
      await waitFor('10 acknowledged writes', () => w.writes.filter((x) => x.acknowledged).length >= 10, { timeoutMs: 30_000, lastSeen: () => describeWrites(w.writes) })
      await c.kill(watched)
      const downAt = Date.now()
      await waitFor('10 writes acknowledged while the informer\'s agent is down', () => w.writes.filter((x) => x.acknowledged && x.at > downAt).length >= 10, { timeoutMs: 30_000, lastSeen: () => describeWrites(w.writes) })
      await c.restart(watched)
      const upAt = Date.now()
      await waitFor('the informer to see a write made after its agent came back', () => {
        const later = w.writes.find((x) => x.acknowledged && x.at > upAt && x.type === 'add')
        return later !== undefined && inf.events.some((e) => e.name === later.name)
      }, { timeoutMs: 60_000 })
      console.log(`[client-node] informer's agent ${watched} restarted (leader ${leader}, writes through ${writer}); informer errors ${inf.errors}, lists ${inf.lists}; ${describeWrites(w.writes)}`)
    } finally {
      until.stop = true
      await w.done
    }
    try {
      const truth = await serverState(watchKc, namespace)
      await waitFor('the informer cache to equal the server\'s list', () => sameMap(inf.cache(), truth), { timeoutMs: 20_000, lastSeen: () => ({ cache: [...inf.cache()], truth: [...truth] }) })
      const seen = inf.about('rs-')
      // What a Kubernetes user relies on: an object is added once (again only after a delete),
      // each object's versions only move forward, and no change is reported twice. If the
      // agent's watch history reached back to the informer's resourceVersion, it resumed
      // without a relist and saw every write exactly once; after a relist (410 Expired),
      // client-node reports the differences it found instead, so intermediate writes may merge.
      const byName = new Map<string, SeenEvent[]>()
      for (const e of seen) byName.set(e.name, [...byName.get(e.name) ?? [], e])
      for (const [n, es] of byName) {
        const types = es.map((e) => e.type).join(',')
        expect(types, n).toMatch(/^add(,update)*(,delete)?$/)
        const rvs = es.map((e) => e.rv)
        expect(rvs, n).toEqual([...rvs].sort((x, y) => x - y))
        expect(new Set(rvs).size, n).toBe(rvs.length)
      }
      if (inf.lists === 1) {
        expectEachWriteOnce(seen, w.writes)
        const rvs = seen.map((e) => e.rv)
        expect(rvs).toEqual([...rvs].sort((x, y) => x - y))
      }
      expect(inf.errors).toBeGreaterThan(0) // the connection did break
    } finally {
      await inf.stop()
    }
    // The restarted agent's watch history begins where its replica was saved: a watch from an
    // older resourceVersion gets the 410 Expired ERROR event that sends informers to relist.
    const old = await startWatch(watchKc, `/api/v1/namespaces/${namespace}/configmaps`, { resourceVersion: '1' })
    try {
      await waitFor('the watch from resourceVersion 1 to end', async () => await Promise.race([old.ended.then(() => true), new Promise<false>((resolve) => setTimeout(() => { resolve(false) }, 100))]), { timeoutMs: 10_000 })
      expect(old.events).toMatchObject([{ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } }])
    } finally {
      old.abort()
    }
    await c.waitForAgreement('3 healthy voters again', healthyTrio, 60_000)
  }, 240_000)

  test('an informer away while its agent restarted comes back: it relists on 410 Expired (or resumes), reports each change once and adds nothing twice', async () => {
    const { name: watched } = await follower()
    const writer = NAMES.find((n) => n !== watched) as string
    const namespace = 'default'
    const path = `/api/v1/namespaces/${namespace}/configmaps`
    const watchKc = kubeConfigOf(c.agent(watched))
    const core = kubeConfigOf(c.agent(writer)).makeApiClient(CoreV1Api)
    const names = ['away-same', 'away-changed', 'away-deleted']
    for (const n of names) await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: n }, data: { v: '1' } } })
    const inf = new RecordedInformer(watchKc, namespace)
    await inf.start()
    try {
      await waitFor('the informer to hold the away-* objects', () => names.every((n) => inf.cache().has(n)), { timeoutMs: 10_000 })
      await inf.stop()
      const resumeFrom = inf.resourceVersion()
      // A write elsewhere that the agent has applied, so that the replica it saves is newer
      // than the informer's resourceVersion.
      await core.createNamespace({ body: { metadata: { name: 'away-marker' } } })
      await waitFor('the marker on the agent of the informer', async () => await kubeConfigOf(c.agent(watched)).makeApiClient(CoreV1Api).readNamespace({ name: 'away-marker' }), { timeoutMs: 10_000 })
      await c.kill(watched)
      await core.patchNamespacedConfigMap({ name: 'away-changed', namespace, body: { data: { v: '2' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))
      await core.deleteNamespacedConfigMap({ name: 'away-deleted', namespace })
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'away-new' } } })
      await c.restart(watched)

      // Which way the informer will come back: the agent's history starts where its replica was saved.
      const probe = await startWatch(watchKc, path, { resourceVersion: resumeFrom })
      let expired: boolean
      try {
        await waitFor('the first event of a watch from the resourceVersion of the informer', () => probe.events.length > 0, { timeoutMs: 15_000 })
        expired = probe.events[0]?.type === 'ERROR'
        if (expired) expect(probe.events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } })
      } finally {
        probe.abort()
      }

      const mark = inf.events.length
      await inf.start()
      const truth = await serverState(watchKc, namespace)
      await waitFor('the informer cache to equal the server\'s list', () => sameMap(inf.cache(), truth), { timeoutMs: 20_000, lastSeen: () => ({ cache: [...inf.cache()], truth: [...truth] }) })
      const after = inf.events.slice(mark)
      console.log(`[client-node] informer away across the restart of ${watched} came back by ${expired ? 'a relist after 410 Expired' : 'resuming its watch'}; lists ${inf.lists}`)
      // Either way, what a user relies on: each change once, and no object it already held added again.
      expect(after.map((e) => `${e.type} ${e.name}`).sort()).toEqual(['add away-new', 'delete away-deleted', 'update away-changed'])
      expect(inf.lists).toBe(expired ? 2 : 1)
    } finally {
      await inf.stop()
    }
    await core.deleteNamespace({ name: 'away-marker' })
    await c.waitForAgreement('3 healthy voters again', healthyTrio, 60_000)
  }, 240_000)
})
