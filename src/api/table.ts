// Server-side printing for `kubectl get`: when the client accepts
// `application/json;as=Table;g=meta.k8s.io;v=v1`, lists, single objects and watch events are
// answered as a meta.k8s.io Table with NAME and AGE columns (the generic columns Kubernetes
// uses for kinds without their own printer).

import type { KObject } from '../store/types.ts'

export interface TableRequest {
  /** `meta.k8s.io/v1` or `meta.k8s.io/v1beta1`, as the client asked. */
  apiVersion: string
  /** What each row carries in `object` (`includeObject` query parameter; Metadata by default). */
  includeObject: 'None' | 'Metadata' | 'Object'
}

/** The Table the Accept header asks for, or undefined for plain JSON. */
export function tableRequest (accept: string | undefined, includeObject: string | null): TableRequest | undefined {
  if (accept === undefined) return undefined
  for (const clause of accept.split(',')) {
    const [type, ...params] = clause.split(';').map(s => s.trim())
    if (type !== 'application/json') continue
    const p = new Map(params.map(kv => {
      const i = kv.indexOf('=')
      return i < 0 ? [kv, ''] : [kv.slice(0, i).trim(), kv.slice(i + 1).trim()]
    }))
    if (p.get('as') !== 'Table' || p.get('g') !== 'meta.k8s.io') continue
    const v = p.get('v')
    if (v !== 'v1' && v !== 'v1beta1') continue
    const include = includeObject === 'None' || includeObject === 'Object' ? includeObject : 'Metadata'
    return { apiVersion: `meta.k8s.io/${v}`, includeObject: include }
  }
  return undefined
}

const COLUMNS = [
  { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
  { name: 'Age', type: 'string', format: '', description: 'CreationTimestamp is the time the object was created.', priority: 0 }
]

/** A Table of `objects`; `withColumns` false leaves out columnDefinitions (watch events after the first). */
export function toTable (objects: readonly KObject[], tr: TableRequest, nowMs: number, resourceVersion: string | undefined, withColumns = true): Record<string, unknown> {
  const rows = objects.map(obj => {
    const created = Date.parse(obj.metadata.creationTimestamp ?? '')
    const row: Record<string, unknown> = {
      cells: [obj.metadata.name, Number.isNaN(created) ? '<unknown>' : humanDuration(nowMs - created)]
    }
    if (tr.includeObject === 'Object') row.object = obj
    if (tr.includeObject === 'Metadata') row.object = { kind: 'PartialObjectMetadata', apiVersion: tr.apiVersion, metadata: obj.metadata }
    return row
  })
  const metadata: Record<string, string> = {}
  if (resourceVersion !== undefined) metadata.resourceVersion = resourceVersion
  return { kind: 'Table', apiVersion: tr.apiVersion, metadata, columnDefinitions: withColumns ? COLUMNS : [], rows }
}

/** Kubernetes' HumanDuration (apimachinery/pkg/util/duration): `45s`, `3m20s`, `5h10m`, `2d3h`, `3y12d`. */
export function humanDuration (ms: number): string {
  const seconds = Math.floor(ms / 1000)
  if (seconds < -1) return '<invalid>'
  if (seconds < 0) return '0s'
  if (seconds < 120) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`
  if (minutes < 180) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`
  if (hours < 48) return `${hours}h`
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`
  const years = Math.floor(hours / 24 / 365)
  const days = Math.floor(hours / 24) % 365
  if (hours < 24 * 365 * 8) return days === 0 ? `${years}y` : `${years}y${days}d`
  return `${years}y`
}
