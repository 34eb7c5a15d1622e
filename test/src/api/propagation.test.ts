// DELETE with DeleteOptions.propagationPolicy (body or query parameter, as kubectl's
// --cascade sends it) against the real object store: Foreground and Orphan put the
// finalizer the garbage collector acts on and mark the object; Background (the default)
// deletes at once; an unknown policy is a 400. `flotilla delete --cascade` sends them. A deleted Namespace turns Terminating and
// creating objects in it is Forbidden.

import { afterEach, describe, expect, it } from 'vitest'
import { createApiServer, type ApiServer } from '../../../src/api/server.ts'
import { KINDS } from '../../../src/objects/kinds.ts'
import { runCliAgainst, type CliOutcome } from '../cli/in-process.ts'
import { StoreBackend } from '../store-backend.ts'

const TOKEN = 't'
const running: ApiServer[] = []
afterEach(async () => { await Promise.all(running.splice(0).map(async (s) => { await s.stop() })) })

interface Started {
  call: (method: string, path: string, body?: unknown) => Promise<{ status: number, body: any }>
  backend: StoreBackend
  url: string
}

async function start (): Promise<Started> {
  const backend = await StoreBackend.open()
  const api = createApiServer({ backend, kinds: KINDS, token: TOKEN, host: '127.0.0.1', port: 0 })
  running.push(api)
  const { port } = await api.start()
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number, body: any }> => {
    const init: RequestInit = { method, headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' } }
    if (body !== undefined) init.body = JSON.stringify(body)
    const res = await fetch(`http://127.0.0.1:${port}${path}`, init)
    return { status: res.status, body: await res.json() }
  }
  return { call, backend, url: `http://127.0.0.1:${port}` }
}

async function cli (url: string, argv: string[]): Promise<CliOutcome> {
  return await runCliAgainst(url, TOKEN, argv)
}

const RS_PATH = '/apis/apps/v1/namespaces/default/replicasets'
const rs = (name: string): unknown => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name },
  spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } }
})

describe('DELETE propagationPolicy', () => {
  it('Foreground in the body: the object is marked with the foregroundDeletion finalizer', async () => {
    const { call } = await start()
    expect((await call('POST', RS_PATH, rs('a'))).status).toBe(201)
    const res = await call('DELETE', `${RS_PATH}/a`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' })
    expect(res.status).toBe(200)
    expect(res.body.metadata.finalizers).toEqual(['foregroundDeletion'])
    expect(res.body.metadata.deletionTimestamp).toBeDefined()
    expect((await call('GET', `${RS_PATH}/a`)).body.metadata.finalizers).toEqual(['foregroundDeletion'])
  })

  it('Orphan as a query parameter (and orphanDependents=true) adds the orphan finalizer', async () => {
    const { call } = await start()
    await call('POST', RS_PATH, rs('a'))
    await call('POST', RS_PATH, rs('b'))
    expect((await call('DELETE', `${RS_PATH}/a?propagationPolicy=Orphan`)).body.metadata.finalizers).toEqual(['orphan'])
    expect((await call('DELETE', `${RS_PATH}/b`, { orphanDependents: true })).body.metadata.finalizers).toEqual(['orphan'])
  })

  it('Background (and no policy) deletes at once; an unknown policy is refused', async () => {
    const { call } = await start()
    await call('POST', RS_PATH, rs('a'))
    await call('POST', RS_PATH, rs('b'))
    expect((await call('DELETE', `${RS_PATH}/a?propagationPolicy=Background`)).status).toBe(200)
    expect((await call('GET', `${RS_PATH}/a`)).status).toBe(404)
    const bad = await call('DELETE', `${RS_PATH}/b`, { propagationPolicy: 'Sideways' })
    expect(bad.status).toBe(400)
    expect(bad.body.message).toContain('Unsupported value: "Sideways"')
    expect((await call('GET', `${RS_PATH}/b`)).status).toBe(200)
    expect((await call('DELETE', `${RS_PATH}/b`)).status).toBe(200)
    expect((await call('GET', `${RS_PATH}/b`)).status).toBe(404)
  })

  it('a failing uid precondition adds no finalizer', async () => {
    const { call } = await start()
    await call('POST', RS_PATH, rs('a'))
    const res = await call('DELETE', `${RS_PATH}/a`, { propagationPolicy: 'Foreground', preconditions: { uid: 'someone-else' } })
    expect(res.status).toBe(409)
    expect((await call('GET', `${RS_PATH}/a`)).body.metadata.finalizers).toBeUndefined()
  })
})

describe('flotilla delete --cascade', () => {
  it('sends the propagation policy kubectl\'s --cascade names', async () => {
    const { call, url } = await start()
    await call('POST', RS_PATH, rs('a'))
    await call('POST', RS_PATH, rs('b'))
    expect(await cli(url, ['delete', 'rs', 'a', '--cascade=orphan'])).toEqual({ code: 0, out: 'replicaset.apps "a" deleted\n', err: '' })
    expect((await call('GET', `${RS_PATH}/a`)).body.metadata.finalizers).toEqual(['orphan'])
    await cli(url, ['delete', 'rs/b', '--cascade', 'foreground'])
    expect((await call('GET', `${RS_PATH}/b`)).body.metadata.finalizers).toEqual(['foregroundDeletion'])
    expect((await cli(url, ['delete', 'rs/b', '--cascade', 'sideways'])).code).toBe(2)
  })
})

describe('deleting a Namespace', () => {
  it('marks it Terminating and refuses new content with 403 Forbidden', async () => {
    const { call } = await start()
    expect((await call('POST', '/api/v1/namespaces', { metadata: { name: 'team' } })).status).toBe(201)
    const del = await call('DELETE', '/api/v1/namespaces/team')
    expect(del.status).toBe(200)
    expect(del.body.status.phase).toBe('Terminating')
    expect(del.body.spec.finalizers).toEqual(['kubernetes'])
    const created = await call('POST', '/api/v1/namespaces/team/configmaps', { metadata: { name: 'cm' } })
    expect(created.status).toBe(403)
    expect(created.body).toMatchObject({ reason: 'Forbidden', message: 'configmaps "cm" is forbidden: unable to create new content in namespace team because it is being terminated' })
    expect(created.body.details.causes[0]).toMatchObject({ reason: 'NamespaceTerminating', field: 'metadata.namespace' })
  })
})
