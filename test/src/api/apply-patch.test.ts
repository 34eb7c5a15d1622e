// Server-side apply through the HTTP API (fake backend): PATCH with
// application/apply-patch+yaml creates a missing object (201), applies to an existing one
// (200), answers kubectl's 409 Conflict Status, honours force, and other writes leave Update
// entries in managedFields once an object has them.

import { describe, expect, it } from 'vitest'
import { startApi } from './harness.ts'

const CMS = '/api/v1/namespaces/default/configmaps'
const APPLY = { 'Content-Type': 'application/apply-patch+yaml' }
const MERGE = { 'Content-Type': 'application/merge-patch+json' }

describe('server-side apply over HTTP', () => {
  it('creates, updates, removes what the manager dropped, conflicts and forces', async () => {
    const { call } = await startApi()
    const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  labels:\n    app: web\ndata:\n  a: "1"\n  b: "2"\n'
    const created = await call('PATCH', `${CMS}/cm?fieldManager=kubectl`, yaml, APPLY)
    expect(created.status).toBe(201)
    expect(created.body.data).toEqual({ a: '1', b: '2' })
    expect(created.body.metadata.uid).toBeDefined()
    expect(created.body.metadata.managedFields).toEqual([{
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'v1',
      time: expect.any(String),
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:data': { 'f:a': {}, 'f:b': {} }, 'f:metadata': { 'f:labels': { 'f:app': {} } } }
    }])

    // Another writer adds a key with a merge patch: it owns it (an Update entry).
    const patched = await call('PATCH', `${CMS}/cm?fieldManager=editor`, JSON.stringify({ data: { c: '3' } }), MERGE)
    expect(patched.status).toBe(200)
    expect(patched.body.metadata.managedFields.map((e: any) => [e.manager, e.operation])).toEqual([['kubectl', 'Apply'], ['editor', 'Update']])

    // Apply again without b: b goes, c (the editor's) stays.
    const updated = await call('PATCH', `${CMS}/cm?fieldManager=kubectl`, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', labels: { app: 'web' } }, data: { a: '1' } }), APPLY)
    expect(updated.status).toBe(200)
    expect(updated.body.data).toEqual({ a: '1', c: '3' })

    // Changing the editor's key is a conflict kubectl recognises.
    const conflicting = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: '1', c: 'mine' } }
    const refused = await call('PATCH', `${CMS}/cm?fieldManager=kubectl`, JSON.stringify(conflicting), APPLY)
    expect(refused.status).toBe(409)
    expect(refused.body).toMatchObject({
      kind: 'Status',
      reason: 'Conflict',
      code: 409,
      message: 'Apply failed with 1 conflict: conflict with "editor" using v1: .data.c',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "editor" using v1', field: '.data.c' }] }
    })
    const forced = await call('PATCH', `${CMS}/cm?fieldManager=kubectl&force=true`, JSON.stringify(conflicting), APPLY)
    expect(forced.status).toBe(200)
    expect(forced.body.data).toEqual({ a: '1', c: 'mine' })
    // The editor owned nothing else: its entry is gone; the labels were dropped by the applier.
    expect(forced.body.metadata.managedFields.map((e: any) => e.manager)).toEqual(['kubectl'])
    expect(forced.body.metadata.labels).toBeUndefined()
  })

  it('refuses an apply without fieldManager, a bad force value, and a configuration that is not an object', async () => {
    const { call } = await startApi()
    const body = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n'
    expect((await call('PATCH', `${CMS}/cm`, body, APPLY)).body.message).toMatch(/fieldManager is required/)
    expect((await call('PATCH', `${CMS}/cm?fieldManager=m&force=yes`, body, APPLY)).status).toBe(400)
    expect((await call('PATCH', `${CMS}/cm?fieldManager=m`, '- a\n- b\n', APPLY)).status).toBe(400)
    expect((await call('PATCH', `${CMS}/cm?fieldManager=m`, 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: cm\n', APPLY)).status).toBe(400)
  })

  it('a create that names its fieldManager records it; a later apply that changes its fields conflicts', async () => {
    const { call } = await startApi()
    const created = await call('POST', `${CMS}?fieldManager=kubectl-create`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: '1' } })
    expect(created.body.metadata.managedFields).toEqual([{
      manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {}, 'f:a': {} } }
    }])
    const apply = await call('PATCH', `${CMS}/cm?fieldManager=kubectl`, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: "2"\n', APPLY)
    expect(apply.status).toBe(409)
    expect(apply.body.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-create" using v1: .data.a')
    // Without a fieldManager nothing is recorded.
    expect((await call('POST', CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain' } })).body.metadata.managedFields).toBeUndefined()
  })

  it('takes a resourceVersion in the configuration as a precondition', async () => {
    const { call } = await startApi()
    const created = await call('PATCH', `${CMS}/cm?fieldManager=m`, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: "1"\n', APPLY)
    const rv: string = created.body.metadata.resourceVersion
    const stale = await call('PATCH', `${CMS}/cm?fieldManager=m`, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', resourceVersion: '999' }, data: { a: '2' } }), APPLY)
    expect(stale.status).toBe(409)
    const fresh = await call('PATCH', `${CMS}/cm?fieldManager=m`, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', resourceVersion: rv }, data: { a: '2' } }), APPLY)
    expect(fresh.status).toBe(200)
    expect(fresh.body.data).toEqual({ a: '2' })
  })

  it('dry run answers the object without writing it', async () => {
    const { call, backend } = await startApi()
    const res = await call('PATCH', `${CMS}/cm?fieldManager=m&dryRun=All`, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: "1"\n', APPLY)
    expect(res.status).toBe(201)
    expect(backend.commands).toHaveLength(0)
    expect((await call('GET', `${CMS}/cm`)).status).toBe(404)
  })

  it('a PUT without managedFields keeps the stored entries and records the writer', async () => {
    const { call } = await startApi()
    const created = await call('PATCH', `${CMS}/cm?fieldManager=kubectl`, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: "1"\n', APPLY)
    const { managedFields: _m, ...meta } = created.body.metadata
    const put = await call('PUT', `${CMS}/cm`, { ...created.body, metadata: meta, data: { a: '2' } }, { 'User-Agent': 'replacer/1.0 (linux)' })
    expect(put.status).toBe(200)
    expect(put.body.metadata.managedFields.map((e: any) => [e.manager, e.operation])).toEqual([['replacer', 'Update']])
    expect(put.body.metadata.managedFields[0].fieldsV1).toEqual({ 'f:data': { 'f:a': {} } })
  })
})
