// The pod conditions the kubelet reports, in Kubernetes' order: PodReadyToStartContainers
// (the sandbox is up), Initialized, Ready, ContainersReady, PodScheduled.

import { describe, expect, it } from 'vitest'
import { buildPodStatus } from '../../../src/kubelet/pod-status.ts'
import type { Pod } from '../../../src/objects/pod.ts'

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u1' }, spec: { containers: [{ name: 'app', image: 'busybox:1' }] } } as unknown as Pod
const base = { pod, waiting: new Map(), ready: () => false, started: () => false, hostIP: '192.0.2.10', now: '2024-01-01T00:00:00Z' }

describe('pod conditions', () => {
  it('PodReadyToStartContainers is False until the sandbox runs, then True, and comes first', () => {
    const before = buildPodStatus({ ...base, runtime: undefined })
    expect(before.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual(['PodReadyToStartContainers=False', 'Initialized=True', 'Ready=False', 'ContainersReady=False', 'PodScheduled=True'])
    expect(before.conditions?.find((c) => c.type === 'Ready')?.message).toBe('containers with unready status: [app]')
    const up = buildPodStatus({ ...base, runtime: { uid: 'u1', namespace: 'default', name: 'p', sandbox: { id: 's1', ip: '10.88.0.2', running: true }, containers: [] } as never })
    expect(up.conditions?.[0]).toMatchObject({ type: 'PodReadyToStartContainers', status: 'True' })
  })
})
