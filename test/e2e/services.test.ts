// Services end to end (issue 5, "Proof") with real agents and real Docker containers, each
// agent on its own loopback address (--node-ip): a 3-replica web Deployment behind a NodePort
// Service answers at every agent's node port from all three pods, at its cluster IP from this
// machine and from inside a pod, and by name through the cluster DNS; an Ingress on every
// agent routes two hosts to two Services; Endpoints follow readiness; while a client sends
// requests in a loop, a pod is deleted and then an agent's machine dies (kill -9, its
// containers removed): the failures are counted, and none happen once the Endpoints no longer
// list the lost pods.

import { execFile } from 'node:child_process'
import { request } from 'node:http'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, test } from 'vitest'
import { dockerProblem } from '../../src/cli/docker-check.ts'
import { e2eClusters, waitFor, type TestCluster } from './cluster-harness.ts'

const run = promisify(execFile)
const IMAGE = 'flotilla/busybox:test'
const NAMES = ['sa', 'sb', 'sc']
/** Every agent serves Ingress on this port of its own address. */
const INGRESS_PORT = 18080
const clusters = e2eClusters()

interface Pod {
  metadata: { name: string, deletionTimestamp?: string }
  spec: { nodeName?: string }
  status?: { podIP?: string, conditions?: Array<{ type: string, status: string }>, containerStatuses?: Array<{ containerID?: string }> }
}
interface Endpoints { subsets?: Array<{ addresses?: Array<{ ip: string, nodeName?: string }>, notReadyAddresses?: Array<{ ip: string }> }> }

const webDeployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [{
          name: 'httpd',
          image: IMAGE,
          command: ['sh', '-c', 'mkdir -p /tmp/www && hostname > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www'],
          ports: [{ containerPort: 8080, name: 'http' }],
          readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1 }
        }]
      }
    }
  }
}

/** A 1-replica Deployment `name` (label app=name) like web, its container changed by `container`. */
function oneReplicaOf (name: string, container: Record<string, unknown>): typeof webDeployment {
  const d = structuredClone(webDeployment)
  d.metadata.name = name
  d.spec.replicas = 1
  d.spec.selector.matchLabels.app = name
  d.spec.template.metadata.labels.app = name
  Object.assign(d.spec.template.spec.containers[0] as Record<string, unknown>, container)
  return d
}

const webService = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web' },
  spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] }
}

/** One GET on a new connection; the body, or an error string starting with "error". */
async function get (host: string, port: number, timeoutMs = 3000, headers: Record<string, string> = {}): Promise<string> {
  return await new Promise((resolve) => {
    const req = request({ host, port, path: '/', agent: false, timeout: timeoutMs, headers }, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => { body += d.toString() })
      res.on('end', () => { resolve(res.statusCode === 200 ? body.trim() : `error HTTP ${String(res.statusCode)}`) })
      res.on('error', (err) => { resolve(`error ${err.message}`) })
    })
    req.on('timeout', () => { req.destroy(new Error('timeout')) })
    req.on('error', (err) => { resolve(`error ${err.message}`) })
    req.end()
  })
}

const ready = (p: Pod): boolean => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true

async function webPods (c: TestCluster, via: string): Promise<Pod[]> {
  const r = await c.api(via).request('GET', '/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')
  return ((r.body as { items?: Pod[] }).items ?? []).filter((p) => p.metadata.deletionTimestamp === undefined)
}

async function readyAddresses (c: TestCluster, via: string): Promise<Array<{ ip: string, nodeName?: string }>> {
  const r = await c.api(via).request('GET', '/api/v1/namespaces/default/endpoints/web')
  if (r.status !== 200) return []
  return ((r.body as Endpoints).subsets ?? []).flatMap((s) => s.addresses ?? [])
}

