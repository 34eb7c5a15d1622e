// Strategic merge patch as kubectl apply / patch / edit send it: keyed list merges, the
// $patch, $setElementOrder, $deleteFromPrimitiveList and $retainKeys directives
// (semantics from k8s.io/apimachinery/pkg/util/strategicpatch and the Kubernetes docs
// "Update API Objects in Place Using kubectl patch").

import { describe, expect, it } from 'vitest'
import { applyStrategicMergePatch as smp } from '../../../src/api/strategic-merge.ts'
import { ApiError } from '../../../src/api/status.ts'
import { pod, startApi } from './harness.ts'

const podSpec = (containers: unknown[]): Record<string, unknown> => ({ spec: { containers } })

describe('strategic merge patch', () => {
  it('merges containers by name instead of replacing the list (the docs\' patch-file example)', () => {
    const original = podSpec([{ name: 'patch-demo-ctr', image: 'nginx' }])
    const patch = podSpec([{ name: 'patch-demo-ctr-2', image: 'redis' }])
    expect(smp(original, patch)).toEqual(podSpec([{ name: 'patch-demo-ctr', image: 'nginx' }, { name: 'patch-demo-ctr-2', image: 'redis' }]))
    const update = podSpec([{ name: 'patch-demo-ctr', image: 'nginx:2', env: [{ name: 'A', value: '1' }] }])
    expect(smp(original, update)).toEqual(podSpec([{ name: 'patch-demo-ctr', image: 'nginx:2', env: [{ name: 'A', value: '1' }] }]))
  })

  it('replaces lists without a merge key, and merges maps like a merge patch', () => {
    const original = { spec: { containers: [{ name: 'c', args: ['a', 'b'] }], nodeSelector: { a: '1', b: '2' } } }
    const patch = { spec: { containers: [{ name: 'c', args: ['x'] }], nodeSelector: { a: null, c: '3' } } }
    expect(smp(original, patch)).toEqual({ spec: { containers: [{ name: 'c', args: ['x'] }], nodeSelector: { b: '2', c: '3' } } })
  })

  it('deletes list elements with $patch: delete and replaces with $patch: replace', () => {
    const original = podSpec([{ name: 'a', image: '1' }, { name: 'b', image: '1' }])
    expect(smp(original, podSpec([{ name: 'a', $patch: 'delete' }]))).toEqual(podSpec([{ name: 'b', image: '1' }]))
    expect(smp(original, podSpec([{ $patch: 'replace' }, { name: 'c', image: '2' }]))).toEqual(podSpec([{ name: 'c', image: '2' }]))
    expect(smp({ spec: { a: 1, b: 2 } }, { spec: { $patch: 'replace', c: 3 } })).toEqual({ spec: { c: 3 } })
    expect(smp({ spec: { a: 1 }, x: 1 }, { spec: { $patch: 'delete' } })).toEqual({ x: 1 })
  })

  it('orders a merged list by $setElementOrder', () => {
    const original = podSpec([{ name: 'a', image: '1' }, { name: 'b', image: '1' }])
    const patch = { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'c' }, { name: 'a' }], containers: [{ name: 'c', image: '3' }] } }
    expect(smp(original, patch)).toEqual(podSpec([{ name: 'b', image: '1' }, { name: 'c', image: '3' }, { name: 'a', image: '1' }]))
  })

  it('merges finalizers as a set and removes values with $deleteFromPrimitiveList', () => {
    const original = { metadata: { name: 'x', finalizers: ['a', 'b'] } }
    expect(smp(original, { metadata: { finalizers: ['b', 'c'] } })).toEqual({ metadata: { name: 'x', finalizers: ['a', 'b', 'c'] } })
    expect(smp(original, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } })).toEqual({ metadata: { name: 'x', finalizers: ['b'] } })
  })

  it('keeps only $retainKeys (Deployment strategy switching to Recreate)', () => {
    const original = { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } }
    const patch = { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }
    expect(smp(original, patch)).toEqual({ spec: { strategy: { type: 'Recreate' } } })
  })

  it('merges container ports on containerPort and Service ports on port', () => {
    const ctr = podSpec([{ name: 'c', ports: [{ containerPort: 80, name: 'http' }] }])
    expect(smp(ctr, podSpec([{ name: 'c', ports: [{ containerPort: 443 }] }]))).toEqual(podSpec([{ name: 'c', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }] }]))
    const svc = { spec: { ports: [{ port: 80, targetPort: 8080 }] } }
    expect(smp(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] } })).toEqual({ spec: { ports: [{ port: 80, targetPort: 9090 }] } })
  })

  it('does not modify its inputs and leaves no directives behind', () => {
    const original = podSpec([{ name: 'a' }])
    const patch = { spec: { containers: [{ name: 'b', env: [{ name: 'x', $patch: 'delete' }] }], extra: { $patch: 'merge', k: 1 } } }
    const before = JSON.stringify([original, patch])
    const out = smp(original, patch)
    expect(JSON.stringify([original, patch])).toBe(before)
    expect(JSON.stringify(out)).not.toContain('$')
  })

  it('rejects unknown directives with 422 and non-object patches with 400', () => {
    expect(() => smp({}, { $patch: 'frob' })).toThrow(ApiError)
    try { smp({}, []) } catch (err) { expect((err as ApiError).code).toBe(400) }
  })
})

describe('strategic merge patch through the API', () => {
  it('applies the patch kubectl apply sends for a changed image and a new container', async () => {
    const { call } = await startApi()
    await call('POST', '/api/v1/namespaces/default/pods', pod('a', { spec: { containers: [{ name: 'c', image: 'nginx' }, { name: 'side', image: 'busybox' }] } }))
    const patch = {
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
      spec: { '$setElementOrder/containers': [{ name: 'c' }, { name: 'side' }], containers: [{ name: 'c', image: 'nginx:2' }] }
    }
    const res = await call('PATCH', '/api/v1/namespaces/default/pods/a', JSON.stringify(patch), { 'Content-Type': 'application/strategic-merge-patch+json' })
    expect(res.status).toBe(200)
    expect(res.body.spec.containers).toEqual([{ name: 'c', image: 'nginx:2' }, { name: 'side', image: 'busybox' }])
    expect(res.body.metadata.annotations).toEqual({ 'kubectl.kubernetes.io/last-applied-configuration': '{}' })
  })
})
