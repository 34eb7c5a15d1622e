// The columns `get` shows per kind, named and typed as kube-apiserver's built-in printers name
// them ('Cluster-IP', 'Port(s)', 'Up-to-date'; kubectl upper-cases them), with priority 1 for
// the `-o wide` ones. One source for both the API's meta.k8s.io Tables (what the real kubectl
// prints) and the flotilla CLI's own tables, so the two cannot disagree. Kinds without an
// entry get the generic Name and Age. Cells are never empty (`<none>` stands in) but where
// kube-apiserver leaves them so (an Event's SUBOBJECT).

import { age } from './age.ts'
import { dataCount, endpointsList, externalIPs, formatSelector, ingressHosts, loadBalancerAddresses, nodeAddress, nodeRoles, nodeStatus, none, servicePorts, specOf, statusOf } from './cell-formats.ts'
import { podReadinessGates, podReady, podRestarts, podStatus, type PodShape } from './pod-status.ts'
import type { PrintableObject } from './printable.ts'

/** A cell as the Table carries it: integer columns hold numbers. */
export type Cell = string | number

export interface PrintColumn {
  /** As kube-apiserver names it; kubectl prints it upper-cased. */
  name: string
  /** The Table column type: `integer` cells are numbers, `string` cells mostly text. */
  type: 'string' | 'integer'
  description: string
  /** 0: always shown; 1: only with `-o wide`. */
  priority: 0 | 1
  /** `name` for a column holding the object's name (an Event's NAME, shown with `-o wide`). */
  format?: 'name'
  cell: (obj: PrintableObject, nowMs: number) => Cell
}

export interface KindPrinter {
  /** False for kinds printed without a leading Name column (events). */
  name: boolean
  /** The columns after Name (Namespace, with -A, is the client's to add). */
  columns: PrintColumn[]
}

/** The leading column of every kind but events: `format: name` tells kubectl it is the object's name. */
export const NAME_COLUMN = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 } as const

const num = (n: unknown): number => (typeof n === 'number' ? n : 0)
const col = (name: string, description: string, cell: PrintColumn['cell'], type: PrintColumn['type'] = 'string'): PrintColumn =>
  ({ name, type, description, priority: 0, cell })
const wide = (name: string, description: string, cell: PrintColumn['cell']): PrintColumn =>
  ({ name, type: 'string', description, priority: 1, cell })

const AGE = col('Age', 'CreationTimestamp is the time the object was created.', (o, now) => age(o.metadata?.creationTimestamp, now))

function templateContainers (o: PrintableObject): Array<Record<string, unknown>> {
  const c = specOf(o).template?.spec?.containers
  return Array.isArray(c) ? c : []
}

const WORKLOAD_WIDE: PrintColumn[] = [
  wide('Containers', 'Names of each container in the template.', o => none(templateContainers(o).map(c => c.name).join(','))),
  wide('Images', 'Images referenced by each container in the template.', o => none(templateContainers(o).map(c => c.image).join(','))),
  wide('Selector', 'Label query over pods that should match the replicas count.', o => formatSelector(specOf(o).selector))
]