describe('Services on Docker', () => {
  let c: TestCluster
  let nodePort = 0
  let clusterIP = ''
  beforeAll(async () => {
    const problem = await dockerProblem()
    if (problem !== null) throw new Error(`these tests run real containers and need a Docker Engine (${problem}): run bash examples/setup-docker.sh`)
    c = await clusters.createShared('services', { runtime: 'docker', nodeIps: true, agentArgs: ['--ingress-port', String(INGRESS_PORT)] })
    await c.form(NAMES)
    await waitFor('3 Ready nodes', async () => {
      const r = await c.api('sa').request('GET', '/api/v1/nodes')
      const nodes = (r.body as { items?: Array<{ status?: { conditions?: Array<{ type: string, status: string }> } }> }).items ?? []
      return nodes.filter((n) => n.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') === true).length === 3 ? true : undefined
    }, { timeoutMs: 60_000, intervalMs: 250 })
    expect((await c.api('sb').request('POST', '/apis/apps/v1/namespaces/default/deployments', webDeployment)).status).toBe(201)
    const svc = await c.api('sc').request('POST', '/api/v1/namespaces/default/services', webService)
    expect(svc.status, svc.text).toBe(201)
    const spec = (svc.body as { spec: { clusterIP: string, ports: Array<{ nodePort: number }> } }).spec
    clusterIP = spec.clusterIP
    nodePort = spec.ports[0]?.nodePort ?? 0
    expect(nodePort).toBeGreaterThanOrEqual(30000)
    await waitFor('3 ready endpoints', async () => (await readyAddresses(c, 'sa')).length === 3 ? true : undefined, { timeoutMs: 90_000, intervalMs: 250 })
  }, 240_000)

  test('every agent\'s node port reaches all three pods, and so does the cluster IP from this machine and from a pod', async () => {
    const names = new Set((await webPods(c, 'sa')).map((p) => p.metadata.name))
    expect(names.size).toBe(3)
    for (const name of NAMES) {
      const nodeIp = c.agent(name).nodeIp as string
      const seen = new Set<string>()
      // Each agent's proxy serves its own node address; waiting covers a proxy still syncing.
      await waitFor(`all three pods through ${nodeIp}:${nodePort}`, async () => {
        for (let i = 0; i < 6; i++) seen.add(await get(nodeIp, nodePort))
        return [...names].every((n) => seen.has(n)) ? true : undefined
      }, { timeoutMs: 20_000, intervalMs: 100 })
      expect([...seen].filter((s) => !names.has(s))).toEqual([])
    }
    const fromHost = new Set<string>()
    for (let i = 0; i < 9; i++) fromHost.add(await get(clusterIP, 80))
    expect([...fromHost].sort()).toEqual([...names].sort())

    const client = (await webPods(c, 'sa'))[0]
    const id = client?.status?.containerStatuses?.[0]?.containerID?.replace('docker://', '')
    if (id === undefined) throw new Error('no container id for a web pod')
    const { stdout } = await run('docker', ['exec', id, 'wget', '-qO-', `http://${clusterIP}:80/`])
    expect(names.has(stdout.trim())).toBe(true)
  }, 120_000)

  test('a pod reaches the Service by name and by full DNS name through the cluster DNS', async () => {
    const [pod] = await webPods(c, 'sb')
    const id = pod?.status?.containerStatuses?.[0]?.containerID?.replace('docker://', '')
    if (id === undefined) throw new Error('no container id for a web pod')
    const names = new Set((await webPods(c, 'sb')).map((p) => p.metadata.name))
    const resolvConf = (await run('docker', ['exec', id, 'cat', '/etc/resolv.conf'])).stdout
    expect(resolvConf).toContain('search default.svc.cluster.local svc.cluster.local cluster.local')
    expect(resolvConf).toContain('options ndots:5')
    for (const url of ['http://web/', 'http://web.default/', 'http://web.default.svc.cluster.local/']) {
      const { stdout } = await run('docker', ['exec', id, 'wget', '-qO-', url])
      expect(names.has(stdout.trim()), `${url} answered ${stdout}`).toBe(true)
    }
    // A name nobody has: the cluster DNS says NXDOMAIN, and the client says so.
    const missing = await run('docker', ['exec', id, 'wget', '-qO-', 'http://nothing-here/']).then(() => 'resolved', (err: { stderr?: string }) => err.stderr ?? '')
    expect(missing).toMatch(/bad address/)
  }, 60_000)

  test('an Ingress routes two hosts to two Services, on every agent', async () => {
    const api = oneReplicaOf('api', { command: ['sh', '-c', 'mkdir -p /tmp/www && echo "api $(hostname)" > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www'] })
    expect((await c.api('sa').request('POST', '/apis/apps/v1/namespaces/default/deployments', api)).status).toBe(201)
    const apiSvc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api' }, spec: { selector: { app: 'api' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } }
    expect((await c.api('sa').request('POST', '/api/v1/namespaces/default/services', apiSvc)).status).toBe(201)
    const ingress = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'two-hosts' },
      spec: {
        rules: [
          { host: 'web.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } },
          { host: 'api.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'api', port: { name: 'http' } } } }] } }
        ]
      }
    }
    const created = await c.api('sb').request('POST', '/apis/networking.k8s.io/v1/namespaces/default/ingresses', ingress)
    expect(created.status, created.text).toBe(201)
    const webNames = new Set((await webPods(c, 'sa')).map((p) => p.metadata.name))
    for (const name of NAMES) {
      const ip = c.agent(name).nodeIp as string
      await waitFor(`the api Service through ${ip}:${INGRESS_PORT}`, async () => (await get(ip, INGRESS_PORT, 3000, { host: 'api.example.com' })).startsWith('api ') ? true : undefined, { timeoutMs: 60_000, intervalMs: 250 })
      for (let i = 0; i < 3; i++) expect(webNames.has(await get(ip, INGRESS_PORT, 3000, { host: 'web.example.com' }))).toBe(true)
      expect(await get(ip, INGRESS_PORT, 3000, { host: 'nobody.example.com' })).toBe('error HTTP 404')
    }
  }, 120_000)

  test('Endpoints follow a readiness change within a second, both ways', async () => {
    const flip = oneReplicaOf('flip', {
      command: ['sh', '-c', 'echo ok > /tmp/ok && exec sleep 100000'],
      readinessProbe: { exec: { command: ['sh', '-c', 'test -s /tmp/ok'] }, periodSeconds: 1, failureThreshold: 1 }
    })
    expect((await c.api('sa').request('POST', '/apis/apps/v1/namespaces/default/deployments', flip)).status).toBe(201)
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'flip' }, spec: { selector: { app: 'flip' }, ports: [{ port: 80, targetPort: 8080 }] } }
    expect((await c.api('sa').request('POST', '/api/v1/namespaces/default/services', svc)).status).toBe(201)
    const state = async (): Promise<{ podReady: boolean, listedReady: boolean, id: string }> => {
      const r = await c.api('sa').request('GET', '/api/v1/namespaces/default/pods?labelSelector=app%3Dflip')
      const pod = ((r.body as { items?: Pod[] }).items ?? []).find((p) => p.metadata.deletionTimestamp === undefined)
      const ep = await c.api('sa').request('GET', '/api/v1/namespaces/default/endpoints/flip')
      const listed = ep.status === 200 ? ((ep.body as Endpoints).subsets ?? []).flatMap((x) => x.addresses ?? []).length > 0 : false
      return { podReady: pod !== undefined && ready(pod), listedReady: listed, id: pod?.status?.containerStatuses?.[0]?.containerID?.replace('docker://', '') ?? '' }
    }
    const { id } = await waitFor('the flip pod ready and listed', async () => { const s = await state(); return s.podReady && s.listedReady ? s : undefined }, { timeoutMs: 60_000, intervalMs: 100 })
    /** Time from the pod's Ready flipping to the Endpoints following, polled every 20 ms. */
    const follow = async (want: boolean): Promise<number> => {
      const podAt = await waitFor(`pod Ready=${String(want)}`, async () => (await state()).podReady === want ? Date.now() : undefined, { timeoutMs: 30_000, intervalMs: 20 })
      const epAt = await waitFor(`Endpoints to follow (${String(want)})`, async () => (await state()).listedReady === want ? Date.now() : undefined, { timeoutMs: 30_000, intervalMs: 20 })
      return epAt - podAt
    }
    await run('docker', ['exec', id, 'sh', '-c', ': > /tmp/ok'])
    const down = await follow(false)
    await run('docker', ['exec', id, 'sh', '-c', 'echo ok > /tmp/ok'])
    const up = await follow(true)
    console.log(`[e2e] services: Endpoints followed the pod's readiness ${down} ms (not ready) and ${up} ms (ready) after the pod status showed it (20 ms polling)`)
    expect(down).toBeLessThan(1000)
    expect(up).toBeLessThan(1000)
  }, 120_000)

  test('clients in a loop through a surviving agent\'s node port and the cluster IP: a pod deleted, then the machine of the agent serving the cluster IP killed', async () => {
    // The victim is the agent that serves the cluster IP (the first to bind it), so that the
    // second loop shows another agent taking the address over; `through` is another agent.
    const holderPid = /pid=(\d+)/.exec((await run('ss', ['-Hltnp', `src ${clusterIP}:80`])).stdout)?.[1]
    const holder = NAMES.find((n) => String(c.agent(n).pid) === holderPid)
    const leader = await waitFor('a leader', async () => await c.leader('sa'), { timeoutMs: 30_000 })
    const victim = holder ?? NAMES.find((n) => n !== leader) as string
    const through = NAMES.find((n) => n !== victim && n !== leader) ?? NAMES.find((n) => n !== victim) as string
    const host = c.agent(through).nodeIp as string
    type Outcome = { at: number, ms: number, ok: boolean, what: string }
    const outcomes: Outcome[] = []
    const viaClusterIP: Outcome[] = []
    let stop = false
    const clientLoop = async (to: string, port: number, into: Outcome[]): Promise<void> => {
      while (!stop) {
        const t0 = Date.now()
        const what = await get(to, port, 2000)
        into.push({ at: t0, ms: Date.now() - t0, ok: !what.startsWith('error'), what })
      }
    }
    const loop = Promise.all([clientLoop(host, nodePort, outcomes), clientLoop(clusterIP, 80, viaClusterIP)])
    try {
      // 1. Delete a pod: it leaves the Endpoints as it starts terminating; a replacement joins.
      const [doomed] = await webPods(c, through)
      if (doomed === undefined) throw new Error('no web pod')
      expect((await c.api(through).request('DELETE', `/api/v1/namespaces/default/pods/${doomed.metadata.name}`)).status).toBe(200)
      await waitFor('3 ready endpoints without the deleted pod', async () => {
        const a = await readyAddresses(c, through)
        return a.length === 3 && !a.some((x) => x.ip === doomed.status?.podIP) ? true : undefined
      }, { timeoutMs: 60_000, intervalMs: 100 })

      // 2. The victim's machine dies: agent killed, its containers gone.
      const lost = (await webPods(c, through)).filter((p) => p.spec.nodeName === victim)
      await c.kill(victim)
      for (const p of lost) {
        for (const s of p.status?.containerStatuses ?? []) await run('docker', ['rm', '-f', (s.containerID ?? '').replace('docker://', '')]).catch(() => {})
      }
      const killedAt = Date.now()
      await waitFor('the Endpoints to drop the dead machine\'s pods', async () => {
        const a = await readyAddresses(c, through)
        return a.length > 0 && !a.some((x) => x.nodeName === victim) ? true : undefined
      }, { timeoutMs: 60_000, intervalMs: 100 })
      const updatedAt = Date.now()
      await waitFor('3 ready endpoints on the survivors', async () => (await readyAddresses(c, through)).length === 3 ? true : undefined, { timeoutMs: 90_000, intervalMs: 250 })
      const settledAt = Date.now()
      await new Promise((resolve) => setTimeout(resolve, 2000))
      stop = true
      await loop
      const failed = outcomes.filter((o) => !o.ok)
      const errorMs = failed.reduce((sum, o) => sum + o.ms, 0)
      console.log(`[e2e] services: ${outcomes.length} requests, ${failed.length} failed (${errorMs} ms of errors); endpoints dropped the dead machine ${updatedAt - killedAt} ms after the kill, 3 ready again after ${settledAt - killedAt} ms; failures: ${failed.map((f) => f.what).slice(0, 5).join('; ')}`)
      const failedIP = viaClusterIP.filter((o) => !o.ok)
      const windowIP = failedIP.length === 0 ? 0 : Math.max(...failedIP.map((o) => o.at + o.ms)) - Math.min(...failedIP.map((o) => o.at))
      console.log(`[e2e] services: through the cluster IP (served by ${holder ?? 'an unknown agent'}, the victim was ${victim}): ${viaClusterIP.length} requests, ${failedIP.length} failed, over ${windowIP} ms; failures: ${failedIP.map((f) => f.what).slice(0, 3).join('; ')}`)
      expect(outcomes.length).toBeGreaterThan(20)
      expect(viaClusterIP.length).toBeGreaterThan(20)
      // None once the Endpoints were updated, and under a second of errors in all.
      expect(failed.filter((o) => o.at > updatedAt)).toEqual([])
      expect(failedIP.filter((o) => o.at > updatedAt)).toEqual([])
      expect(errorMs).toBeLessThan(1000)
    } finally {
      stop = true
      await loop
      await c.restart(victim)
    }
  }, 240_000)
})
