// Create, get, list, update, delete through the HTTP API against the fake backend: server-side
// fields, URL binding, validation, conflicts, read consistency, status and tables.

import { describe, expect, it } from 'vitest'
import { pod, startApi, until } from './harness.ts'

const PODS = '/api/v1/namespaces/default/pods'

describe('create', () => {
  it('fills server-side fields before proposing and answers 201 with the committed object', async () => {
    const { backend, call } = await startApi()
    const res = await call('POST', PODS, { metadata: { name: 'a', resourceVersion: '99', uid: 'mine' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } })
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'a', namespace: 'default', uid: 'uid-1', creationTimestamp: '2024-01-01T00:00:00Z', generation: 1, resourceVersion: '1' },
      spec: { restartPolicy: 'Always' }
    })
    const proposed = backend.commands[0]
    expect(proposed?.op).toBe('create')
    if (proposed?.op === 'create') {
      expect(proposed.object.metadata.uid).toBe('uid-1')
      expect(proposed.object.metadata.resourceVersion).toBeUndefined()
    }
  })

  it('answers 409 AlreadyExists for a taken name', async () => {
    const { call } = await startApi()
    expect((await call('POST', PODS, pod('a'))).status).toBe(201)
    const res = await call('POST', PODS, pod('a'))
    expect(res.status).toBe(409)
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'AlreadyExists', message: 'pods "a" already exists', details: { name: 'a', kind: 'pods' }, code: 409 })
  })

  it('generates a name from generateName', async () => {
    const { call } = await startApi()
    const res = await call('POST', PODS, { metadata: { generateName: 'web-' }, spec: { containers: [{ name: 'c', image: 'x' }] } })
    expect(res.status).toBe(201)
    expect(res.body.metadata.name).toMatch(/^web-[a-z0-9]{5}$/)
  })

  it('answers 422 naming every invalid field', async () => {
    const { backend, call } = await startApi()
    const res = await call('POST', PODS, pod('x', { spec: { containers: [{ name: 'c' }, { name: 'd', image: '' }] } }))
    expect(res.status).toBe(422)
    expect(res.body).toMatchObject({
      kind: 'Status',
      reason: 'Invalid',
      code: 422,
      message: 'Pod "x" is invalid: [spec.containers[0].image: Required value, spec.containers[1].image: Required value]',
      details: { name: 'x', kind: 'Pod', causes: [{ field: 'spec.containers[0].image', message: 'Required value', reason: 'FieldValueInvalid' }, { field: 'spec.containers[1].image' }] }
    })
    const one = await call('POST', PODS, pod('y', { spec: { containers: [{ name: 'c' }] } }))
    expect(one.body.message).toBe('Pod "y" is invalid: spec.containers[0].image: Required value')
    expect(await call('POST', PODS, { metadata: {}, spec: { containers: [{ name: 'c', image: 'x' }] } })).toMatchObject({ status: 422, body: { details: { causes: [{ field: 'metadata.name' }] } } })
    const none = await call('POST', PODS, pod('z', { spec: { containers: [] } }))
    expect(none.body.details.causes).toEqual([{ field: 'spec.containers', message: 'Required value', reason: 'FieldValueRequired' }])
    const dep = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/d/scale', { spec: { replicas: 'x' } })
    expect(dep.body.message).toMatch(/^Scale\.autoscaling "d" is invalid: spec\.replicas: /)
    expect(backend.commands).toHaveLength(0)
  })

  it('refuses a body whose namespace, apiVersion or kind contradicts the URL', async () => {
    const { call } = await startApi()
    const ns = await call('POST', PODS, pod('a', { metadata: { name: 'a', namespace: 'other' } }))
    expect(ns.status).toBe(400)
    expect(ns.body.message).toMatch(/namespace/)
    expect((await call('POST', PODS, pod('a', { apiVersion: 'apps/v1' }))).status).toBe(400)
    expect((await call('POST', PODS, pod('a', { kind: 'Service' }))).status).toBe(400)
  })

  it('does not write on dryRun=All', async () => {
    const { backend, call } = await startApi()
    const res = await call('POST', `${PODS}?dryRun=All`, pod('a'))
    expect(res.status).toBe(201)
    expect(res.body.metadata.name).toBe('a')
    expect(backend.commands).toHaveLength(0)
  })
})

