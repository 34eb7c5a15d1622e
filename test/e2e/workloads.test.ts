// Workloads end to end (issue 4, "Proof") with real agents and real Docker containers: a
// Deployment applied through a follower ends Running, spread over 3 agents; when an agent's
// machine dies (kill -9, its containers removed) its pods come back on the others; a rolling
// update keeps within maxUnavailable; rollback restores the previous template; a crashing
// container goes into CrashLoopBackOff with a growing restart count; a failing readiness probe
// makes a pod NotReady without a restart, a failing liveness probe restarts it.

import { execFile } from 'node:child_process'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, test } from 'vitest'
import { dockerProblem } from '../../src/cli/docker-check.ts'
import { e2eClusters, waitFor, type TestCluster } from './cluster-harness.ts'

const run = promisify(execFile)
const REPO = resolve(import.meta.dirname, '../..')
const BIN = join(REPO, 'bin', 'flotilla.js')
const IMAGE = 'flotilla/busybox:test'

const clusters = e2eClusters()

interface Container { name: string, ready?: boolean, restartCount?: number, containerID?: string, state?: Record<string, { reason?: string } | undefined> }
interface Pod {
  metadata: { name: string, uid: string, labels?: Record<string, string>, deletionTimestamp?: string }
  spec: { nodeName?: string, containers: Array<{ env?: Array<{ name: string, value?: string }> }> }
  status?: { phase?: string, conditions?: Array<{ type: string, status: string }>, containerStatuses?: Container[] }
}

function deployment (name: string, replicas: number, greeting: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{
            name: 'web',
            image: IMAGE,
            command: ['sh', '-c', 'mkdir -p /tmp/www && echo "$GREETING" > /tmp/www/index.html && exec httpd -f -p 80 -h /tmp/www'],
            env: [{ name: 'GREETING', value: greeting }],
            ports: [{ containerPort: 80, name: 'http' }],
            readinessProbe: { httpGet: { path: '/', port: 80 }, periodSeconds: 1 },
            ...extra
          }]
        }
      }
    }
  }
}

const ready = (p: Pod): boolean => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true
const live = (p: Pod): boolean => p.metadata.deletionTimestamp === undefined

async function pods (c: TestCluster, via: string, app: string): Promise<Pod[]> {
  const r = await c.api(via).request('GET', `/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(`app=${app}`)}`)
  if (r.status !== 200) throw new Error(`list pods: HTTP ${r.status} ${r.text.slice(0, 200)}`)
  return (r.body as { items: Pod[] }).items
}

/** The Docker container ids of a pod's running containers, from its status. */
function containerIds (p: Pod): string[] {
  return (p.status?.containerStatuses ?? []).map((s) => s.containerID ?? '').filter((id) => id.startsWith('docker://')).map((id) => id.slice('docker://'.length))
}

async function dockerRunning (id: string): Promise<boolean> {
  try {
    const { stdout } = await run('docker', ['inspect', '-f', '{{.State.Running}}', id])
    return stdout.trim() === 'true'
  } catch {
    return false
  }
}

async function cli (c: TestCluster, via: string, args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [BIN, ...args, '--kubeconfig', join(c.agent(via).dataDir, 'kubeconfig')], { cwd: REPO, timeout: 60_000 })
  return stdout
}

