// What the suites that run workloads on real agents ask of the Kubernetes API: JSON calls
// with the cluster's token, waiting for Ready nodes, a Deployment of sleeping containers,
// and whether its pods are Running — by the pod status and, to be sure, by Docker itself.

import type { AgentCluster, BenchAgent } from './agents.ts'
import { containersWith } from './docker.ts'
import { waitUntil } from './processes.ts'
import { LABEL_CLUSTER } from '../../src/kubelet/docker-runtime.ts'

export interface BenchPod {
  metadata: { name: string, uid: string, deletionTimestamp?: string }
  spec: { nodeName?: string, containers: Array<{ name: string }> }
  status?: {
    phase?: string
    containerStatuses?: Array<{ name: string, containerID?: string, state?: { running?: unknown } }>
  }
}

interface NodeObject {
  metadata: { name: string }
  status?: { conditions?: Array<{ type: string, status: string }> }
}

/** JSON over the API with the cluster's token; throws on an unexpected status. */
export async function api (cluster: AgentCluster, agent: BenchAgent, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Record<string, unknown>> {
  const r = await fetch(`${agent.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${cluster.token}`, 'content-type': contentType, accept: 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(30_000)
  })
  const text = await r.text()
  if (r.status >= 300) throw new Error(`${method} ${path} via ${agent.name}: HTTP ${r.status} ${text.slice(0, 300)}`)
  return JSON.parse(text) as Record<string, unknown>
}

/** The Ready condition's status of a node ('True', 'False', 'Unknown'), or undefined if it has none. */
export function readyStatus (node: NodeObject): string | undefined {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status
}

export async function listNodes (cluster: AgentCluster, via: BenchAgent): Promise<NodeObject[]> {
  return (await api(cluster, via, 'GET', '/api/v1/nodes')).items as NodeObject[]
}

/** Wait until `count` Nodes are Ready=True (each kubelet posts its own once Docker answers). */
export async function waitForReadyNodes (cluster: AgentCluster, via: BenchAgent, count: number, timeoutMs: number): Promise<void> {
  let seen: unknown = 'nothing'
  await waitUntil(`${count} Ready nodes`, async () => {
    const nodes = await listNodes(cluster, via)
    seen = nodes.map((n) => `${n.metadata.name}: Ready=${readyStatus(n) ?? 'none'}`)
    return nodes.filter((n) => readyStatus(n) === 'True').length === count
  }, timeoutMs, 250, () => seen)
}

/** A Deployment of `replicas` pods each running `command` in `image`, no probes, labelled app=NAME. */
export function sleepDeployment (name: string, replicas: number, image: string, command: readonly string[]): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image, command }] }
      }
    }
  }
}

/** The pods labelled app=NAME in the default namespace. */
export async function listApp (cluster: AgentCluster, via: BenchAgent, app: string): Promise<BenchPod[]> {
  const list = await api(cluster, via, 'GET', `/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(`app=${app}`)}`)
  return list.items as BenchPod[]
}

export const live = (p: BenchPod): boolean => p.metadata.deletionTimestamp === undefined

/** Phase Running with every container of the spec reported running (not merely started once). */
export function podRunning (p: BenchPod): boolean {
  const statuses = p.status?.containerStatuses ?? []
  return p.status?.phase === 'Running' &&
    p.spec.containers.every((c) => statuses.some((s) => s.name === c.name && s.state?.running !== undefined))
}

/**
 * The pods among `pods` whose containers Docker does not show running (by the ids in their
 * status, among this cluster's running containers): empty when Docker agrees with the API.
 */
export async function notRunningInDocker (cluster: AgentCluster, pods: readonly BenchPod[]): Promise<string[]> {
  const running = new Set(await containersWith([`${LABEL_CLUSTER}=${cluster.clusterId}`], true))
  return pods.filter((p) => {
    const ids = (p.status?.containerStatuses ?? []).map((s) => (s.containerID ?? '').replace(/^docker:\/\//, ''))
    return ids.length < p.spec.containers.length || !ids.every((id) => id !== '' && running.has(id))
  }).map((p) => p.metadata.name)
}

/** "a: 17, b: 17, c: 16" — pods per node. */
export function spreadOf (pods: readonly BenchPod[]): string {
  const perNode = new Map<string, number>()
  for (const p of pods) perNode.set(p.spec.nodeName ?? '(unbound)', (perNode.get(p.spec.nodeName ?? '(unbound)') ?? 0) + 1)
  return [...perNode].sort(([a], [b]) => a.localeCompare(b)).map(([n, c]) => `${n}: ${c}`).join(', ')
}