describe('get and list', () => {
  it('gets one object and answers 404 with the resource named for a missing one', async () => {
    const { call } = await startApi()
    await call('POST', PODS, pod('a'))
    expect((await call('GET', `${PODS}/a`)).body).toMatchObject({ kind: 'Pod', metadata: { name: 'a' } })
    const missing = await call('GET', `${PODS}/nope`)
    expect(missing.status).toBe(404)
    expect(missing.body).toMatchObject({ reason: 'NotFound', message: 'pods "nope" not found', details: { name: 'nope', kind: 'pods' } })
    const dep = await call('GET', '/apis/apps/v1/namespaces/default/deployments/nope')
    expect(dep.body.message).toBe('deployments.apps "nope" not found')
  })

  it('lists one namespace, all namespaces, and by label selector', async () => {
    const { call } = await startApi()
    await call('POST', PODS, pod('a', { metadata: { name: 'a', labels: { app: 'web' } } }))
    await call('POST', PODS, pod('b', { metadata: { name: 'b', labels: { app: 'db' } } }))
    await call('POST', '/api/v1/namespaces/other/pods', pod('c'))
    const list = (await call('GET', PODS)).body
    expect(list).toMatchObject({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '3' } })
    expect(list.items.map((p: any) => p.metadata.name)).toEqual(['a', 'b'])
    expect((await call('GET', '/api/v1/pods')).body.items).toHaveLength(3)
    const web = (await call('GET', `${PODS}?labelSelector=app%3Dweb`)).body
    expect(web.items.map((p: any) => p.metadata.name)).toEqual(['a'])
    const byName = (await call('GET', `/api/v1/pods?fieldSelector=metadata.name%3Dc`)).body
    expect(byName.items.map((p: any) => p.metadata.namespace)).toEqual(['other'])
  })

  it('reads linearizably unless resourceVersion=0 asks for the local replica', async () => {
    const { backend, call } = await startApi()
    await call('GET', PODS)
    await call('GET', `${PODS}/x`)
    expect(backend.linearizeCalls).toBe(2)
    await call('GET', `${PODS}?resourceVersion=0`)
    await call('GET', `${PODS}/x?resourceVersion=0`)
    expect(backend.linearizeCalls).toBe(2)
  })

  it('waits for a given resourceVersion, and gives up with 504 when it never comes', async () => {
    const { store, call } = await startApi({ resourceVersionWaitMs: 200 })
    const pending = call('GET', `${PODS}?resourceVersion=2`)
    await until(() => store.waiting === 1)
    store.bump()
    store.bump()
    expect((await pending).status).toBe(200)
    const tooNew = await call('GET', `${PODS}?resourceVersion=50`)
    expect(tooNew.status).toBe(504)
    expect(tooNew.body.message).toMatch(/Too large resource version/)
    expect((await call('GET', `${PODS}?resourceVersion=abc`)).status).toBe(400)
  })

  it('serves cluster-scoped kinds without a namespace, and /api/v1/namespaces/{name} is the Namespace', async () => {
    const { call } = await startApi()
    const created = await call('POST', '/api/v1/namespaces', { metadata: { name: 'team', namespace: 'ignored' } })
    expect(created.status).toBe(201)
    expect(created.body.metadata.namespace).toBeUndefined()
    expect((await call('GET', '/api/v1/namespaces/team')).body).toMatchObject({ kind: 'Namespace', metadata: { name: 'team' } })
    expect((await call('GET', '/api/v1/namespaces/team/status')).body.kind).toBe('Namespace')
    expect((await call('GET', '/api/v1/namespaces')).body.items).toHaveLength(1)
    expect((await call('GET', '/api/v1/namespaces/team/finalize')).status).toBe(404)
  })

  it('serves named groups under /apis', async () => {
    const { call } = await startApi()
    const res = await call('POST', '/apis/apps/v1/namespaces/default/deployments', { metadata: { name: 'd' }, spec: { replicas: 1 } })
    expect(res.status).toBe(201)
    expect(res.body.apiVersion).toBe('apps/v1')
    expect((await call('GET', '/apis/apps/v1/deployments')).body).toMatchObject({ kind: 'DeploymentList', apiVersion: 'apps/v1', items: [{ metadata: { name: 'd' } }] })
  })

  it('answers kubectl with a Table when asked', async () => {
    const { call } = await startApi()
    await call('POST', PODS, pod('a'))
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json'
    const table = (await call('GET', PODS, undefined, { Accept: accept })).body
    expect(table).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' })
    expect(table.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates'])
    expect(table.rows).toEqual([{ cells: ['a', '0/1', 'Pending', '0', '0s', '<none>', '<none>', '<none>', '<none>'], object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: expect.objectContaining({ name: 'a', namespace: 'default' }) } }])
  })
})

