// What the service-proxy suite measures against, set up and found: on a 3-agent Flotilla
// cluster (Docker, each agent its own --node-ip) a namespace of the run's own with Deployments
// of busybox httpd pods (1 replica with a hostPort on the container, so Docker publishes it;
// 3 replicas without) each behind a NodePort Service; and in a swarm this run created, a service of the same image and command
// published through the routing mesh — or, where the mesh does not answer (no IPVS in the
// kernel: STACK-NOTES), published in host mode, and the report says so. Every target answers
// a GET before it is handed back.

import type { AgentCluster, BenchAgent } from './agents.ts'
import { getOnce, type GetTarget } from './get-load.ts'
import { createServer } from 'node:net'
import { waitUntil } from './processes.ts'
import type { BenchSwarm } from './swarm.ts'
import { api, waitForReadyNodes } from './workload-api.ts'

export const IMAGE = 'flotilla/busybox:test'
export const HTTP_PORT = 8080
/** The file every GET fetches: 99 × "x" and a newline (echo's). */
export const BODY_BYTES = 100
export const PATH = '/index.html'
export const COMMAND = ['sh', '-c', `mkdir -p /tmp/www && echo ${'x'.repeat(BODY_BYTES - 1)} > /tmp/www/index.html && exec httpd -f -p ${HTTP_PORT} -h /tmp/www`]
const READY_TIMEOUT_MS = 120_000
/** How long a freshly published swarm port may take to answer before the mesh is judged absent. */
const MESH_PROBE_MS = 20_000
/**
 * Published ports come from here: below the NodePort range and the kernel's ephemeral ports
 * (32768–60999), which the agents' own listeners and connections take on their node addresses.
 */
const PUBLISH_RANGE = { from: 20_000, to: 29_999 }

export interface FlotillaTargets {
  readonly replicas: number
  /** The agent whose NodePort is measured: the one on the (first) pod's node. */
  readonly via: BenchAgent
  readonly nodePort: GetTarget
  readonly clusterIP: GetTarget
  /** The pod's hostPort, published by Docker at its node's address (the kubelet's default hostIP); 1 replica only. */
  readonly hostPort: GetTarget | null
  /** The pods' own addresses on the Docker bridge, each client taking them in turn: no proxy at all. */
  readonly podIPs: GetTarget
  readonly describe: string
}

const target = (host: string, port: number): GetTarget => ({ addresses: [{ host, port }], path: PATH, bodyBytes: BODY_BYTES })

interface PodView { metadata: { name: string }, spec: { nodeName?: string }, status?: { podIP?: string, conditions?: Array<{ type: string, status: string }> } }
interface EndpointsView { subsets?: Array<{ addresses?: Array<{ ip: string }> }> }

/** A namespace of this run's own, for everything the suite creates in the cluster. */
export async function createNamespace (cluster: AgentCluster, runId: string): Promise<string> {
  const first = cluster.agents[0] as BenchAgent
  await waitForReadyNodes(cluster, first, cluster.agents.length, 60_000)
  const namespace = `svc-bench-${runId}`
  await api(cluster, first, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } })
  return namespace
}

/**
 * A Deployment `app` of `replicas` httpd pods and a NodePort Service of the same name; with
 * `hostPort`, the container's port is also published on its node (one replica only: all
 * nodes share this machine). Resolves once every way in answers.
 */
export async function setUpApp (cluster: AgentCluster, namespace: string, app: string, replicas: number, withHostPort: boolean, log: (line: string) => void): Promise<FlotillaTargets> {
  const first = cluster.agents[0] as BenchAgent
  const hostPort = withHostPort ? await publishablePort() : 0
  await api(cluster, first, 'POST', `/apis/apps/v1/namespaces/${namespace}/deployments`, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: app },
    spec: {
      replicas,
      selector: { matchLabels: { app } },
      template: {
        metadata: { labels: { app } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{
            name: 'httpd',
            image: IMAGE,
            command: COMMAND,
            ports: [{ containerPort: HTTP_PORT, ...(withHostPort ? { hostPort } : {}), name: 'http' }],
            readinessProbe: { httpGet: { path: PATH, port: 'http' }, periodSeconds: 1 }
          }]
        }
      }
    }
  })
  const svc = await api(cluster, first, 'POST', `/api/v1/namespaces/${namespace}/services`, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: app },
    spec: { type: 'NodePort', selector: { app }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] }
  })
  const spec = svc.spec as { clusterIP: string, ports: Array<{ nodePort?: number }> }
  const nodePort = spec.ports[0]?.nodePort ?? 0
  let seen: unknown = 'nothing'
  const pods = await waitUntil(`${replicas} ${app} pods Ready and in the Endpoints`, async () => {
    const list = ((await api(cluster, first, 'GET', `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(`app=${app}`)}`)).items ?? []) as PodView[]
    const ready = list.filter((p) => p.status?.podIP !== undefined && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true)
    const endpoints = await api(cluster, first, 'GET', `/api/v1/namespaces/${namespace}/endpoints/${app}`).catch(() => ({})) as EndpointsView
    const listed = (endpoints.subsets ?? []).flatMap((x) => x.addresses ?? []).length
    seen = { pods: list.map((p) => ({ name: p.metadata.name, node: p.spec.nodeName, ip: p.status?.podIP, conditions: p.status?.conditions })), endpoints: listed }
    return ready.length === replicas && listed === replicas ? ready : undefined
  }, READY_TIMEOUT_MS, 250, () => seen)
  const via = cluster.agent((pods[0] as PodView).spec.nodeName ?? '')
  const nodeIp = via.nodeIp ?? '127.0.0.1'
  const targets: FlotillaTargets = {
    replicas,
    via,
    nodePort: target(nodeIp, nodePort),
    clusterIP: target(spec.clusterIP, 80),
    hostPort: withHostPort ? target(nodeIp, hostPort) : null,
    podIPs: { addresses: pods.map((p) => ({ host: p.status?.podIP as string, port: HTTP_PORT })), path: PATH, bodyBytes: BODY_BYTES },
    describe: `${replicas} pod(s) of ${app} on ${pods.map((p) => `${p.spec.nodeName ?? '?'} (${p.status?.podIP ?? '?'})`).join(', ')}, NodePort ${nodeIp}:${nodePort}, cluster IP ${spec.clusterIP}:80${withHostPort ? `, hostPort ${nodeIp}:${hostPort}` : ''}`
  }
  // The Endpoints controller and every proxy catch up on their own time: wait until each way answers.
  const ways: Array<[string, GetTarget]> = [['NodePort', targets.nodePort], ['cluster IP', targets.clusterIP], ['pod IPs', targets.podIPs]]
  if (targets.hostPort !== null) ways.push(['hostPort', targets.hostPort])
  for (const [what, t] of ways) await answers(`${what} ${addressOf(t)}`, t, 60_000)
  log(`service-proxy: ${targets.describe}: all answer`)
  return targets
}

