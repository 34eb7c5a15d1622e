// The scheduler in real agents: the leader's scheduler binds a pod created through a follower
// to a Ready node, explains a pod that fits nowhere, and — after the leader is killed — the new
// leader's scheduler takes over and places that pod once a node with room is added.
// Nodes are Node objects created through the API (Ready, with allocatable), labelled so that
// only they match the pods' nodeSelector, whatever the agents' own Nodes say.

import { beforeAll, describe, expect, test } from 'vitest'
import { e2eClusters, waitFor, type ApiClient, type TestCluster } from './cluster-harness.ts'

const clusters = e2eClusters()
const LABEL = 'e2e.flotilla.io/sched'

interface PodView {
  spec: { nodeName?: string }
  status?: { conditions?: Array<{ type: string, status: string, reason?: string, message?: string }> }
}

async function createNode (api: ApiClient, name: string, cpu: string): Promise<void> {
  const r = await api.request('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { [LABEL]: 'yes' } } })
  expect(r.status).toBe(201)
  const stored = r.body as Record<string, unknown>
  const status = { allocatable: { cpu, memory: '8Gi', pods: '110' }, capacity: { cpu, memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] }
  const s = await api.request('PUT', `/api/v1/nodes/${name}/status`, { ...stored, status })
  expect(s.status).toBe(200)
}

async function createPod (api: ApiClient, name: string, cpu: string): Promise<void> {
  const r = await api.request('POST', '/api/v1/namespaces/default/pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { nodeSelector: { [LABEL]: 'yes' }, containers: [{ name: 'main', image: 'flotilla/busybox:test', command: ['sleep', '3600'], resources: { requests: { cpu } } }] }
  })
  expect(r.status).toBe(201)
}

async function readPod (api: ApiClient, name: string): Promise<PodView> {
  const r = await api.request('GET', `/api/v1/namespaces/default/pods/${name}`)
  if (r.status !== 200) throw new Error(`GET pod ${name}: HTTP ${r.status} ${r.text.slice(0, 200)}`)
  return r.body as PodView
}

describe('scheduler in a 3-agent cluster', () => {
  let c: TestCluster
  beforeAll(async () => {
    c = await clusters.createShared('sched')
    await c.form(['a', 'b', 'c'])
    await c.waitForAgreement('3 voters', (s) => s.members.filter((m) => m.role === 'voter').length === 3, 45_000)
  }, 120_000)

  test('binds through a follower, explains what fits nowhere, and a new leader takes over', async () => {
    const leader = await c.leader()
    const follower = ['a', 'b', 'c'].find((n) => n !== leader) as string
    const api = c.api(follower)
    await createNode(api, 'small-1', '1')
    await createPod(api, 'fits', '500m')
    await createPod(api, 'too-big', '2')
    await waitFor('pod fits bound to small-1', async () => (await readPod(api, 'fits')).spec.nodeName === 'small-1', { timeoutMs: 15_000 })
    await waitFor('pod fits PodScheduled=True', async () => (await readPod(api, 'fits')).status?.conditions?.some((x) => x.type === 'PodScheduled' && x.status === 'True'), { timeoutMs: 15_000 })
    const pending = await waitFor('pod too-big marked unschedulable', async () => {
      const cond = (await readPod(api, 'too-big')).status?.conditions?.find((x) => x.type === 'PodScheduled')
      return cond?.reason === 'Unschedulable' ? cond : undefined
    }, { timeoutMs: 15_000 })
    expect(pending.status).toBe('False')
    // The agents' own Nodes are counted too (not ready, or not matching the selector).
    expect(pending.message).toMatch(/^0\/4 nodes are available: .*1 Insufficient cpu.*\.$/)

    await c.kill(leader as string)
    const survivor = c.api(follower)
    await waitFor('a new leader', async () => {
      const now = await c.leader(follower)
      return now !== undefined && now !== leader ? now : undefined
    }, { timeoutMs: 20_000 })
    await waitFor('a node created after the failover', async () => {
      try { await createNode(survivor, 'big-1', '4'); return true } catch { return false }
    }, { timeoutMs: 20_000 })
    await waitFor('pod too-big bound to big-1 by the new leader', async () => (await readPod(survivor, 'too-big')).spec.nodeName === 'big-1', { timeoutMs: 20_000 })
    expect((await readPod(survivor, 'fits')).spec.nodeName).toBe('small-1')
  }, 120_000)
})
