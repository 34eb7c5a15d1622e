// The OpenAPI schemas of every kind Flotilla serves, compiled once from the type tables, and
// the lookups the OpenAPI documents and field validation need.

import { compileSchemas, referencedSchemas } from './dsl.ts'
import { CONTAINER_TYPES } from './container.ts'
import { CORE_TYPES } from './core.ts'
import { META } from './meta.ts'
import { POD_TYPES } from './pod.ts'
import { APPS_TYPES, NETWORKING_TYPES } from './workloads.ts'

export const SCHEMAS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = compileSchemas([
  META,
  { prefix: 'io.k8s.api.core.v1.', types: { ...POD_TYPES, ...CONTAINER_TYPES, ...CORE_TYPES } },
  { prefix: 'io.k8s.api.apps.v1.', types: APPS_TYPES },
  { prefix: 'io.k8s.api.networking.v1.', types: NETWORKING_TYPES }
])

const byGvk = new Map<string, string>()
for (const [name, schema] of Object.entries(SCHEMAS)) {
  const gvks = schema['x-kubernetes-group-version-kind']
  if (!Array.isArray(gvks)) continue
  for (const g of gvks as Array<{ group: string, version: string, kind: string }>) byGvk.set(`${g.group}/${g.version}/${g.kind}`, name)
}

/** The schema name of a kind (io.k8s.api.core.v1.Pod), or undefined when none is written. */
export function schemaNameFor (group: string, version: string, kind: string): string | undefined {
  return byGvk.get(`${group}/${version}/${kind}`)
}

/** The schemas of these kinds and every schema they refer to, by name, in name order. */
export function schemasFor (kinds: ReadonlyArray<{ group: string, version: string, kind: string }>): Record<string, unknown> {
  const roots = kinds.map(k => schemaNameFor(k.group, k.version, k.kind)).filter((n): n is string => n !== undefined)
  const out: Record<string, unknown> = {}
  for (const name of [...referencedSchemas(SCHEMAS, roots)].sort()) out[name] = SCHEMAS[name]
  return out
}