export interface SwarmTarget {
  readonly target: GetTarget
  /** 'mesh': published through the ingress routing mesh; 'host': mode=host (the mesh did not answer). */
  readonly mode: 'mesh' | 'host'
  readonly service: string
  readonly note: string | null
}

/** A swarm service of the same server, published through the mesh if it answers, else in host mode. */
export async function setUpSwarm (swarm: BenchSwarm, log: (line: string) => void): Promise<SwarmTarget> {
  const mesh = `flotilla-bench-proxy-${swarm.runId}-mesh`
  const meshPort = await publishablePort()
  await swarm.run(mesh, 1, IMAGE, COMMAND, READY_TIMEOUT_MS, { publish: [`published=${meshPort},target=${HTTP_PORT}`] })
  const meshTarget = target('127.0.0.1', meshPort)
  if (await answers(`swarm mesh ${addressOf(meshTarget)}`, meshTarget, MESH_PROBE_MS).then(() => true, () => false)) {
    log(`service-proxy: swarm service ${mesh} answers through the routing mesh at ${addressOf(meshTarget)}`)
    return { target: meshTarget, mode: 'mesh', service: mesh, note: null }
  }
  await swarm.remove(mesh)
  const note = `Docker Swarm's routing mesh did not answer: a service published with --publish published=${meshPort},target=${HTTP_PORT} (ingress mode) had its task running but no GET to 127.0.0.1:${meshPort} succeeded within ${MESH_PROBE_MS / 1000} s (STACK-NOTES: this kernel cannot load IPVS, which the mesh needs). The swarm row is a service published with mode=host instead (Docker's own port publishing on the task's node, no mesh), and "above Swarm's mesh" is not judged.`
  log(`service-proxy: ${note}`)
  const host = `flotilla-bench-proxy-${swarm.runId}-host`
  const hostPort = await publishablePort()
  await swarm.run(host, 1, IMAGE, COMMAND, READY_TIMEOUT_MS, { publish: [`published=${hostPort},target=${HTTP_PORT},mode=host`] })
  const hostTarget = target('127.0.0.1', hostPort)
  await answers(`swarm host-mode ${addressOf(hostTarget)}`, hostTarget, 60_000)
  return { target: hostTarget, mode: 'host', service: host, note }
}

export function addressOf (t: GetTarget): string {
  return t.addresses.map((a) => `${a.host}:${a.port}`).join(', ')
}

/** Wait until a GET to every address of `t` succeeds. */
async function answers (what: string, t: GetTarget, timeoutMs: number): Promise<void> {
  let last = 'nothing'
  await waitUntil(`a GET to ${what} to succeed`, async () => {
    for (const a of t.addresses) {
      const outcome = await getOnce(a.host, a.port, t.path, t.bodyBytes, 2000)
      last = outcome.ok ? 'ok' : `${a.host}:${a.port}: ${outcome.reason}`
      if (!outcome.ok) return false
    }
    return true
  }, timeoutMs, 200, () => last)
}

/**
 * A port for Docker to publish: from PUBLISH_RANGE, and free on every address of this machine
 * a moment ago (bound on 0.0.0.0, which fails if any address holds it).
 */
async function publishablePort (): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = PUBLISH_RANGE.from + Math.floor(Math.random() * (PUBLISH_RANGE.to - PUBLISH_RANGE.from + 1))
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer()
      server.once('error', () => { resolve(false) })
      server.listen(port, '0.0.0.0', () => { server.close(() => { resolve(true) }) })
    })
    if (free) return port
  }
  throw new Error(`no free port to publish between ${PUBLISH_RANGE.from} and ${PUBLISH_RANGE.to} after 50 tries`)
}
