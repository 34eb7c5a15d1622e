// The workload controllers in real agents: a Deployment applied through a follower gets its
// ReplicaSet and pods from the leader's controllers; kill -9 the leader and scale the
// Deployment through a survivor — the new leader's controllers bring it to exactly the new
// count (no duplicates from the old leader's work) with one ReplicaSet; deleting the
// Deployment then garbage-collects its ReplicaSet and pods. No kubelet is involved: pods stay
// Pending, which is all the controllers need.

import { expect, test } from 'vitest'
import { delay, e2eClusters, voters, waitFor, type TestCluster } from './cluster-harness.ts'

const clusters = e2eClusters()
const NAMES = ['a', 'b', 'c']
const DEPLOY = '/apis/apps/v1/namespaces/default/deployments'

interface Counts { pods: number, active: number, rss: number }

async function counts (c: TestCluster, via: string): Promise<Counts> {
  const pods = await c.api(via).request('GET', '/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')
  const rss = await c.api(via).request('GET', '/apis/apps/v1/namespaces/default/replicasets')
  const items = ((pods.body as { items?: Array<{ metadata: { deletionTimestamp?: string } }> }).items ?? [])
  return { pods: items.length, active: items.filter((p) => p.metadata.deletionTimestamp === undefined).length, rss: ((rss.body as { items?: unknown[] }).items ?? []).length }
}

/** GET, set spec.replicas, PUT; retried while the cluster has no leader or the object moved on. */
async function scale (c: TestCluster, via: string, replicas: number): Promise<void> {
  let last = ''
  await waitFor(`deployment scaled to ${replicas}`, async () => {
    const got = await c.api(via).request('GET', `${DEPLOY}/web`).catch((err: Error) => { last = err.message; return undefined })
    if (got?.status !== 200) { last = `GET ${got?.status ?? ''} ${got?.text.slice(0, 200) ?? last}`; return false }
    const d = got.body as { spec: { replicas: number } }
    d.spec.replicas = replicas
    const put = await c.api(via).request('PUT', `${DEPLOY}/web`, d).catch((err: Error) => { last = err.message; return undefined })
    if (put?.status !== 200) last = `PUT ${put?.status ?? ''} ${put?.text.slice(0, 200) ?? last}`
    return put?.status === 200
  }, { timeoutMs: 30_000, lastSeen: () => last })
}

test('controllers survive a leader kill without duplicates, and deletion cascades', async () => {
  const c = await clusters.create('controllers')
  await c.form(NAMES)
  const healthy = await c.waitForAgreement('3 healthy voters', (s) => voters(s).length === 3 && s.members.every((m) => m.healthy), 45_000)
  const leader = healthy.leader as string
  const follower = NAMES.find((n) => n !== leader) as string
  const created = await c.api(follower).request('POST', DEPLOY, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { replicas: 20, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'flotilla/busybox:test' }] } } }
  })
  expect(created.status).toBe(201)
  await waitFor('20 pods', async () => (await counts(c, follower)).active === 20, { timeoutMs: 30_000 })

  await c.kill(leader)
  await scale(c, follower, 45)
  const survivor = NAMES.find((n) => n !== leader && n !== follower) as string
  await waitFor('45 pods after the failover', async () => (await counts(c, survivor)).active === 45, { timeoutMs: 30_000 })
  await delay(1500)
  expect(await counts(c, survivor)).toEqual({ pods: 45, active: 45, rss: 1 })

  const deleted = await c.api(survivor).request('DELETE', `${DEPLOY}/web`)
  expect(deleted.status).toBe(200)
  await waitFor('the ReplicaSet and pods collected', async () => {
    const n = await counts(c, follower)
    return n.pods === 0 && n.rss === 0
  }, { timeoutMs: 30_000 })
}, 180_000)
