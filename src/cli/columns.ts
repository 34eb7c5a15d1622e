// The columns `get` prints per kind, matching kubectl's defaults (and `-o wide` extras).
// Kinds without an entry get NAME and AGE. Cells never come back empty: `<none>` stands in.

import { age } from './age.ts'
import type { KObject } from './client.ts'
import { podReady, podRestarts, podStatus, type PodShape } from './pod-status.ts'

export interface Column {
  header: string
  /** Only with `-o wide`. */
  wide?: boolean
  cell: (obj: KObject, now: number) => string
}

export interface KindColumns {
  /** False for kinds kubectl lists without a NAME column (events). */
  name: boolean
  columns: Column[]
}

type Any = Record<string, any>

const none = (s: unknown): string => (s === undefined || s === null || s === '' ? '<none>' : String(s))
const num = (n: unknown): string => (typeof n === 'number' ? String(n) : '0')
const spec = (o: KObject): Any => (o.spec ?? {}) as Any
const status = (o: KObject): Any => (o.status ?? {}) as Any
const ageColumn: Column = { header: 'AGE', cell: (o, now) => age(o.metadata?.creationTimestamp, now) }

/** `a=b,c=d` for a label map or a LabelSelector's matchLabels/matchExpressions. */
export function formatSelector (sel: unknown): string {
  if (typeof sel !== 'object' || sel === null) return '<none>'
  const s = sel as Any
  const parts: string[] = []
  const labels: Record<string, unknown> = s.matchLabels !== undefined || s.matchExpressions !== undefined ? (s.matchLabels ?? {}) : s
  for (const [k, v] of Object.entries(labels)) parts.push(`${k}=${String(v)}`)
  for (const e of (Array.isArray(s.matchExpressions) ? s.matchExpressions : []) as Any[]) {
    const values = Array.isArray(e.values) ? (e.values as string[]).join(',') : ''
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`)
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`)
    else if (e.operator === 'Exists') parts.push(String(e.key))
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`)
  }
  return parts.length === 0 ? '<none>' : parts.join(',')
}

function templateContainers (o: KObject): Any[] {
  const c = spec(o).template?.spec?.containers
  return Array.isArray(c) ? c : []
}

const workloadWide: Column[] = [
  { header: 'CONTAINERS', wide: true, cell: o => none(templateContainers(o).map(c => c.name).join(',')) },
  { header: 'IMAGES', wide: true, cell: o => none(templateContainers(o).map(c => c.image).join(',')) },
  { header: 'SELECTOR', wide: true, cell: o => formatSelector(spec(o).selector) }
]

export function servicePorts (o: KObject): string {
  const ports = Array.isArray(spec(o).ports) ? spec(o).ports as Any[] : []
  return none(ports.map(p => `${p.port}${p.nodePort !== undefined ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(','))
}

export function nodeStatus (o: KObject): string {
  const conditions = Array.isArray(status(o).conditions) ? status(o).conditions as Any[] : []
  const ready = conditions.find(c => c.type === 'Ready')
  let s = ready === undefined ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady'
  if (spec(o).unschedulable === true) s += ',SchedulingDisabled'
  return s
}

