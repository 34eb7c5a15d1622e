// Node lifecycle with real agent processes (issue 4, "Node lifecycle"): kill -9 a follower; the
// leader, which hears every member with each Raft heartbeat, marks its Node Ready=Unknown with
// the unreachable taint after the grace period (4 s), deletes the pods bound to it after the
// default toleration (3 s) while a pod tolerating longer stays; the agent restarted, its Node
// loses the taint; then `flotilla drain` through a follower empties it. Pods are bound with
// spec.nodeName directly, no scheduler involved. Killing the leader instead, the new leader
// does the same for the old one's node after its own grace window, and to no other node.

import { expect, test } from 'vitest'
import { main } from '../../src/cli/main.ts'
import { e2eClusters, voters, waitFor, type ApiClient, type ClusterStatus, type TestCluster } from './cluster-harness.ts'

const clusters = e2eClusters()

const NAMES = ['a', 'b', 'c']
const UNREACHABLE = 'node.kubernetes.io/unreachable'

interface NodeView {
  spec?: { taints?: Array<{ key: string, effect: string }> }
  status?: { conditions?: Array<{ type: string, status: string, reason?: string }> }
}

async function getNode (api: ApiClient, name: string): Promise<NodeView | undefined> {
  const r = await api.request('GET', `/api/v1/nodes/${name}`)
  return r.status === 200 ? r.body as NodeView : undefined
}

async function podExists (api: ApiClient, name: string): Promise<boolean> {
  const r = await api.request('GET', `/api/v1/namespaces/default/pods/${name}`)
  if (r.status !== 200 && r.status !== 404) throw new Error(`get pod ${name}: HTTP ${r.status} ${r.text.slice(0, 200)}`)
  return r.status === 200
}

async function createPod (api: ApiClient, name: string, nodeName: string, tolerationSeconds?: number): Promise<void> {
  const tolerations = tolerationSeconds === undefined ? [] : [{ key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds }]
  const r = await api.request('POST', '/api/v1/namespaces/default/pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { nodeName, tolerations, containers: [{ name: 'main', image: 'flotilla/busybox:test', command: ['sleep', '3600'] }] }
  })
  if (r.status !== 201) throw new Error(`create pod ${name}: HTTP ${r.status} ${r.text.slice(0, 300)}`)
}

/** Three agents with 3 healthy voters, each Node registered; returns the cluster and its leader. */
async function threeAgents (label: string): Promise<{ c: TestCluster, leader: string }> {
  const c = await clusters.create(label)
  await c.form(NAMES)
  const healthy = (s: ClusterStatus): boolean => voters(s).length === 3 && s.members.every((m) => m.healthy)
  const leader = (await c.waitForAgreement('3 healthy voters', healthy, 45_000)).leader as string
  await waitFor('every agent to have registered its Node', async () => (await Promise.all(NAMES.map(async (n) => await getNode(c.api(leader), n)))).every((n) => n !== undefined), { timeoutMs: 15_000 })
  return { c, leader }
}

const unreachable = (n: NodeView | undefined): boolean => (n?.spec?.taints ?? []).some((t) => t.key === UNREACHABLE && t.effect === 'NoExecute')
const ready = (n: NodeView | undefined): { status: string, reason?: string } | undefined => n?.status?.conditions?.find((c) => c.type === 'Ready')

