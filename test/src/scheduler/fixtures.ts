// Builders of Node and Pod objects for the scheduler's tests: a Ready node with allocatable
// cpu, memory and pods, and a pod with requests, in the shapes the API stores them.

import type { Node, Taint } from '../../../src/objects/node.ts'
import type { Pod } from '../../../src/objects/pod.ts'
import type { Container, Toleration } from '../../../src/objects/pod-spec.ts'
import type { OwnerReference } from '../../../src/store/types.ts'

export interface NodeOpts {
  cpu?: string
  memory?: string
  pods?: string
  labels?: Record<string, string>
  ready?: boolean
  unschedulable?: boolean
  taints?: Taint[]
}

export function makeNode (name: string, o: NodeOpts = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels } },
    spec: { ...(o.unschedulable === true ? { unschedulable: true } : {}), ...(o.taints !== undefined ? { taints: o.taints } : {}) },
    status: {
      allocatable: { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110' },
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }]
    }
  }
}

export interface PodOpts {
  namespace?: string
  cpu?: string
  memory?: string
  labels?: Record<string, string>
  nodeName?: string
  nodeSelector?: Record<string, string>
  affinity?: Record<string, unknown>
  tolerations?: Toleration[]
  hostPort?: number
  owner?: string
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed'
  schedulerName?: string
  containers?: Container[]
}

export function makePod (name: string, o: PodOpts = {}): Pod {
  const requests: Record<string, string> = {}
  if (o.cpu !== undefined) requests.cpu = o.cpu
  if (o.memory !== undefined) requests.memory = o.memory
  const container: Container = {
    name: 'main',
    image: 'busybox:1',
    ...(Object.keys(requests).length > 0 ? { resources: { requests } } : {}),
    ...(o.hostPort !== undefined ? { ports: [{ containerPort: 80, hostPort: o.hostPort, protocol: 'TCP' as const }] } : {})
  }
  const owner: OwnerReference[] | undefined = o.owner === undefined ? undefined : [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: o.owner, uid: `uid-${o.owner}`, controller: true }]
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.namespace ?? 'default',
      uid: `uid-${name}`,
      ...(o.labels !== undefined ? { labels: o.labels } : {}),
      ...(owner !== undefined ? { ownerReferences: owner } : {})
    },
    spec: {
      containers: o.containers ?? [container],
      schedulerName: o.schedulerName ?? 'default-scheduler',
      ...(o.nodeName !== undefined ? { nodeName: o.nodeName } : {}),
      ...(o.nodeSelector !== undefined ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.affinity !== undefined ? { affinity: o.affinity } : {}),
      ...(o.tolerations !== undefined ? { tolerations: o.tolerations } : {})
    },
    status: { phase: o.phase ?? 'Pending' }
  }
}