export function nodeRoles (o: KObject): string {
  const roles = new Set<string>()
  for (const [k, v] of Object.entries(o.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/') && k.length > 24) roles.add(k.slice(24))
    else if (k === 'kubernetes.io/role' && v !== '') roles.add(v)
  }
  return none([...roles].sort().join(','))
}

function nodeAddress (o: KObject, type: string): string {
  const addrs = Array.isArray(status(o).addresses) ? status(o).addresses as Any[] : []
  return none(addrs.find(a => a.type === type)?.address)
}

function endpointsList (o: KObject): string {
  const out: string[] = []
  for (const s of (Array.isArray(o.subsets) ? o.subsets : []) as Any[]) {
    const ports = Array.isArray(s.ports) && s.ports.length > 0 ? (s.ports as Any[]).map(p => p.port) : [undefined]
    for (const a of (Array.isArray(s.addresses) ? s.addresses : []) as Any[]) {
      for (const p of ports) out.push(p === undefined ? String(a.ip) : `${a.ip}:${p}`)
    }
  }
  if (out.length > 3) return `${out.slice(0, 3).join(',')} + ${out.length - 3} more...`
  return none(out.join(','))
}

const dataCount = (o: KObject): string =>
  String(Object.keys((o.data ?? {}) as object).length + Object.keys((o.binaryData ?? {}) as object).length)

const TABLES: Record<string, KindColumns> = {
  '/Pod': {
    name: true,
    columns: [
      { header: 'READY', cell: podReady },
      { header: 'STATUS', cell: podStatus },
      { header: 'RESTARTS', cell: (o, now) => podRestarts(o, ts => age(ts, now)) },
      ageColumn,
      { header: 'IP', wide: true, cell: o => none((o as PodShape).status?.podIP) },
      { header: 'NODE', wide: true, cell: o => none((o as PodShape).spec?.nodeName) }
    ]
  },
  'apps/Deployment': {
    name: true,
    columns: [
      { header: 'READY', cell: o => `${num(status(o).readyReplicas)}/${num(spec(o).replicas ?? 1)}` },
      { header: 'UP-TO-DATE', cell: o => num(status(o).updatedReplicas) },
      { header: 'AVAILABLE', cell: o => num(status(o).availableReplicas) },
      ageColumn,
      ...workloadWide
    ]
  },
  'apps/ReplicaSet': {
    name: true,
    columns: [
      { header: 'DESIRED', cell: o => num(spec(o).replicas ?? 1) },
      { header: 'CURRENT', cell: o => num(status(o).replicas) },
      { header: 'READY', cell: o => num(status(o).readyReplicas) },
      ageColumn,
      ...workloadWide
    ]
  },
  '/Service': {
    name: true,
    columns: [
      { header: 'TYPE', cell: o => String(spec(o).type ?? 'ClusterIP') },
      { header: 'CLUSTER-IP', cell: o => none(spec(o).clusterIP) },
      { header: 'PORT(S)', cell: servicePorts },
      ageColumn,
      { header: 'SELECTOR', wide: true, cell: o => formatSelector(spec(o).selector) }
    ]
  },
  '/Node': {
    name: true,
    columns: [
      { header: 'STATUS', cell: nodeStatus },
      { header: 'ROLES', cell: nodeRoles },
      ageColumn,
      { header: 'VERSION', cell: o => none(status(o).nodeInfo?.kubeletVersion) },
      { header: 'INTERNAL-IP', wide: true, cell: o => nodeAddress(o, 'InternalIP') },
      { header: 'OS-IMAGE', wide: true, cell: o => none(status(o).nodeInfo?.osImage) },
      { header: 'CONTAINER-RUNTIME', wide: true, cell: o => none(status(o).nodeInfo?.containerRuntimeVersion) }
    ]
  },
  '/ConfigMap': { name: true, columns: [{ header: 'DATA', cell: dataCount }, ageColumn] },
  '/Secret': {
    name: true,
    columns: [{ header: 'TYPE', cell: o => String(o.type ?? 'Opaque') }, { header: 'DATA', cell: dataCount }, ageColumn]
  },
  '/Namespace': { name: true, columns: [{ header: 'STATUS', cell: o => String(status(o).phase ?? 'Active') }, ageColumn] },
  '/Endpoints': { name: true, columns: [{ header: 'ENDPOINTS', cell: endpointsList }, ageColumn] },
  '/Event': {
    name: false,
    columns: [
      { header: 'LAST SEEN', cell: (o, now) => age(o.lastTimestamp ?? o.eventTime ?? o.metadata?.creationTimestamp, now) },
      { header: 'TYPE', cell: o => none(o.type) },
      { header: 'REASON', cell: o => none(o.reason) },
      { header: 'OBJECT', cell: o => { const i = (o.involvedObject ?? {}) as Any; return `${String(i.kind ?? '').toLowerCase()}/${String(i.name ?? '')}` } },
      { header: 'MESSAGE', cell: o => none(o.message) }
    ]
  }
}

const GENERIC: KindColumns = { name: true, columns: [ageColumn] }

/** The columns for a kind (without NAME / NAMESPACE), wide ones only when asked. */
export function columnsFor (r: { group: string, kind: string }, wide: boolean): KindColumns {
  const t = TABLES[`${r.group}/${r.kind}`] ?? GENERIC
  return { name: t.name, columns: t.columns.filter(c => wide || c.wide !== true) }
}
