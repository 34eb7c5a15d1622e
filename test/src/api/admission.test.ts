// What the API does to an object's metadata before storing it, as kube-apiserver does: an
// empty labels or annotations map is no map (`kubectl label x k-` on the last label, or
// `kubectl annotate x k-`, leaves neither `labels: {}` nor `annotations: {}` behind).

import { describe, expect, it } from 'vitest'
import { pod, startApi } from './harness.ts'

const PODS = '/api/v1/namespaces/default/pods'
const MERGE = { 'Content-Type': 'application/merge-patch+json' }

describe('empty metadata maps', () => {
  it('are dropped on create, on PATCH that removes the last key, and on PUT', async () => {
    const { call } = await startApi()
    const created = await call('POST', PODS, pod('a', { metadata: { name: 'a', labels: {}, annotations: {} } }))
    expect(created.status).toBe(201)
    expect(created.body.metadata).not.toHaveProperty('labels')
    expect(created.body.metadata).not.toHaveProperty('annotations')
    await call('PATCH', `${PODS}/a`, JSON.stringify({ metadata: { labels: { tier: 'x' }, annotations: { note: 'hi' } } }), MERGE)
    const removed = await call('PATCH', `${PODS}/a`, JSON.stringify({ metadata: { labels: { tier: null }, annotations: { note: null } } }), MERGE)
    expect(removed.status).toBe(200)
    expect(removed.body.metadata).not.toHaveProperty('labels')
    expect(removed.body.metadata).not.toHaveProperty('annotations')
    const put = await call('PUT', `${PODS}/a`, JSON.stringify({ ...removed.body, metadata: { ...removed.body.metadata, labels: {} } }), { 'Content-Type': 'application/json' })
    expect(put.status).toBe(200)
    expect(put.body.metadata).not.toHaveProperty('labels')
  })
})
