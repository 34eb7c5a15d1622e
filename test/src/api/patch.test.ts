// PATCH: the RFC 7386 and RFC 6902 appliers on their own (examples from the RFCs), then merge
// and JSON patches through the API, conflict retries, status and scale subresources.

import { describe, expect, it } from 'vitest'
import { applyJsonPatch, applyMergePatch, parseJsonPatch } from '../../../src/api/patch.ts'
import { ApiError } from '../../../src/api/status.ts'
import { pod, startApi } from './harness.ts'

const PODS = '/api/v1/namespaces/default/pods'
const MERGE = { 'Content-Type': 'application/merge-patch+json' }
const JSON_PATCH = { 'Content-Type': 'application/json-patch+json' }

describe('JSON Merge Patch (RFC 7386)', () => {
  it('follows the examples of Appendix A', () => {
    const cases: Array<[unknown, unknown, unknown]> = [
      [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
      [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
      [{ a: 'b' }, { a: null }, {}],
      [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
      [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
      [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
      [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
      [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
      [['a', 'b'], ['c', 'd'], ['c', 'd']],
      [{ a: 'b' }, ['c'], ['c']],
      [{ e: null }, { a: 1 }, { e: null, a: 1 }],
      [[1, 2], { a: 'b', c: null }, { a: 'b' }],
      [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }]
    ]
    for (const [target, patch, want] of cases) expect(applyMergePatch(target, patch)).toEqual(want)
  })

  it('does not modify its input and treats __proto__ as a plain key', () => {
    const target = { a: { b: 1 } }
    applyMergePatch(target, { a: { b: 2 } })
    expect(target).toEqual({ a: { b: 1 } })
    const out = applyMergePatch({}, JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
  })
})

describe('JSON Patch (RFC 6902)', () => {
  const apply = (doc: unknown, ops: unknown): unknown => applyJsonPatch(doc, parseJsonPatch(ops))

  it('follows the examples of Appendix A', () => {
    expect(apply({ foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }])).toEqual({ foo: 'bar', baz: 'qux' })
    expect(apply({ foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }])).toEqual({ foo: ['bar', 'qux', 'baz'] })
    expect(apply({ baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }])).toEqual({ foo: 'bar' })
    expect(apply({ foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }])).toEqual({ foo: ['bar', 'baz'] })
    expect(apply({ baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }])).toEqual({ baz: 'boo', foo: 'bar' })
    expect(apply({ foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } }, [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }]))
      .toEqual({ foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } })
    expect(apply({ foo: ['all', 'grass', 'cows', 'eat'] }, [{ op: 'move', from: '/foo/1', path: '/foo/3' }])).toEqual({ foo: ['all', 'cows', 'eat', 'grass'] })
    expect(apply({ baz: 'qux', foo: ['a', 2, 'c'] }, [{ op: 'test', path: '/baz', value: 'qux' }, { op: 'test', path: '/foo/1', value: 2 }])).toEqual({ baz: 'qux', foo: ['a', 2, 'c'] })
    expect(apply({ foo: 'bar' }, [{ op: 'add', path: '/child', value: { grandchild: {} } }])).toEqual({ foo: 'bar', child: { grandchild: {} } })
    expect(apply({ foo: ['bar'] }, [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }])).toEqual({ foo: ['bar', ['abc', 'def']] })
    expect(apply({ '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: 10 }, { op: 'copy', from: '/~1', path: '/x' }])).toEqual({ '/': 9, '~1': 10, x: 9 })
  })

  it('fails as a whole with 422 when an operation does not apply', () => {
    const doc = { baz: 'qux' }
    const bad = [
      [{ op: 'test', path: '/baz', value: 'bar' }],
      [{ op: 'add', path: '/baz/bat', value: 'qux' }],
      [{ op: 'remove', path: '/nope' }],
      [{ op: 'replace', path: '/nope', value: 1 }],
      [{ op: 'add', path: '/a/b', value: 1 }]
    ]
    for (const ops of bad) {
      expect(() => apply(doc, ops)).toThrow(ApiError)
      try { apply(doc, ops) } catch (err) { expect((err as ApiError).code).toBe(422) }
    }
    expect(doc).toEqual({ baz: 'qux' })
  })

  it('rejects malformed patch documents with 400', () => {
    for (const ops of [{}, [{ op: 'frobnicate', path: '/a' }], [{ op: 'add', path: '/a' }], [{ op: 'move', path: '/a' }]]) {
      try {
        parseJsonPatch(ops)
        expect.unreachable()
      } catch (err) {
        expect((err as ApiError).code).toBe(400)
      }
    }
  })
})

describe('PATCH through the API', () => {
  it('applies a merge patch and a JSON patch', async () => {
    const { call } = await startApi()
    await call('POST', PODS, pod('a', { metadata: { name: 'a', labels: { app: 'web', tier: 'x' } } }))
    const merged = await call('PATCH', `${PODS}/a`, JSON.stringify({ metadata: { labels: { tier: null, env: 'prod' } } }), MERGE)
    expect(merged.status).toBe(200)
    expect(merged.body.metadata.labels).toEqual({ app: 'web', env: 'prod' })
    expect(merged.body.metadata.resourceVersion).toBe('2')
    const ops = [{ op: 'replace', path: '/spec/containers/0/image', value: 'nginx:2' }, { op: 'add', path: '/metadata/annotations', value: { a: 'b' } }]
    const patched = await call('PATCH', `${PODS}/a`, JSON.stringify(ops), JSON_PATCH)
    expect(patched.status).toBe(200)
    expect(patched.body.spec.containers[0].image).toBe('nginx:2')
    expect(patched.body.metadata.annotations).toEqual({ a: 'b' })
  })

  it('answers 415 for patch types it does not apply, 404 for a missing object, 422 for an invalid result', async () => {
    const { call } = await startApi()
    await call('POST', PODS, pod('a'))
    const unknownType = await call('PATCH', `${PODS}/a`, '{}', { 'Content-Type': 'application/xml' })
    expect(unknownType.status).toBe(415)
    expect(unknownType.body.reason).toBe('UnsupportedMediaType')
    expect((await call('PATCH', `${PODS}/nope`, '{}', MERGE)).status).toBe(404)
    const invalid = await call('PATCH', `${PODS}/a`, JSON.stringify({ spec: { containers: [{ name: 'c' }] } }), MERGE)
    expect(invalid.status).toBe(422)
    expect(invalid.body.details.causes[0].field).toBe('spec.containers[0].image')
    expect((await call('PATCH', `${PODS}/a`, '{"spec":', MERGE)).status).toBe(400)
    const failedTest = await call('PATCH', `${PODS}/a`, JSON.stringify([{ op: 'test', path: '/metadata/name', value: 'b' }]), JSON_PATCH)
    expect(failedTest.status).toBe(422)
    const rename = await call('PATCH', `${PODS}/a`, JSON.stringify({ metadata: { name: 'b' } }), MERGE)
    expect(rename.status).toBe(400)
  })

  it('retries on Conflict when the patch carries no resourceVersion, and not when it does', async () => {
    const { backend, store, call } = await startApi()
    await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'cm' }, data: { a: '1' } })
    // A concurrent writer sneaks in before the first proposal.
    let sneaked = false
    backend.beforeWrite = cmd => {
      if (sneaked || cmd.op !== 'update') return
      sneaked = true
      const cur = store.get({ group: '', kind: 'ConfigMap', namespace: 'default', name: 'cm' })
      if (cur !== undefined) store.apply({ op: 'update', object: { ...structuredClone(cur), data: { a: '1', other: 'x' } } })
    }
    const res = await call('PATCH', '/api/v1/namespaces/default/configmaps/cm', JSON.stringify({ data: { b: '2' } }), MERGE)
    expect(res.status).toBe(200)
    expect(res.body.data).toEqual({ a: '1', other: 'x', b: '2' })

    sneaked = false
    const own = await call('PATCH', '/api/v1/namespaces/default/configmaps/cm', JSON.stringify({ metadata: { resourceVersion: res.body.metadata.resourceVersion }, data: { c: '3' } }), MERGE)
    expect(own.status).toBe(409)
    expect(own.body.reason).toBe('Conflict')
  })

  it('retries a /status PUT without resourceVersion on Conflict', async () => {
    const { backend, store, call } = await startApi()
    await call('POST', PODS, pod('a'))
    let conflicts = 0
    backend.beforeWrite = cmd => {
      if (conflicts >= 2 || cmd.op !== 'update') return
      conflicts++
      const cur = store.get({ group: '', kind: 'Pod', namespace: 'default', name: 'a' })
      if (cur !== undefined) store.apply({ op: 'update', object: { ...structuredClone(cur), status: { phase: `Pending${conflicts}`, sub: { n: conflicts } } }, subresource: 'status' })
    }
    const res = await call('PUT', `${PODS}/a/status`, pod('a', { status: { phase: 'Running', sub: { n: 0 } } }))
    expect(res.status).toBe(200)
    expect(res.body.status).toEqual({ phase: 'Running', sub: { n: 0 } })
    expect(conflicts).toBe(2)
  })

  it('patches status without touching spec, and keeps status on a main-resource patch', async () => {
    const { call } = await startApi()
    await call('POST', PODS, pod('a'))
    const status = await call('PATCH', `${PODS}/a/status`, JSON.stringify({ status: { phase: 'Running' }, spec: { restartPolicy: 'Never' } }), MERGE)
    expect(status.status).toBe(200)
    expect(status.body.status).toEqual({ phase: 'Running' })
    expect(status.body.spec.restartPolicy).toBe('Always')
    const main = await call('PATCH', `${PODS}/a`, JSON.stringify({ status: { phase: 'Failed' } }), MERGE)
    expect(main.body.status).toEqual({ phase: 'Running' })
  })
})

describe('scale subresource', () => {
  it('reads and changes spec.replicas through an autoscaling/v1 Scale', async () => {
    const { call } = await startApi()
    const path = '/apis/apps/v1/namespaces/default/deployments/d'
    await call('POST', '/apis/apps/v1/namespaces/default/deployments', { metadata: { name: 'd' }, spec: { replicas: 1, selector: { matchLabels: { app: 'd' } } } })
    expect((await call('GET', `${path}/scale`)).body).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 1 }, status: { selector: 'app=d' } })
    const patched = await call('PATCH', `${path}/scale`, JSON.stringify({ spec: { replicas: 3 } }), MERGE)
    expect(patched.status).toBe(200)
    expect(patched.body.spec.replicas).toBe(3)
    expect((await call('GET', path)).body.spec.replicas).toBe(3)
    const put = await call('PUT', `${path}/scale`, { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'd' }, spec: { replicas: 5 } })
    expect(put.body.spec.replicas).toBe(5)
    expect((await call('PUT', `${path}/scale`, { spec: { replicas: -1 } })).status).toBe(422)
  })
})