describe('workloads on Docker', () => {
  let c: TestCluster
  let follower: string
  beforeAll(async () => {
    const problem = await dockerProblem()
    if (problem !== null) throw new Error(`these tests run real containers and need a Docker Engine (${problem}): run bash examples/setup-docker.sh`)
    c = await clusters.createShared('workloads', { runtime: 'docker' })
    await c.form(['wa', 'wb', 'wc'])
    const leader = await waitFor('a leader', async () => await c.leader(), { timeoutMs: 30_000 })
    follower = ['wa', 'wb', 'wc'].find((n) => n !== leader) as string
    // Each kubelet posts its Node Ready once its runtime answers.
    await waitFor('3 Ready nodes', async () => {
      const r = await c.api(follower).request('GET', '/api/v1/nodes')
      const nodes = (r.body as { items?: Array<{ status?: { conditions?: Array<{ type: string, status: string }> } }> }).items ?? []
      return nodes.filter((n) => n.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') === true).length === 3 ? true : undefined
    }, { timeoutMs: 60_000, intervalMs: 250 })
  }, 180_000)

  test('a 6-replica Deployment applied through a follower runs in Docker, spread over the 3 agents', async () => {
    const r = await c.api(follower).request('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('web', 6, 'one'))
    expect(r.status, r.text).toBe(201)
    const running = await waitFor('6 ready pods', async () => {
      const ps = (await pods(c, follower, 'web')).filter(live)
      return ps.length === 6 && ps.every(ready) ? ps : undefined
    }, { timeoutMs: 90_000, intervalMs: 500 })
    const perNode = new Map<string, number>()
    for (const p of running) perNode.set(p.spec.nodeName ?? '', (perNode.get(p.spec.nodeName ?? '') ?? 0) + 1)
    expect([...perNode.keys()].sort()).toEqual(['wa', 'wb', 'wc'])
    for (const p of running) {
      const ids = containerIds(p)
      expect(ids.length).toBeGreaterThan(0)
      for (const id of ids) expect(await dockerRunning(id)).toBe(true)
    }
  }, 120_000)

  test('kill -9 an agent and remove its containers: its pods come back on the other agents', async () => {
    const leader = await waitFor('a leader', async () => await c.leader(follower), { timeoutMs: 30_000 })
    const victim = ['wa', 'wb', 'wc'].find((n) => n !== leader) as string
    const survivor = ['wa', 'wb', 'wc'].find((n) => n !== victim) as string
    const before = (await pods(c, survivor, 'web')).filter(live)
    const lost = before.filter((p) => p.spec.nodeName === victim)
    expect(lost.length).toBeGreaterThan(0)
    await c.kill(victim)
    // The machine died: its containers are gone too.
    for (const p of lost) for (const id of containerIds(p)) await run('docker', ['rm', '-f', id]).catch(() => {})
    const started = Date.now()
    const after = await waitFor('6 ready pods on the 2 surviving agents', async () => {
      const ps = (await pods(c, survivor, 'web')).filter(live)
      return ps.length === 6 && ps.every((p) => ready(p) && p.spec.nodeName !== victim) ? ps : undefined
    }, { timeoutMs: 60_000, intervalMs: 250 })
    console.log(`[e2e] pods of the dead agent Ready elsewhere after ${Date.now() - started} ms`)
    for (const p of lost) expect(after.some((q) => q.metadata.uid === p.metadata.uid)).toBe(false)
    await c.restart(victim)
  }, 120_000)

  test('a rolling update never leaves more than maxUnavailable pods unready, and rollback restores the previous template', async () => {
    const path = '/apis/apps/v1/namespaces/default/deployments/web'
    const current = await c.api(follower).request('GET', path)
    const obj = current.body as { spec: { template: { spec: { containers: Array<{ env: Array<{ name: string, value: string }> }> } } } }
    const container = obj.spec.template.spec.containers[0]
    if (container === undefined) throw new Error('no container in the template')
    container.env = [{ name: 'GREETING', value: 'two' }]
    const put = await c.api(follower).request('PUT', path, obj)
    expect(put.status, put.text).toBe(200)
    let fewestReady = 6
    await waitFor('every pod on the new template and ready', async () => {
      const ps = (await pods(c, follower, 'web')).filter(live)
      fewestReady = Math.min(fewestReady, ps.filter(ready).length)
      const updated = ps.filter((p) => p.spec.containers[0]?.env?.some((e) => e.value === 'two') === true)
      return ps.length === 6 && updated.length === 6 && ps.every(ready) ? true : undefined
    }, { timeoutMs: 120_000, intervalMs: 100 })
    expect(fewestReady).toBeGreaterThanOrEqual(5)

    const out = await cli(c, follower, ['rollout', 'undo', 'deployment/web'])
    expect(out).toMatch(/rolled back/)
    await waitFor('every pod back on the first template', async () => {
      const ps = (await pods(c, follower, 'web')).filter(live)
      return ps.length === 6 && ps.every((p) => ready(p) && p.spec.containers[0]?.env?.some((e) => e.value === 'one') === true) ? true : undefined
    }, { timeoutMs: 120_000, intervalMs: 250 })
  }, 300_000)

  test('a crashing container goes into CrashLoopBackOff with a growing restart count', async () => {
    const crash = deployment('crash', 1, 'x', { command: ['sh', '-c', 'exit 3'], readinessProbe: undefined })
    expect((await c.api(follower).request('POST', '/apis/apps/v1/namespaces/default/deployments', crash)).status).toBe(201)
    const seen = await waitFor('CrashLoopBackOff with 2+ restarts', async () => {
      const [p] = (await pods(c, follower, 'crash')).filter(live)
      const s = p?.status?.containerStatuses?.[0]
      return s !== undefined && (s.restartCount ?? 0) >= 2 && s.state?.waiting?.reason === 'CrashLoopBackOff' ? s : undefined
    }, { timeoutMs: 90_000, intervalMs: 250 })
    expect(seen.ready).toBe(false)
  }, 120_000)

  test('a failing readiness probe makes a pod NotReady without a restart; a failing liveness probe restarts it', async () => {
    // Ready while /tmp/ok is not empty; the test empties it through the container's own shell
    // (the image's busybox has no rm).
    const probed = deployment('probed', 1, 'x', {
      command: ['sh', '-c', 'echo ok > /tmp/ok && exec sleep 100000'],
      readinessProbe: { exec: { command: ['sh', '-c', 'test -s /tmp/ok'] }, periodSeconds: 1, failureThreshold: 1 }
    })
    expect((await c.api(follower).request('POST', '/apis/apps/v1/namespaces/default/deployments', probed)).status).toBe(201)
    const pod = await waitFor('the probed pod ready', async () => {
      const [p] = (await pods(c, follower, 'probed')).filter(live)
      return p !== undefined && ready(p) ? p : undefined
    }, { timeoutMs: 60_000, intervalMs: 250 })
    const [id] = containerIds(pod)
    if (id === undefined) throw new Error('no container id in the pod status')
    await run('docker', ['exec', id, 'sh', '-c', ': > /tmp/ok'])
    const notReady = await waitFor('the pod NotReady', async () => {
      const [p] = (await pods(c, follower, 'probed')).filter(live)
      return p !== undefined && !ready(p) ? p : undefined
    }, { timeoutMs: 30_000, intervalMs: 250 })
    expect(notReady.status?.containerStatuses?.[0]?.restartCount ?? 0).toBe(0)

    const dying = deployment('dying', 1, 'x', {
      command: ['sh', '-c', 'echo ok > /tmp/alive && exec sleep 100000'],
      readinessProbe: undefined,
      livenessProbe: { exec: { command: ['sh', '-c', 'test -s /tmp/alive'] }, periodSeconds: 1, failureThreshold: 2 }
    })
    expect((await c.api(follower).request('POST', '/apis/apps/v1/namespaces/default/deployments', dying)).status).toBe(201)
    const alive = await waitFor('the liveness-probed pod running', async () => {
      const [p] = (await pods(c, follower, 'dying')).filter(live)
      return p !== undefined && p.status?.phase === 'Running' && containerIds(p).length > 0 ? p : undefined
    }, { timeoutMs: 60_000, intervalMs: 250 })
    const [aliveId] = containerIds(alive)
    await run('docker', ['exec', aliveId as string, 'sh', '-c', ': > /tmp/alive'])
    await waitFor('a restart after the liveness probe failed', async () => {
      const [p] = (await pods(c, follower, 'dying')).filter(live)
      return (p?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? true : undefined
    }, { timeoutMs: 60_000, intervalMs: 250 })
  }, 180_000)
})