describe('update', () => {
  it('replaces an object, and answers 409 Conflict for a stale resourceVersion', async () => {
    const { call } = await startApi()
    const created = (await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'cm' }, data: { a: '1' } })).body
    const updated = await call('PUT', '/api/v1/namespaces/default/configmaps/cm', { ...created, data: { a: '2' } })
    expect(updated.status).toBe(200)
    expect(updated.body).toMatchObject({ data: { a: '2' }, metadata: { uid: created.metadata.uid, resourceVersion: '2' } })
    const stale = await call('PUT', '/api/v1/namespaces/default/configmaps/cm', { ...created, data: { a: '3' } })
    expect(stale.status).toBe(409)
    expect(stale.body).toMatchObject({ reason: 'Conflict', message: expect.stringMatching(/^Operation cannot be fulfilled on configmaps "cm": /) })
  })

  it('refuses a body that renames the object', async () => {
    const { call } = await startApi()
    await call('POST', PODS, pod('a'))
    expect((await call('PUT', `${PODS}/a`, pod('b'))).status).toBe(400)
  })

  it('answers 404 when the object does not exist', async () => {
    const { call } = await startApi()
    expect((await call('PUT', '/api/v1/namespaces/default/configmaps/nope', { metadata: { name: 'nope' } })).status).toBe(404)
    expect((await call('PUT', `${PODS}/nope`, pod('nope'))).status).toBe(404)
  })

  it('keeps the stored status on a main-resource PUT and changes only status on /status', async () => {
    const { call } = await startApi()
    await call('POST', PODS, pod('a'))
    const withStatus = await call('PUT', `${PODS}/a/status`, pod('a', { status: { phase: 'Running' }, spec: { containers: [{ name: 'c', image: 'changed' }] } }))
    expect(withStatus.status).toBe(200)
    expect(withStatus.body.status).toEqual({ phase: 'Running' })
    expect(withStatus.body.spec.containers[0].image).toBe('nginx')
    const main = await call('PUT', `${PODS}/a`, pod('a', { status: { phase: 'Failed' }, spec: { containers: [{ name: 'c', image: 'v2' }] } }))
    expect(main.status).toBe(200)
    expect(main.body.status).toEqual({ phase: 'Running' })
    expect(main.body.spec.containers[0].image).toBe('v2')
  })
})

describe('delete', () => {
  it('deletes and answers 200 with the deleted object', async () => {
    const { call } = await startApi()
    await call('POST', PODS, pod('a'))
    const res = await call('DELETE', `${PODS}/a`)
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ kind: 'Pod', metadata: { name: 'a' } })
    expect((await call('GET', `${PODS}/a`)).status).toBe(404)
    expect((await call('DELETE', `${PODS}/a`)).status).toBe(404)
  })

  it('answers a Success Status naming the object for kinds other than Pods, and the object while finalizers hold it', async () => {
    const { call } = await startApi()
    const CMS = '/api/v1/namespaces/default/configmaps'
    const created = (await call('POST', CMS, { metadata: { name: 'cm' } })).body
    const res = await call('DELETE', `${CMS}/cm`)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: 'cm', kind: 'configmaps', uid: created.metadata.uid } })
    expect((await call('GET', `${CMS}/cm`)).status).toBe(404)

    const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments'
    await call('POST', DEPLOYS, { metadata: { name: 'web' } })
    expect((await call('DELETE', `${DEPLOYS}/web`)).body).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'web', group: 'apps', kind: 'deployments' } })

    await call('POST', CMS, { metadata: { name: 'held', finalizers: ['example.com/keep'] } })
    const marked = await call('DELETE', `${CMS}/held`)
    expect(marked.body).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'held', deletionTimestamp: '2024-01-01T00:00:00Z' } })
  })

  it('honours DeleteOptions preconditions', async () => {
    const { call } = await startApi()
    const created = (await call('POST', PODS, pod('a'))).body
    const wrong = await call('DELETE', `${PODS}/a`, { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'other' } })
    expect(wrong.status).toBe(409)
    const right = await call('DELETE', `${PODS}/a`, { preconditions: { uid: created.metadata.uid, resourceVersion: created.metadata.resourceVersion } })
    expect(right.status).toBe(200)
  })

  it('marks an object with finalizers instead of removing it', async () => {
    const { backend, call } = await startApi()
    await call('POST', PODS, pod('a', { metadata: { name: 'a', finalizers: ['example.com/keep'] } }))
    const res = await call('DELETE', `${PODS}/a`)
    expect(res.status).toBe(200)
    expect(res.body.metadata.deletionTimestamp).toBe('2024-01-01T00:00:00Z')
    expect((await call('GET', `${PODS}/a`)).body.metadata.deletionTimestamp).toBe('2024-01-01T00:00:00Z')
    expect(backend.commands.at(-1)).toMatchObject({ op: 'delete', deletionTimestamp: '2024-01-01T00:00:00Z' })
  })

  it('deletes a collection by selector', async () => {
    const { call } = await startApi()
    await call('POST', PODS, pod('a', { metadata: { name: 'a', labels: { app: 'web' } } }))
    await call('POST', PODS, pod('b'))
    const res = await call('DELETE', `${PODS}?labelSelector=app%3Dweb`)
    expect(res.status).toBe(200)
    expect(res.body.items.map((p: any) => p.metadata.name)).toEqual(['a'])
    expect((await call('GET', PODS)).body.items.map((p: any) => p.metadata.name)).toEqual(['b'])
  })
})
