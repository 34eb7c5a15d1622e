// pods/NAME/eviction as `kubectl drain` uses it: listed in discovery with policy/v1 Eviction
// (kubectl evicts only then), a POST deletes the pod and answers 201 Success, an Eviction of a
// missing pod is NotFound, a mismatched name or a failed precondition is refused.

import { describe, expect, it } from 'vitest'
import { POD, startApi, KINDS, pod } from './harness.ts'

const PODS = '/api/v1/namespaces/default/pods'
const kinds = KINDS.map((k) => k === POD ? { ...POD, subresources: ['status', 'eviction'] } : k)
const eviction = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' }, ...extra })

describe('pods/eviction', () => {
  it('is in discovery as kubectl drain looks for it', async () => {
    const { call } = await startApi({ kinds })
    const v1 = (await call('GET', '/api/v1')).body as { resources: Array<Record<string, unknown>> }
    expect(v1.resources.find((r) => r.name === 'pods/eviction')).toMatchObject({ kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] })
  })

  it('deletes the pod and answers 201 Success; NotFound, a wrong name and a stale uid are refused', async () => {
    const { call } = await startApi({ kinds })
    const created = await call('POST', PODS, pod('a'))
    await call('POST', PODS, pod('b'))
    const stale = await call('POST', `${PODS}/a/eviction`, eviction('a', { deleteOptions: { preconditions: { uid: 'not-its-uid' } } }))
    expect(stale.status).toBe(409)
    const ok = await call('POST', `${PODS}/a/eviction`, eviction('a', { deleteOptions: { preconditions: { uid: created.body.metadata.uid } } }))
    expect(ok.status).toBe(201)
    expect(ok.body).toMatchObject({ kind: 'Status', status: 'Success', code: 201 })
    expect((await call('GET', `${PODS}/a`)).status).toBe(404)
    const missing = await call('POST', `${PODS}/nope/eviction`, eviction('nope'))
    expect(missing.status).toBe(404)
    expect(missing.body).toMatchObject({ reason: 'NotFound', message: 'pods "nope" not found' })
    expect((await call('POST', `${PODS}/b/eviction`, eviction('a'))).status).toBe(400)
    expect((await call('GET', `${PODS}/b/eviction`)).status).toBe(405)
    expect((await call('GET', `${PODS}/b`)).status).toBe(200)
  })
})