test('kill -9 a follower: its Node turns Ready=Unknown and tainted, its pods are evicted; back, it loses the taint; drain empties it', async () => {
  const { c, leader } = await threeAgents('node-lifecycle')
  const [victim, other] = NAMES.filter((n) => n !== leader) as [string, string]
  const api = c.api(leader)

  await createPod(api, 'evicted', victim)
  await createPod(api, 'patient', victim, 60)
  await createPod(api, 'elsewhere', other)
  expect(unreachable(await getNode(api, victim))).toBe(false)

  const killedAt = Date.now()
  await c.kill(victim)
  const marked = await waitFor(`${victim}'s Node to turn Ready=Unknown with the unreachable taint`, async () => {
    const n = await getNode(api, victim)
    return ready(n)?.status === 'Unknown' && unreachable(n) ? n : undefined
  }, { timeoutMs: 12_000, intervalMs: 100 })
  const detectedMs = Date.now() - killedAt
  expect(ready(marked)?.reason).toMatch(/^NodeStatus(Unknown|NeverUpdated)$/)

  await waitFor('the pod bound to the dead node to be evicted', async () => !(await podExists(api, 'evicted')), { timeoutMs: 10_000, intervalMs: 100 })
  const evictedMs = Date.now() - killedAt
  console.log(`[node-lifecycle] kill -9 ${victim}: Ready=Unknown + taint after ${detectedMs} ms, pod evicted after ${evictedMs} ms`)
  expect(detectedMs).toBeGreaterThanOrEqual(3500)
  expect(detectedMs).toBeLessThan(8000)
  expect(evictedMs - detectedMs).toBeGreaterThanOrEqual(2000)
  expect(await podExists(api, 'patient')).toBe(true)
  expect(await podExists(api, 'elsewhere')).toBe(true)
  expect(ready(await getNode(api, other))?.status).not.toBe('Unknown')

  await c.restart(victim)
  await waitFor(`${victim}'s Node to lose the unreachable taint`, async () => !unreachable(await getNode(api, victim)), { timeoutMs: 15_000, intervalMs: 100 })
  expect(await podExists(api, 'patient')).toBe(true)

  // Maintenance through a follower: drain cordons the node and deletes what is left on it.
  const drained = await flotilla(['drain', victim, '--force', '--server', c.api(other).baseUrl, '--token', c.apiToken])
  expect(drained).toEqual({ code: 0, out: `node/${victim} cordoned\nevicting pod default/patient\npod/patient evicted\nnode/${victim} drained\n`, err: 'Warning: deleting Pods that declare no controller: default/patient\n' })
  expect((await getNode(api, victim) as { spec?: { unschedulable?: boolean } }).spec?.unschedulable).toBe(true)
  expect(await podExists(api, 'elsewhere')).toBe(true)
  expect((await flotilla(['uncordon', victim, '--server', c.api(other).baseUrl, '--token', c.apiToken])).out).toBe(`node/${victim} uncordoned\n`)
}, 120_000)

test('kill -9 the leader: the new leader marks the old one\'s Node and evicts its pods, and no other node', async () => {
  const { c, leader: old } = await threeAgents('node-lifecycle-failover')
  const survivors = NAMES.filter((n) => n !== old)
  const api = c.api(survivors[0] as string)
  await createPod(api, 'on-old-leader', old)
  for (const n of survivors) await createPod(api, `on-${n}`, n)

  const killedAt = Date.now()
  await c.kill(old)
  const tainted = new Set<string>()
  await waitFor('the old leader\'s pod to be evicted by the new leader', async () => {
    for (const n of NAMES) if (unreachable(await getNode(api, n))) tainted.add(n)
    return !(await podExists(api, 'on-old-leader'))
  }, { timeoutMs: 15_000, intervalMs: 100 })
  const evictedMs = Date.now() - killedAt
  console.log(`[node-lifecycle] kill -9 leader ${old}: its pod evicted by the new leader after ${evictedMs} ms`)
  // The new leader's grace window (4 s from gaining leadership) and the toleration (3 s).
  expect(evictedMs).toBeGreaterThanOrEqual(6500)
  expect([...tainted]).toEqual([old])
  for (const n of survivors) expect(await podExists(api, `on-${n}`)).toBe(true)
}, 120_000)

/** The CLI in-process, as a user would run it against an agent. */
async function flotilla (argv: string[]): Promise<{ code: number, out: string, err: string }> {
  let out = ''
  let err = ''
  const code = await main(argv, { stdout: { write: (s: string) => { out += s } }, stderr: { write: (s: string) => { err += s } }, env: {} })
  return { code, out, err }
}
