// Toleration matching as k8s.io/api/core/v1 Toleration.ToleratesTaint, and the eviction delay
// of Kubernetes' taint manager (getMinTolerationTime), with our default for the node taints.

import { describe, expect, it } from 'vitest'
import { evictionDelayMs, evictionTime } from '../../../src/controllers/node-lifecycle-eviction.ts'
import { tolerates } from '../../../src/objects/tolerations.ts'
import type { Taint } from '../../../src/objects/node.ts'
import type { KObject } from '../../../src/store/types.ts'

const unreachable: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }
const gpu: Taint = { key: 'gpu', value: 'a100', effect: 'NoExecute' }

function pod (tolerations?: unknown): KObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [], ...(tolerations === undefined ? {} : { tolerations }) } }
}

describe('tolerates', () => {
  it.each([
    [{ operator: 'Exists' }, gpu, true],
    [{ key: 'gpu', operator: 'Exists' }, gpu, true],
    [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }, gpu, false],
    [{ key: 'gpu', value: 'a100' }, gpu, true],
    [{ key: 'gpu', value: 'a100', operator: 'Equal', effect: 'NoExecute' }, gpu, true],
    [{ key: 'gpu', value: 'v100' }, gpu, false],
    [{ key: 'gpu' }, gpu, false],
    [{ key: 'node.kubernetes.io/unreachable' }, unreachable, true],
    [{ key: 'other', operator: 'Exists' }, gpu, false],
    [{ operator: 'Equal' }, gpu, false],
    [{ key: 'gpu', operator: 'Matches' }, gpu, false],
    ['not a toleration', gpu, false],
    [null, gpu, false]
  ])('%j tolerates %j: %s', (toleration, taint, expected) => {
    expect(tolerates(toleration, taint)).toBe(expected)
  })
})

describe('evictionDelayMs', () => {
  it('uses the default for the node taints and evicts at once for other taints not tolerated', () => {
    expect(evictionDelayMs(pod(), unreachable, 3000)).toBe(3000)
    expect(evictionDelayMs(pod(), gpu, 3000)).toBe(0)
    expect(evictionDelayMs(pod('garbage'), unreachable, 3000)).toBe(3000)
  })

  it('takes the smallest tolerationSeconds of the matching tolerations; none given means forever', () => {
    expect(evictionDelayMs(pod([{ operator: 'Exists', tolerationSeconds: 30 }, { key: unreachable.key, operator: 'Exists', tolerationSeconds: 10 }]), unreachable, 3000)).toBe(10_000)
    expect(evictionDelayMs(pod([{ operator: 'Exists' }, { key: unreachable.key, operator: 'Exists', tolerationSeconds: 10 }]), unreachable, 3000)).toBe(10_000)
    expect(evictionDelayMs(pod([{ key: unreachable.key, operator: 'Exists', tolerationSeconds: -5 }]), unreachable, 3000)).toBe(0)
    expect(evictionDelayMs(pod([{ key: unreachable.key, operator: 'Exists' }]), unreachable, 3000)).toBeUndefined()
  })

  it('evicts at the earliest deadline over all taints, each counted from when it was noticed', () => {
    const p = pod([{ key: 'gpu', operator: 'Exists', tolerationSeconds: 60 }])
    expect(evictionTime(p, [{ taint: unreachable, noticedAt: 1000 }, { taint: gpu, noticedAt: 0 }], 3000)).toBe(4000)
    expect(evictionTime(pod([{ operator: 'Exists' }]), [{ taint: unreachable, noticedAt: 1000 }, { taint: gpu, noticedAt: 0 }], 3000)).toBeUndefined()
  })
})
