// ObjectStore.apply semantics: create / update / status / delete / batch, resourceVersion as
// the entry index, error reasons and messages as the Kubernetes API server words them.

import { beforeEach, describe, expect, it } from 'vitest'
import { bootstrapCommands } from '../../../src/store/bootstrap.ts'
import { decodeCommand, encodeCommand, ObjectStore, RECENT_RESULTS } from '../../../src/store/object-store.ts'
import type { KObject } from '../../../src/store/types.ts'
import { configMap, copy, entry, Feeder, namespace, pod } from './helpers.ts'

const podRef = (name: string, ns = 'default'): { group: string, kind: string, namespace: string, name: string } => ({ group: '', kind: 'Pod', namespace: ns, name })

describe('ObjectStore apply', () => {
  let store: ObjectStore
  let feed: Feeder
  beforeEach(async () => {
    store = new ObjectStore()
    feed = new Feeder(store)
    await feed.create(namespace('default'))
  })

  it('round-trips commands through msgpack', () => {
    const cmd = { op: 'create' as const, object: pod('a') }
    expect(decodeCommand(encodeCommand(cmd))).toEqual(cmd)
    expect(decodeCommand(new Uint8Array())).toBeNull()
    expect(decodeCommand(Uint8Array.of(0xc1))).toBeNull()
  })

  it('creates with resourceVersion = entry index and generation 1', async () => {
    const [r] = await store.apply([entry(7, { op: 'create', object: pod('web') })])
    expect(r).toMatchObject({ ok: true, object: { metadata: { name: 'web', resourceVersion: '7', generation: 1, uid: 'uid-default-web' } } })
    expect(store.appliedIndex).toBe(7)
    expect(store.get(podRef('web'))?.metadata.resourceVersion).toBe('7')
  })

  it('remembers the results of the last RECENT_RESULTS applied entries by index', async () => {
    const [created] = await store.apply([entry(7, { op: 'create', object: pod('web') })])
    const [failed] = await store.apply([entry(8, { op: 'create', object: pod('web') })])
    expect(store.resultOf(7)).toBe(created)
    expect(store.resultOf(8)).toBe(failed)
    expect(store.resultOf(9)).toBeUndefined()
    // Far later entries take its slot: an old index is forgotten, not confused with a new one.
    await store.apply([entry(7 + RECENT_RESULTS, { op: 'create', object: pod('later') })])
    expect(store.resultOf(7)).toBeUndefined()
    expect(store.resultOf(7 + RECENT_RESULTS)).toMatchObject({ ok: true, object: { metadata: { name: 'later' } } })
  })

  it('answers 409 AlreadyExists and 404 for a missing namespace', async () => {
    await feed.create(pod('web'))
    expect(await feed.run({ op: 'create', object: pod('web') })).toEqual({ ok: false, error: { code: 409, reason: 'AlreadyExists', message: 'pods "web" already exists' } })
    expect(await feed.run({ op: 'create', object: pod('web', 'nope') })).toEqual({ ok: false, error: { code: 404, reason: 'NotFound', message: 'namespaces "nope" not found' } })
    const deploy: KObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'default' }, spec: {} }
    await feed.create(deploy)
    expect(await feed.run({ op: 'create', object: deploy })).toMatchObject({ error: { message: 'deployments.apps "d" already exists' } })
  })

  it('drops the namespace of cluster-scoped kinds and requires it for namespaced ones', async () => {
    const node: KObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', namespace: 'default' } }
    expect(await feed.ok({ op: 'create', object: node })).toMatchObject({ metadata: { name: 'n1' } })
    expect(store.get({ group: '', kind: 'Node', namespace: '', name: 'n1' })?.metadata.namespace).toBeUndefined()
    const bare = pod('x')
    delete bare.metadata.namespace
    expect(await feed.run({ op: 'create', object: bare })).toMatchObject({ ok: false, error: { code: 422, reason: 'Invalid' } })
  })

  it('updates: keeps uid and creationTimestamp, bumps generation only for spec changes', async () => {
    await feed.create(pod('web'))
    const changed = copy(store.get(podRef('web'))!)
    changed.metadata.labels = { app: 'web' }
    changed.metadata.uid = 'forged'
    changed.metadata.creationTimestamp = '2030-01-01T00:00:00Z'
    const labelled = await feed.ok({ op: 'update', object: changed })
    expect(labelled.metadata).toMatchObject({ labels: { app: 'web' }, uid: 'uid-default-web', creationTimestamp: '2024-01-01T00:00:00Z', generation: 1, resourceVersion: String(store.appliedIndex) })
    const spec = copy(labelled)
    ;(spec.spec as { containers: Array<{ image: string }> }).containers[0]!.image = 'nginx:2'
    expect((await feed.ok({ op: 'update', object: spec })).metadata.generation).toBe(2)
  })

  it('answers 409 Conflict on a stale resourceVersion and 404 on a missing object', async () => {
    await feed.create(pod('web'))
    const stale = copy(store.get(podRef('web'))!)
    await feed.ok({ op: 'update', object: { ...copy(stale), metadata: { ...stale.metadata, labels: { a: 'b' } } } })
    expect(await feed.run({ op: 'update', object: stale })).toEqual({
      ok: false,
      error: { code: 409, reason: 'Conflict', message: 'Operation cannot be fulfilled on pods "web": the object has been modified; please apply your changes to the latest version and try again' }
    })
    expect(await feed.run({ op: 'update', object: pod('ghost') })).toEqual({ ok: false, error: { code: 404, reason: 'NotFound', message: 'pods "ghost" not found' } })
    const noVersion = copy(stale)
    delete noVersion.metadata.resourceVersion
    expect((await feed.run({ op: 'update', object: noVersion })).ok).toBe(true)
  })

  it('writes nothing for an update that changes nothing', async () => {
    await feed.create(pod('web'))
    const before = store.get(podRef('web'))!
    const result = await feed.ok({ op: 'update', object: copy(before) })
    expect(result.metadata.resourceVersion).toBe(before.metadata.resourceVersion)
    expect(store.get(podRef('web'))).toBe(before)
  })

  it('status subresource changes only status; plain updates keep the stored status', async () => {
    await feed.create(pod('web'))
    const obj = copy(store.get(podRef('web'))!)
    obj.status = { phase: 'Running' }
    ;(obj.spec as { nodeName?: string }).nodeName = 'sneaky'
    obj.metadata.labels = { sneaky: 'yes' }
    const after = await feed.ok({ op: 'update', object: obj, subresource: 'status' })
    expect(after.status).toEqual({ phase: 'Running' })
    expect((after.spec as { nodeName?: string }).nodeName).toBeUndefined()
    expect(after.metadata.labels).toBeUndefined()
    expect(after.metadata.generation).toBe(1)

    const plain = copy(after)
    plain.status = { phase: 'Failed' }
    ;(plain.spec as { nodeName?: string }).nodeName = 'agent-1'
    const updated = await feed.ok({ op: 'update', object: plain })
    expect(updated.status).toEqual({ phase: 'Running' })
    expect((updated.spec as { nodeName?: string }).nodeName).toBe('agent-1')
  })

  it('takes status from plain updates of kinds without a status subresource, and 404s their status writes', async () => {
    await feed.create(configMap('cfg', { a: '1' }))
    const cm = copy(store.get({ group: '', kind: 'ConfigMap', namespace: 'default', name: 'cfg' })!)
    cm.data = { a: '2' }
    expect((await feed.ok({ op: 'update', object: cm })).data).toEqual({ a: '2' })
    expect(await feed.run({ op: 'update', object: cm, subresource: 'status' })).toMatchObject({ ok: false, error: { code: 404 } })
  })

  it('deletes, with uid and resourceVersion preconditions', async () => {
    await feed.create(pod('web'))
    const stored = store.get(podRef('web'))!
    expect(await feed.run({ op: 'delete', ref: podRef('web'), preconditions: { uid: 'other' } })).toEqual({
      ok: false, error: { code: 409, reason: 'Conflict', message: 'Precondition failed: UID in precondition: other, UID in object meta: uid-default-web' }
    })
    expect(await feed.run({ op: 'delete', ref: podRef('web'), preconditions: { resourceVersion: '1' } })).toMatchObject({ ok: false, error: { reason: 'Conflict' } })
    const deleted = await feed.ok({ op: 'delete', ref: podRef('web'), preconditions: { uid: stored.metadata.uid!, resourceVersion: stored.metadata.resourceVersion! } })
    expect(deleted.metadata.resourceVersion).toBe(String(store.appliedIndex))
    expect(store.get(podRef('web'))).toBeUndefined()
    expect(await feed.run({ op: 'delete', ref: podRef('web') })).toEqual({ ok: false, error: { code: 404, reason: 'NotFound', message: 'pods "web" not found' } })
  })

  it('only marks objects with finalizers, and removes them when the last finalizer goes', async () => {
    const p = pod('web')
    p.metadata.finalizers = ['example.com/cleanup']
    await feed.create(p)
    const marked = await feed.ok({ op: 'delete', ref: podRef('web'), deletionTimestamp: '2024-01-02T00:00:00Z' })
    expect(marked.metadata).toMatchObject({ deletionTimestamp: '2024-01-02T00:00:00Z', deletionGracePeriodSeconds: 0, generation: 2 })
    expect(store.get(podRef('web'))).toBeDefined()
    // A second delete changes nothing; an update cannot clear the mark.
    expect((await feed.ok({ op: 'delete', ref: podRef('web'), deletionTimestamp: '2024-01-03T00:00:00Z' })).metadata.resourceVersion).toBe(marked.metadata.resourceVersion)
    const unmark = copy(marked)
    delete unmark.metadata.deletionTimestamp
    unmark.metadata.labels = { still: 'here' }
    expect((await feed.ok({ op: 'update', object: unmark })).metadata.deletionTimestamp).toBe('2024-01-02T00:00:00Z')
    const unfinalized = copy(store.get(podRef('web'))!)
    unfinalized.metadata.finalizers = []
    const gone = await feed.ok({ op: 'update', object: unfinalized })
    expect(gone.metadata.resourceVersion).toBe(String(store.appliedIndex))
    expect(store.get(podRef('web'))).toBeUndefined()
  })

  it('deletes gracefully: marked with a grace period, removed by a delete with grace 0', async () => {
    await feed.create(pod('web'))
    const marked = await feed.ok({ op: 'delete', ref: podRef('web'), deletionTimestamp: '2024-01-02T00:00:30Z', gracePeriodSeconds: 30 })
    expect(marked.metadata).toMatchObject({ deletionTimestamp: '2024-01-02T00:00:30Z', deletionGracePeriodSeconds: 30 })
    const status = copy(marked)
    status.status = { phase: 'Succeeded' }
    await feed.ok({ op: 'update', object: status, subresource: 'status' })
    expect(store.get(podRef('web'))).toBeDefined()
    const shorter = await feed.ok({ op: 'delete', ref: podRef('web'), deletionTimestamp: '2024-01-02T00:00:05Z', gracePeriodSeconds: 5 })
    expect(shorter.metadata).toMatchObject({ deletionTimestamp: '2024-01-02T00:00:05Z', deletionGracePeriodSeconds: 5, generation: 2 })
    await feed.ok({ op: 'delete', ref: podRef('web'), deletionTimestamp: '2024-01-02T00:00:01Z', gracePeriodSeconds: 0 })
    expect(store.get(podRef('web'))).toBeUndefined()
  })

  it('applies batches command by command, all at one resourceVersion', async () => {
    const [r] = await store.apply([entry(10, { op: 'batch', commands: [{ op: 'create', object: pod('a') }, { op: 'create', object: pod('a') }, { op: 'create', object: pod('b') }] })])
    expect(r).toMatchObject({ ok: true, results: [{ ok: true }, { ok: false, error: { reason: 'AlreadyExists' } }, { ok: true }] })
    expect(store.list('', 'Pod', 'default').items.map((p) => [p.metadata.name, p.metadata.resourceVersion])).toEqual([['a', '10'], ['b', '10']])
  })

  it('answers Invalid for entries that are not commands, and skips entries already applied', async () => {
    const results = await store.apply([{ term: 1, index: 5, data: Uint8Array.of(1, 2, 3) }, entry(6, { op: 'create', object: pod('x') })])
    expect(results[0]).toMatchObject({ ok: false, error: { code: 422, reason: 'Invalid' } })
    expect(results[1]).toMatchObject({ ok: true })
    const [again] = await store.apply([entry(6, { op: 'delete', ref: podRef('x') })])
    expect(again).toMatchObject({ ok: false, error: { reason: 'Conflict' } })
    expect(store.get(podRef('x'))).toBeDefined()
  })

  it('hands out frozen objects', async () => {
    await feed.create(pod('web'))
    const p = store.get(podRef('web'))!
    expect(() => { p.metadata.name = 'x' }).toThrow(TypeError)
    expect(() => { (p.spec as { containers: unknown[] }).containers.push({}) }).toThrow(TypeError)
  })

  it('lists sorted by namespace and name, with selectors, at the applied index', async () => {
    await feed.create(namespace('a-team'))
    await feed.create(pod('zeta', 'default', { labels: { app: 'web' }, phase: 'Running' }), pod('alpha', 'default', { labels: { app: 'db' } }), pod('mid', 'a-team', { labels: { app: 'web' }, nodeName: 'n1' }))
    const all = store.list('', 'Pod', undefined)
    expect(all.items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(['a-team/mid', 'default/alpha', 'default/zeta'])
    expect(all.resourceVersion).toBe(String(store.appliedIndex))
    expect(store.list('', 'Pod', 'default').items.map((p) => p.metadata.name)).toEqual(['alpha', 'zeta'])
    expect(store.list('', 'Pod', '', { labelSelector: 'app=web' }).items.map((p) => p.metadata.name)).toEqual(['mid', 'zeta'])
    expect(store.list('', 'Pod', '', { fieldSelector: 'spec.nodeName=' }).items.map((p) => p.metadata.name)).toEqual(['alpha', 'zeta'])
    expect(store.list('', 'Pod', '', { labelSelector: 'app=web', fieldSelector: 'status.phase=Running' }).items.map((p) => p.metadata.name)).toEqual(['zeta'])
    expect(() => store.list('', 'Pod', '', { labelSelector: 'app in' })).toThrow(/Invalid label selector/)
  })

  it('deletes a Namespace without touching its contents', async () => {
    await feed.create(pod('web'))
    await feed.ok({ op: 'delete', ref: { group: '', kind: 'Namespace', namespace: '', name: 'default' } })
    expect(store.get(podRef('web'))).toBeDefined()
  })

  it('waits for an index', async () => {
    const reached = store.waitForIndex(store.appliedIndex + 2)
    let done = false
    void reached.then(() => { done = true })
    await feed.create(pod('a'))
    await Promise.resolve()
    expect(done).toBe(false)
    await feed.create(pod('b'))
    await reached
    const ac = new AbortController()
    const aborted = store.waitForIndex(1000, ac.signal)
    ac.abort(new Error('gave up'))
    await expect(aborted).rejects.toThrow('gave up')
  })

  it('bootstraps the standard namespaces', async () => {
    const fresh = new ObjectStore()
    const commands = bootstrapCommands('2024-01-01T00:00:00Z', (name) => `uid-${name}`)
    await fresh.apply([entry(1, { op: 'batch', commands })])
    expect(fresh.list('', 'Namespace', undefined).items.map((n) => n.metadata.name)).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system'])
    expect(fresh.get({ group: '', kind: 'Namespace', namespace: '', name: 'kube-system' })).toMatchObject({ metadata: { uid: 'uid-kube-system', resourceVersion: '1' }, status: { phase: 'Active' } })
  })
})
