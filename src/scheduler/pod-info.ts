// What the scheduler needs of a pod, read once per attempt from the stored object: resource
// requests (in milli-cpu and bytes), host ports, the controller owner, and the placement
// constraints as written. Kept tolerant: a field of the wrong shape is read as absent, so a
// strange pod is placed (or reported unschedulable), never thrown out of the scheduler.

import { parseQuantity } from '../objects/quantity.ts'
import type { Pod } from '../objects/pod.ts'
import type { Toleration } from '../objects/pod-spec.ts'
import type { LabelSelector } from '../store/label-selector.ts'
import { keyOf } from '../controllers/informer.ts'

/** Defaults kube-scheduler assumes for scoring when a container requests nothing. */
export const DEFAULT_SCORE_MILLI_CPU = 100
export const DEFAULT_SCORE_MEMORY = 200 * 2 ** 20

export interface Resources {
  milliCpu: number
  memory: number
}

export interface HostPort {
  protocol: string
  port: number
  /** '' or '0.0.0.0' means every address. */
  hostIP: string
}

/** A required node selector term (NodeAffinity), as written. */
export interface NodeSelectorRequirement {
  key: string
  operator: string
  values?: string[]
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[]
  matchFields?: NodeSelectorRequirement[]
}

export interface PodAffinityTerm {
  labelSelector?: LabelSelector | null
  namespaces?: string[]
  namespaceSelector?: LabelSelector | null
  topologyKey: string
}

export interface PodInfo {
  key: string
  namespace: string
  name: string
  uid: string
  labels: Readonly<Record<string, string>>
  /** What the pod occupies on its node (requests as declared). */
  requests: Resources
  /** Requests with kube-scheduler's non-zero defaults, for scoring only. */
  scoreRequests: Resources
  hostPorts: HostPort[]
  /** uid of the controller ownerReference, if any (spreading). */
  ownerUid: string | undefined
  /** nodeSelector as [key, value] pairs; undefined when absent. */
  nodeSelector: ReadonlyArray<readonly [string, string]> | undefined
  /** requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms; undefined when absent. */
  requiredNodeTerms: NodeSelectorTerm[] | undefined
  tolerations: Toleration[]
  /** Required pod anti-affinity terms. */
  antiAffinity: PodAffinityTerm[]
}

function isRecord (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function list<T> (v: unknown): T[] {
  return Array.isArray(v) ? v.filter(isRecord) as T[] : []
}

/** A container's request for `name`: its request, else its limit (Kubernetes defaults requests to limits). */
function request (c: Record<string, unknown>, name: string): number | undefined {
  const res = isRecord(c.resources) ? c.resources : {}
  const req = isRecord(res.requests) ? res.requests[name] : undefined
  const lim = isRecord(res.limits) ? res.limits[name] : undefined
  const v = parseQuantity(req ?? lim)
  return v === undefined || v < 0 ? undefined : v
}

function containerResources (containers: unknown, withDefaults: boolean): Resources {
  const sum = { milliCpu: 0, memory: 0 }
  for (const c of list<Record<string, unknown>>(containers)) {
    const cpu = request(c, 'cpu')
    const mem = request(c, 'memory')
    sum.milliCpu += cpu === undefined ? (withDefaults ? DEFAULT_SCORE_MILLI_CPU : 0) : Math.ceil(Math.round(cpu * 1e6) / 1e3)
    sum.memory += mem === undefined ? (withDefaults ? DEFAULT_SCORE_MEMORY : 0) : Math.ceil(mem)
  }
  return sum
}

/** Effective requests: the containers' sum, or the largest init container's if that is more (init containers run one at a time). */
function podResources (spec: Record<string, unknown>, withDefaults: boolean): Resources {
  const main = containerResources(spec.containers, withDefaults)
  for (const c of list<Record<string, unknown>>(spec.initContainers)) {
    const one = containerResources([c], withDefaults)
    main.milliCpu = Math.max(main.milliCpu, one.milliCpu)
    main.memory = Math.max(main.memory, one.memory)
  }
  return main
}

/** Host ports the pod takes; with hostNetwork every containerPort is one (as Kubernetes defaults hostPort to it). */
function hostPortsOf (spec: Record<string, unknown>): HostPort[] {
  const out: HostPort[] = []
  for (const c of list<Record<string, unknown>>(spec.containers)) {
    for (const p of list<Record<string, unknown>>(c.ports)) {
      const port = typeof p.hostPort === 'number' ? p.hostPort : spec.hostNetwork === true ? p.containerPort : undefined
      if (typeof port !== 'number' || port <= 0) continue
      out.push({ protocol: typeof p.protocol === 'string' ? p.protocol : 'TCP', port, hostIP: typeof p.hostIP === 'string' ? p.hostIP : '' })
    }
  }
  return out
}

function selectorPairs (v: unknown): Array<[string, string]> | undefined {
  if (!isRecord(v)) return undefined
  return Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string')
}

export function podInfoOf (pod: Pod): PodInfo {
  const spec: Record<string, unknown> = isRecord(pod.spec) ? pod.spec : {}
  const affinity = isRecord(spec.affinity) ? spec.affinity : {}
  const nodeAffinity = isRecord(affinity.nodeAffinity) ? affinity.nodeAffinity : {}
  const requiredNode = nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
  const antiAffinity = isRecord(affinity.podAntiAffinity) ? affinity.podAntiAffinity : {}
  const owner = (pod.metadata.ownerReferences ?? []).find((r) => r.controller === true)
  return {
    key: keyOf(pod),
    namespace: pod.metadata.namespace ?? '',
    name: pod.metadata.name,
    uid: pod.metadata.uid ?? '',
    labels: pod.metadata.labels ?? {},
    requests: podResources(spec, false),
    scoreRequests: podResources(spec, true),
    hostPorts: hostPortsOf(spec),
    ownerUid: owner?.uid,
    nodeSelector: selectorPairs(spec.nodeSelector),
    requiredNodeTerms: isRecord(requiredNode) ? list<NodeSelectorTerm>(requiredNode.nodeSelectorTerms) : undefined,
    tolerations: list<Toleration>(spec.tolerations),
    antiAffinity: list<PodAffinityTerm>(antiAffinity.requiredDuringSchedulingIgnoredDuringExecution)
      .filter((t) => typeof t.topologyKey === 'string' && t.topologyKey !== '')
  }
}

/** Succeeded and Failed pods hold no resources on their node any more. */
export function isTerminated (pod: Pod): boolean {
  const phase = pod.status?.phase
  return phase === 'Succeeded' || phase === 'Failed'
}

/** Pods this scheduler is responsible for: default-scheduler or no schedulerName. */
export function isOurs (pod: Pod): boolean {
  const name = pod.spec?.schedulerName
  return name === undefined || name === '' || name === 'default-scheduler'
}

/** An unbound pod of this scheduler that is neither finished nor being deleted. */
export function waitsForScheduling (pod: Pod): boolean {
  return (pod.spec?.nodeName ?? '') === '' && isOurs(pod) && !isTerminated(pod) && pod.metadata.deletionTimestamp === undefined
}
