// Field selectors through the API name only the fields Kubernetes lets each kind be selected
// by: anything else is the 400 kubectl shows for `get pods --field-selector spec.bogus=1`.

import { describe, expect, it } from 'vitest'
import { checkFieldSelector, selectableFields } from '../../../src/api/field-labels.ts'
import { POD, pod, startApi } from './harness.ts'

const PODS = '/api/v1/namespaces/default/pods'

describe('field selectors through the API', () => {
  it('lists and watches by the fields Kubernetes supports', async () => {
    const { call } = await startApi()
    await call('POST', PODS, pod('a'))
    for (const selector of ['metadata.name=a', 'metadata.namespace=default']) {
      const r = await call('GET', `${PODS}?fieldSelector=${encodeURIComponent(selector)}`)
      expect(r.status, JSON.stringify(r.body)).toBe(200)
      expect(r.body.items.map((p: { metadata: { name: string } }) => p.metadata.name), selector).toEqual(['a'])
    }
    for (const selector of ['spec.nodeName=', 'status.phase!=Running,spec.nodeName=n1', 'status.podIP=10.0.0.1', 'metadata.name=a,status.nominatedNodeName=']) {
      expect(() => { checkFieldSelector(POD, selector) }, selector).not.toThrow()
    }
    // Malformed selectors are for the list to refuse, with its own message.
    expect(() => { checkFieldSelector(POD, 'no-operator') }).not.toThrow()
  })

  it('refuses any other field with 400, for a list, a watch and a delete of the collection', async () => {
    const { call } = await startApi()
    const list = await call('GET', `${PODS}?fieldSelector=${encodeURIComponent('spec.bogus=1')}`)
    expect(list.status).toBe(400)
    expect(list.body).toMatchObject({
      kind: 'Status',
      reason: 'BadRequest',
      message: 'field label not supported: spec.bogus'
    })
    expect((await call('GET', `${PODS}?watch=1&fieldSelector=${encodeURIComponent('metadata.name=a,spec.containers=x')}`)).status).toBe(400)
    expect((await call('DELETE', `${PODS}?fieldSelector=${encodeURIComponent('metadata.labels=x')}`)).status).toBe(400)
    expect((await call('GET', `/api/v1/pods?fieldSelector=${encodeURIComponent('spec.bogus=1')}`)).status).toBe(400)
  })

  it('lets Events be selected by what kubectl describe asks for', () => {
    expect(selectableFields({ group: '', kind: 'Event' })).toEqual(expect.arrayContaining(['involvedObject.kind', 'involvedObject.name', 'involvedObject.namespace', 'involvedObject.uid', 'type', 'reason']))
    expect(selectableFields({ group: 'apps', kind: 'Deployment' })).toEqual(['metadata.name', 'metadata.namespace'])
  })
})
