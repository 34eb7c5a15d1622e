// Server-side field validation over HTTP (fake backend), as kubectl drives it with the
// fieldValidation query parameter: Strict refuses unknown fields (in document order) with the
// "strict decoding error" wording, Warn answers with Warning headers, Ignore and no parameter accept.

import { describe, expect, it } from 'vitest'
import { startApi } from './harness.ts'

const CMS = '/api/v1/namespaces/default/configmaps'
const bad = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', labelz: {} }, data: { a: '1' }, bogus: 1 }

describe('fieldValidation', () => {
  it('Strict refuses a create, a PUT, a patch and an apply that set undeclared fields', async () => {
    const { call } = await startApi()
    const refused = await call('POST', `${CMS}?fieldValidation=Strict`, bad)
    expect(refused.status).toBe(400)
    expect(refused.body.message).toBe('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "metadata.labelz", unknown field "bogus"')
    expect((await call('POST', `${CMS}?fieldValidation=Strict`, { ...bad, bogus: undefined, metadata: { name: 'cm' } })).status).toBe(201)
    expect((await call('PUT', `${CMS}/cm?fieldValidation=Strict`, { ...bad, metadata: { name: 'cm' } })).status).toBe(400)
    const patch = await call('PATCH', `${CMS}/cm?fieldValidation=Strict`, JSON.stringify({ datta: { b: '2' } }), { 'Content-Type': 'application/strategic-merge-patch+json' })
    expect(patch.body.message).toContain('unknown field "datta"')
    const apply = await call('PATCH', `${CMS}/cm?fieldManager=m&fieldValidation=Strict`, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\nextra: 1\n', { 'Content-Type': 'application/apply-patch+yaml' })
    expect(apply.status).toBe(400)
    expect((await call('PATCH', `${CMS}/cm?fieldValidation=Bogus`, '{}', { 'Content-Type': 'application/merge-patch+json' })).status).toBe(400)
  })

  it('Warn accepts and warns; Ignore and no parameter accept silently', async () => {
    const { call } = await startApi()
    const warned = await call('POST', `${CMS}?fieldValidation=Warn`, bad)
    expect(warned.status).toBe(201)
    expect(warned.headers.get('warning')).toBe('299 - "unknown field \\"metadata.labelz\\"", 299 - "unknown field \\"bogus\\""')
    const ignored = await call('POST', `${CMS}?fieldValidation=Ignore`, { ...bad, metadata: { name: 'cm2' } })
    expect(ignored.status).toBe(201)
    expect(ignored.headers.get('warning')).toBeNull()
    expect((await call('POST', CMS, { ...bad, metadata: { name: 'cm3' } })).status).toBe(201)
  })
})