const PRINTERS: Record<string, KindPrinter> = {
  '/Pod': {
    name: true,
    columns: [
      col('Ready', 'The aggregate readiness state of this pod for accepting traffic.', podReady),
      col('Status', 'The aggregate status of the containers in this pod.', podStatus),
      col('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.', (o, now) => podRestarts(o, ts => age(ts, now))),
      AGE,
      wide('IP', 'The IP address assigned to the pod.', o => none((o as PodShape).status?.podIP)),
      wide('Node', 'The name of the node the pod is bound to.', o => none((o as PodShape).spec?.nodeName)),
      wide('Nominated Node', 'The name of the node where the pod is nominated to run (preemption).', o => none((o as PodShape).status?.nominatedNodeName)),
      wide('Readiness Gates', 'The readiness gates of the pod: how many of them are True.', podReadinessGates)
    ]
  },
  'apps/Deployment': {
    name: true,
    columns: [
      col('Ready', 'Number of the pod with ready state.', o => `${num(statusOf(o).readyReplicas)}/${num(specOf(o).replicas ?? 1)}`),
      col('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.', o => num(statusOf(o).updatedReplicas), 'integer'),
      col('Available', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.', o => num(statusOf(o).availableReplicas), 'integer'),
      AGE,
      ...WORKLOAD_WIDE
    ]
  },
  'apps/ReplicaSet': {
    name: true,
    columns: [
      col('Desired', 'Replicas is the number of desired replicas.', o => num(specOf(o).replicas ?? 1), 'integer'),
      col('Current', 'Replicas is the most recently observed number of replicas.', o => num(statusOf(o).replicas), 'integer'),
      col('Ready', 'The number of ready replicas for this replica set.', o => num(statusOf(o).readyReplicas), 'integer'),
      AGE,
      ...WORKLOAD_WIDE
    ]
  },
  '/Service': {
    name: true,
    columns: [
      col('Type', 'How the Service is exposed.', o => String(specOf(o).type ?? 'ClusterIP')),
      col('Cluster-IP', 'The IP address of the service, assigned from the service CIDR.', o => none(specOf(o).clusterIP)),
      col('External-IP', 'IP addresses for which nodes also accept traffic for this service.', externalIPs),
      col('Port(s)', 'The list of ports that are exposed by this service.', servicePorts),
      AGE,
      wide('Selector', 'Route service traffic to pods with label keys and values matching this selector.', o => formatSelector(specOf(o).selector))
    ]
  },
  '/Node': {
    name: true,
    columns: [
      col('Status', 'The status of the node', nodeStatus),
      col('Roles', 'The roles of the node', nodeRoles),
      AGE,
      col('Version', 'Kubelet Version reported by the node.', o => none(statusOf(o).nodeInfo?.kubeletVersion)),
      wide('Internal-IP', 'The node\'s internal address.', o => nodeAddress(o, 'InternalIP')),
      wide('External-IP', 'The node\'s external address.', o => nodeAddress(o, 'ExternalIP')),
      wide('OS-Image', 'OS Image reported by the node.', o => none(statusOf(o).nodeInfo?.osImage)),
      wide('Kernel-Version', 'Kernel Version reported by the node.', o => none(statusOf(o).nodeInfo?.kernelVersion)),
      wide('Container-Runtime', 'ContainerRuntime Version reported by the node.', o => none(statusOf(o).nodeInfo?.containerRuntimeVersion))
    ]
  },
  // Kubernetes types DATA as a string column yet sends the count as an integer cell.
  '/ConfigMap': { name: true, columns: [col('Data', 'The number of keys in data and binaryData.', dataCount), AGE] },
  '/Secret': {
    name: true,
    columns: [
      col('Type', 'Used to facilitate programmatic handling of secret data.', o => String(o.type ?? 'Opaque')),
      col('Data', 'The number of keys in data.', dataCount),
      AGE
    ]
  },
  '/Namespace': { name: true, columns: [col('Status', 'The status of the namespace', o => String(statusOf(o).phase ?? 'Active')), AGE] },
  '/Endpoints': { name: true, columns: [col('Endpoints', 'The set of all endpoints is the union of all subsets.', endpointsList), AGE] },
  'networking.k8s.io/Ingress': {
    name: true,
    columns: [
      col('Class', 'The name of the IngressClass cluster resource.', o => none(specOf(o).ingressClassName)),
      col('Hosts', 'Hosts that incoming requests are matched against before the ingress rule', ingressHosts),
      col('Address', 'Address is a list containing ingress points for the load-balancer', o => none(loadBalancerAddresses(o))),
      col('Ports', 'Ports of TLS configurations that open', o => (Array.isArray(specOf(o).tls) && specOf(o).tls.length > 0 ? '80, 443' : '80')),
      AGE
    ]
  },
  '/Event': {
    name: false,
    columns: [
      col('Last Seen', 'Time when this Event was last observed.', (o, now) => age(o.lastTimestamp ?? o.eventTime ?? o.metadata?.creationTimestamp, now)),
      col('Type', 'Type of this event (Normal, Warning).', o => none(o.type)),
      col('Reason', 'A short, machine understandable string that gives the reason for this event.', o => none(o.reason)),
      col('Object', 'The object this event is about.', o => {
        const i = (o.involvedObject ?? {}) as Record<string, unknown>
        return `${String(i.kind ?? '').toLowerCase()}/${String(i.name ?? '')}`
      }),
      wide('Subobject', 'The field of the object this event is about (a container, `spec.containers{app}`).', o => {
        const path = ((o.involvedObject ?? {}) as Record<string, unknown>).fieldPath
        return typeof path === 'string' ? path : ''
      }),
      wide('Source', 'The component (and host) reporting this event.', eventSource),
      col('Message', 'A human-readable description of the status of this operation.', o => none(typeof o.message === 'string' ? o.message.trim() : o.message)),
      wide('First Seen', 'The time at which the event was first recorded.', (o, now) => age(o.firstTimestamp ?? o.eventTime ?? o.metadata?.creationTimestamp, now)),
      { name: 'Count', type: 'integer', description: 'The number of times this event has occurred.', priority: 1, cell: o => num(o.count) },
      { ...wide('Name', 'Name must be unique within a namespace.', o => o.metadata?.name ?? ''), format: 'name' }
    ]
  }
}

/** SOURCE as kube-apiserver prints it: `component, host`, falling back on the reporting controller and instance. */
function eventSource (o: PrintableObject): string {
  const source = (o.source ?? {}) as { component?: unknown, host?: unknown }
  const text = (v: unknown): string => (typeof v === 'string' ? v : '')
  const component = text(source.component) !== '' ? text(source.component) : text(o.reportingController ?? o.reportingComponent)
  const host = text(source.host) !== '' ? text(source.host) : text(o.reportingInstance)
  if (component === '') return '<unknown>'
  return host === '' ? component : `${component}, ${host}`
}

const GENERIC: KindPrinter = { name: true, columns: [AGE] }

/** The printer for a kind of an API group ('' for the core group); every column, wide ones included. */
export function printerFor (group: string, kind: string): KindPrinter {
  return PRINTERS[`${group}/${kind}`] ?? GENERIC
}
