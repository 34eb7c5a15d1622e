// Kind-specific `describe` pages (pods, deployments, replica sets, services, nodes, config
// maps, secrets, namespaces) and the generic page for every other kind, which prints the
// metadata header and then spec, status and any other fields as indented `Key:  value` lines.

import type { KObject } from './client.ts'
import { formatSelector, nodeRoles, nodeStatus } from '../objects/printers/cell-formats.ts'
import { containers, conditions, controlledBy, events, header, none, type Any, type DescribeContext } from './describe-common.ts'
import { DescribeWriter, describeTime } from './describe-writer.ts'
import type { ResourceInfo } from './discovery.ts'

type Describer = (o: KObject, w: DescribeWriter, ctx: DescribeContext) => void

const spec = (o: KObject): Any => (o.spec ?? {}) as Any
const status = (o: KObject): Any => (o.status ?? {}) as Any

function podTemplate (o: KObject, w: DescribeWriter): void {
  const t = (spec(o).template ?? {}) as Any
  w.line(0, 'Pod Template')
  w.map(1, 'Labels', t.metadata?.labels)
  containers(w, 1, 'Containers', t.spec?.containers)
}

const pod: Describer = (o, w, ctx) => {
  header(o, w, true)
  const s = status(o)
  w.line(0, 'Node', spec(o).nodeName !== undefined ? `${String(spec(o).nodeName)}${s.hostIP !== undefined ? `/${String(s.hostIP)}` : ''}` : '<none>')
  w.line(0, 'Start Time', s.startTime !== undefined ? describeTime(s.startTime) : '<unset>')
  w.line(0, 'Status', o.metadata?.deletionTimestamp !== undefined ? 'Terminating' : String(s.phase ?? 'Pending'))
  if (s.reason !== undefined) w.line(0, 'Reason', String(s.reason))
  if (s.message !== undefined) w.line(0, 'Message', String(s.message))
  w.line(0, 'IP', none(s.podIP))
  controlledBy(o, w)
  containers(w, 0, 'Init Containers', spec(o).initContainers, s.initContainerStatuses)
  containers(w, 0, 'Containers', spec(o).containers, s.containerStatuses)
  conditions(w, s.conditions)
  w.map(0, 'Node-Selectors', spec(o).nodeSelector)
  events(w, ctx)
}

const deployment: Describer = (o, w, ctx) => {
  header(o, w, true)
  const s = status(o)
  const n = (v: unknown): number => typeof v === 'number' ? v : 0
  w.line(0, 'Selector', formatSelector(spec(o).selector))
  w.line(0, 'Replicas', `${n(spec(o).replicas ?? 1)} desired | ${n(s.updatedReplicas)} updated | ${n(s.replicas)} total | ${n(s.availableReplicas)} available | ${n(s.unavailableReplicas)} unavailable`)
  w.line(0, 'StrategyType', String(spec(o).strategy?.type ?? 'RollingUpdate'))
  const ru = spec(o).strategy?.rollingUpdate
  if (ru !== undefined) w.line(0, 'RollingUpdateStrategy', `${String(ru.maxUnavailable ?? '25%')} max unavailable, ${String(ru.maxSurge ?? '25%')} max surge`)
  podTemplate(o, w)
  conditions(w, s.conditions, 0, true)
  events(w, ctx)
}

const replicaSet: Describer = (o, w, ctx) => {
  header(o, w, true)
  const s = status(o)
  w.line(0, 'Selector', formatSelector(spec(o).selector))
  controlledBy(o, w)
  w.line(0, 'Replicas', `${String(s.replicas ?? 0)} current / ${String(spec(o).replicas ?? 1)} desired`)
  w.line(0, 'Pods Status', `${String(s.readyReplicas ?? 0)} ready / ${String(s.availableReplicas ?? 0)} available`)
  podTemplate(o, w)
  conditions(w, s.conditions, 0, true)
  events(w, ctx)
}

function endpointAddresses (ep: KObject | undefined): string {
  const out: string[] = []
  for (const s of (Array.isArray(ep?.subsets) ? ep.subsets : []) as Any[]) {
    const ports = Array.isArray(s.ports) ? (s.ports as Any[]).map(p => p.port) : []
    for (const a of (Array.isArray(s.addresses) ? s.addresses : []) as Any[]) {
      if (ports.length === 0) out.push(String(a.ip))
      for (const p of ports) out.push(`${String(a.ip)}:${String(p)}`)
    }
  }
  return out.length === 0 ? '<none>' : out.join(',')
}

