// OpenAPI v3 discovery, as kubectl reads it: /openapi/v3 lists one document per
// group/version (with a hash clients cache by), and each document carries, for every kind
// served there, the PATCH operation with its `x-kubernetes-group-version-kind` and the
// `fieldValidation` query parameter, plus components.schemas: the kind's schema (tagged with
// its group/version/kind) and every schema it refers to, with field descriptions.
//
// Why: `kubectl explain` reads the schemas; kubectl validates manifests (`--validate=strict`,
// its default) by asking the server to (the PATCH operation lists `fieldValidation`, and the
// server checks unknown fields against these same schemas: field-validation.ts); with no
// OpenAPI at all, `kubectl apply` and `kubectl edit` refuse to run.
//
// The documents depend only on the served kinds, so each is built and hashed once per
// KindIndex and reused.

import { createHash } from 'node:crypto'
import type { KindInfo } from '../objects/registry.ts'
import type { KindIndex } from './routes.ts'
import { schemasFor } from './schemas/index.ts'

/** `api/v1` or `apis/{group}/{version}`: the key and URL path of a group/version. */
export function groupVersionPath (group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`
}

const QUERY_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map(name => ({
  name,
  in: 'query',
  schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true }
}))

const PATCH_BODY_TYPES = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json']

function patchOperation (k: KindInfo, schemaRef: Record<string, unknown>): Record<string, unknown> {
  return {
    operationId: `patch${k.group === '' ? 'Core' : ''}${k.kind}`,
    parameters: QUERY_PARAMS,
    requestBody: { content: Object.fromEntries(PATCH_BODY_TYPES.map(t => [t, { schema: { type: 'object' } }])), required: true },
    responses: { 200: { description: 'OK', content: { 'application/json': { schema: schemaRef } } } },
    'x-kubernetes-action': 'patch',
    'x-kubernetes-group-version-kind': { group: k.group, version: k.version, kind: k.kind }
  }
}

function buildDocument (index: KindIndex, group: string, version: string): Record<string, unknown> | undefined {
  const kinds = index.at(group, version)
  if (kinds === undefined) return undefined
  const schemas = schemasFor([...kinds.values()])
  const paths: Record<string, unknown> = {}
  for (const k of kinds.values()) {
    const prefix = `/${groupVersionPath(group, version)}${k.namespaced ? '/namespaces/{namespace}' : ''}/${k.plural}/{name}`
    const name = Object.keys(schemas).find(n => {
      const gvk = (schemas[n] as Record<string, unknown>)['x-kubernetes-group-version-kind']
      return Array.isArray(gvk) && gvk.some((g: { group: string, version: string, kind: string }) => g.group === k.group && g.version === k.version && g.kind === k.kind)
    })
    paths[prefix] = { patch: patchOperation(k, name === undefined ? { type: 'object' } : { $ref: `#/components/schemas/${name}` }) }
  }
  return { openapi: '3.0.0', info: { title: 'Flotilla', version: 'v1' }, paths, components: { schemas } }
}

interface Built { doc: Record<string, unknown> | undefined, hash: string }

const cache = new WeakMap<KindIndex, Map<string, Built>>()

function built (index: KindIndex, group: string, version: string): Built {
  let perIndex = cache.get(index)
  if (perIndex === undefined) {
    perIndex = new Map()
    cache.set(index, perIndex)
  }
  const key = groupVersionPath(group, version)
  let b = perIndex.get(key)
  if (b === undefined) {
    const doc = buildDocument(index, group, version)
    const hash = createHash('sha256').update(JSON.stringify(doc) ?? '').digest('hex').slice(0, 32).toUpperCase()
    b = { doc, hash }
    perIndex.set(key, b)
  }
  return b
}

/** The OpenAPI document of one group/version (shared: do not modify), or undefined when none is served. */
export function openApiDocument (index: KindIndex, group: string, version: string): Record<string, unknown> | undefined {
  return built(index, group, version).doc
}

/** /openapi/v3: where each group/version's document is, with a hash clients may cache by. */
export function openApiRoot (index: KindIndex): Record<string, unknown> {
  const paths: Record<string, { serverRelativeURL: string }> = {}
  for (const [group, versions] of index.groups) {
    for (const version of versions) {
      const path = groupVersionPath(group, version)
      paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${built(index, group, version).hash}` }
    }
  }
  return { paths }
}
