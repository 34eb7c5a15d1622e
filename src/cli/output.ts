// How `get` (and `apply`/`delete` with -o name) print objects: -o json (4-space indent, like
// kubectl), -o yaml, -o name (`pod/x`, `deployment.apps/y`), or a table (-o wide adds columns).
// Several objects print as a `List`, with apiVersion and kind filled in on every item.

import YAML from 'yaml'
import type { KObject } from './client.ts'
import { apiVersionOf, qualifiedKind, type ResourceInfo } from './discovery.ts'
import { UsageError } from './errors.ts'
import { renderTable } from './table.ts'
import { printerFor } from '../objects/printers/kind-columns.ts'

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml' | 'name'

const FORMATS: OutputFormat[] = ['json', 'yaml', 'wide', 'name']

/** The -o value, checked; undefined means the table. */
export function parseOutputFormat (value: string | undefined, verb: string, allowed: OutputFormat[] = FORMATS): OutputFormat {
  if (value === undefined) return 'table'
  if ((allowed as string[]).includes(value)) return value as OutputFormat
  throw new UsageError(`unable to match a printer suitable for the output format "${value}", allowed formats are: ${allowed.join(',')}`, verb)
}

export function toJSON (value: unknown): string {
  return JSON.stringify(value, null, 4) + '\n'
}

export function toYAML (value: unknown): string {
  return YAML.stringify(value, { lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false })
}

/** The object with apiVersion and kind first (list items from a server usually lack them). */
export function withTypeMeta (obj: KObject, r: ResourceInfo): KObject {
  const { apiVersion, kind, ...rest } = obj
  return { apiVersion: apiVersion ?? apiVersionOf(r), kind: kind ?? r.kind, ...rest }
}

/** A kubectl-style `List` of objects. */
export function asList (items: KObject[]): KObject {
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } }
}

/** `pod/x`, `deployment.apps/y`. */
export function nameOf (r: ResourceInfo, obj: KObject): string {
  return `${qualifiedKind(r)}/${obj.metadata?.name ?? ''}`
}

export interface TableOptions {
  wide: boolean
  /** Add a NAMESPACE column first (-A). */
  allNamespaces: boolean
  /** Print names as `kind/name` (when listing several kinds). */
  withKind: boolean
  now: number
}

/** A table of objects of one kind, with the columns the API's Table for that kind has (headers upper-cased, as kubectl prints them). */
export function formatResourceTable (r: ResourceInfo, items: KObject[], opts: TableOptions): string {
  const printer = printerFor(r.group, r.kind)
  const columns = printer.columns.filter(c => opts.wide || c.priority === 0)
  const headers: string[] = []
  if (opts.allNamespaces && r.namespaced) headers.push('NAMESPACE')
  if (printer.name) headers.push('NAME')
  headers.push(...columns.map(c => c.name.toUpperCase()))
  const rows = items.map(obj => {
    const row: string[] = []
    if (opts.allNamespaces && r.namespaced) row.push(obj.metadata?.namespace ?? '')
    if (printer.name) row.push(opts.withKind ? nameOf(r, obj) : obj.metadata?.name ?? '')
    for (const c of columns) row.push(String(c.cell(obj, opts.now)))
    return row
  })
  return renderTable(headers, rows)
}

/** Prints objects (one or many) in a machine format. */
export function formatObjects (format: 'json' | 'yaml' | 'name', objects: Array<{ r: ResourceInfo, obj: KObject }>, single: boolean): string {
  if (format === 'name') return objects.map(o => nameOf(o.r, o.obj) + '\n').join('')
  const typed = objects.map(o => withTypeMeta(o.obj, o.r))
  const value = single && typed.length === 1 ? typed[0] : asList(typed)
  return format === 'json' ? toJSON(value) : toYAML(value)
}