const service: Describer = (o, w, ctx) => {
  header(o, w, true)
  const sp = spec(o)
  w.line(0, 'Selector', formatSelector(sp.selector))
  w.line(0, 'Type', String(sp.type ?? 'ClusterIP'))
  w.line(0, 'IP', none(sp.clusterIP))
  for (const p of (Array.isArray(sp.ports) ? sp.ports : []) as Any[]) {
    const proto = String(p.protocol ?? 'TCP')
    w.line(0, 'Port', `${String(p.name ?? '<unset>')}  ${String(p.port)}/${proto}`)
    w.line(0, 'TargetPort', `${String(p.targetPort ?? p.port)}/${proto}`)
    if (p.nodePort !== undefined) w.line(0, 'NodePort', `${String(p.name ?? '<unset>')}  ${String(p.nodePort)}/${proto}`)
    w.line(0, 'Endpoints', endpointAddresses(ctx.endpoints))
  }
  w.line(0, 'Session Affinity', String(sp.sessionAffinity ?? 'None'))
  events(w, ctx)
}

const node: Describer = (o, w, ctx) => {
  const s = status(o)
  header(o, w, false, () => w.line(0, 'Roles', nodeRoles(o)))
  w.line(0, 'Unschedulable', spec(o).unschedulable === true ? 'true' : 'false')
  w.line(0, 'Status', nodeStatus(o))
  const conds = Array.isArray(s.conditions) ? s.conditions as Any[] : []
  if (conds.length > 0) {
    w.line(0, 'Conditions')
    w.table(1, ['Type', 'Status', 'LastHeartbeatTime', 'Reason', 'Message'], conds.map(c => [
      none(c.type), none(c.status), describeTime(c.lastHeartbeatTime), none(c.reason), String(c.message ?? '')
    ]))
  }
  const addrs = Array.isArray(s.addresses) ? s.addresses as Any[] : []
  w.line(0, 'Addresses')
  for (const a of addrs) w.line(1, String(a.type), String(a.address))
  if (s.capacity !== undefined) { w.line(0, 'Capacity'); for (const [k, v] of Object.entries(s.capacity as Any)) w.line(1, k, String(v)) }
  if (s.allocatable !== undefined) { w.line(0, 'Allocatable'); for (const [k, v] of Object.entries(s.allocatable as Any)) w.line(1, k, String(v)) }
  if (s.nodeInfo !== undefined) w.value(0, 'System Info', s.nodeInfo)
  events(w, ctx)
}

const configMap: Describer = (o, w, ctx) => {
  header(o, w, true)
  w.raw(0, '')
  w.raw(0, 'Data')
  w.raw(0, '====')
  for (const [k, v] of Object.entries((o.data ?? {}) as Any)) {
    w.raw(0, `${k}:`)
    w.raw(0, '----')
    w.raw(0, String(v))
    w.raw(0, '')
  }
  w.raw(0, '')
  w.raw(0, 'BinaryData')
  w.raw(0, '====')
  for (const [k, v] of Object.entries((o.binaryData ?? {}) as Any)) w.raw(0, `${k}: ${Buffer.from(String(v), 'base64').length} bytes`)
  w.raw(0, '')
  events(w, ctx)
}

const secret: Describer = (o, w, ctx) => {
  header(o, w, true)
  w.raw(0, '')
  w.line(0, 'Type', String(o.type ?? 'Opaque'))
  w.raw(0, '')
  w.raw(0, 'Data')
  w.raw(0, '====')
  for (const [k, v] of Object.entries((o.data ?? {}) as Any)) w.line(0, k, `${Buffer.from(String(v), 'base64').length} bytes`)
  events(w, ctx)
}

const namespace: Describer = (o, w, ctx) => {
  header(o, w, false)
  w.line(0, 'Status', String(status(o).phase ?? 'Active'))
  events(w, ctx)
}

/** For kinds without a describer: header, then every other top-level field, spec and status first. */
function generic (namespaced: boolean): Describer {
  return (o, w, ctx) => {
    header(o, w, namespaced)
    const { apiVersion, kind, metadata: _m, spec: sp, status: st, ...rest } = o
    w.line(0, 'API Version', none(apiVersion))
    w.line(0, 'Kind', none(kind))
    if (sp !== undefined) w.value(0, 'spec', sp)
    if (st !== undefined) w.value(0, 'status', st)
    for (const [k, v] of Object.entries(rest)) w.value(0, k, v)
    events(w, ctx)
  }
}

const DESCRIBERS: Record<string, Describer> = {
  '/Pod': pod,
  'apps/Deployment': deployment,
  'apps/ReplicaSet': replicaSet,
  '/Service': service,
  '/Node': node,
  '/ConfigMap': configMap,
  '/Secret': secret,
  '/Namespace': namespace
}

/** The full describe page for one object. */
export function describeObject (r: ResourceInfo, obj: KObject, ctx: DescribeContext): string {
  const w = new DescribeWriter()
  const d = DESCRIBERS[`${r.group}/${r.kind}`] ?? generic(r.namespaced)
  d(obj, w, ctx)
  return w.render()
}
