// Server-side printing for `kubectl get`: when the client accepts
// `application/json;as=Table;g=meta.k8s.io;v=v1`, lists, single objects and watch events are
// answered as a meta.k8s.io Table with the kind's columns as kube-apiserver's printers define
// them (src/objects/printers, shared with the flotilla CLI); `-o wide` columns have priority 1,
// and kubectl shows them only when asked.

import { NAME_COLUMN, printerFor, type Cell } from '../objects/printers/kind-columns.ts'
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

/** A meta.k8s.io TableColumnDefinition. */
export interface TableColumnDefinition {
  name: string
  type: string
  format: string
  description: string
  priority: number
}

/** The column definitions of a kind's Table: Name first (except for events), then its printer's columns, wide ones included. */
export function columnDefinitions (kind: { group: string, kind: string }): TableColumnDefinition[] {
  const printer = printerFor(kind.group, kind.kind)
  const columns = printer.columns.map(c => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description, priority: c.priority }))
  return printer.name ? [{ ...NAME_COLUMN }, ...columns] : columns
}

/** A Table of `objects` of `kind`; `withColumns` false leaves out columnDefinitions (watch events after the first). */
export function toTable (kind: { group: string, kind: string }, objects: readonly KObject[], tr: TableRequest, nowMs: number, resourceVersion: string | undefined, withColumns = true): Record<string, unknown> {
  const printer = printerFor(kind.group, kind.kind)
  const rows = objects.map(obj => {
    const cells: Cell[] = printer.name ? [obj.metadata.name] : []
    for (const c of printer.columns) cells.push(c.cell(obj, nowMs))
    const row: Record<string, unknown> = { cells }
    if (tr.includeObject === 'Object') row.object = obj
    if (tr.includeObject === 'Metadata') row.object = { kind: 'PartialObjectMetadata', apiVersion: tr.apiVersion, metadata: obj.metadata }
    return row
  })
  const metadata: Record<string, string> = {}
  if (resourceVersion !== undefined) metadata.resourceVersion = resourceVersion
  return { kind: 'Table', apiVersion: tr.apiVersion, metadata, columnDefinitions: withColumns ? columnDefinitions(kind) : [], rows }
}
