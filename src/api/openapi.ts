// A minimal OpenAPI v3 discovery, enough for kubectl: /openapi/v3 lists one document per
// group/version, and each document declares, for every kind, the PATCH operation with its
// `x-kubernetes-group-version-kind` and the `fieldValidation` query parameter.
//
// Why: kubectl validates manifests (`--validate=strict`, its default) either by asking the
// server to (when the PATCH operation of the kind lists `fieldValidation`) or by downloading
// schemas; with no OpenAPI at all, `kubectl apply` and `kubectl edit` refuse to run. No
// schemas are published, so the server accepts unknown fields whatever `fieldValidation` says.

import { createHash } from 'node:crypto'
import type { KindInfo } from '../objects/registry.ts'
import type { KindIndex } from './routes.ts'

/** `api/v1` or `apis/{group}/{version}`: the key and URL path of a group/version. */
export function groupVersionPath (group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`
}

const QUERY_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map(name => ({
  name,
  in: 'query',
  schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true }
}))

function patchOperation (k: KindInfo): Record<string, unknown> {
  return {
    operationId: `patch${k.group === '' ? 'Core' : ''}${k.kind}`,
    parameters: QUERY_PARAMS,
    responses: { 200: { description: 'OK' } },
    'x-kubernetes-action': 'patch',
    'x-kubernetes-group-version-kind': { group: k.group, version: k.version, kind: k.kind }
  }
}

/** The OpenAPI document of one group/version, or undefined when none is served. */
export function openApiDocument (index: KindIndex, group: string, version: string): Record<string, unknown> | undefined {
  const kinds = index.at(group, version)
  if (kinds === undefined) return undefined
  const paths: Record<string, unknown> = {}
  for (const k of kinds.values()) {
    const prefix = `/${groupVersionPath(group, version)}${k.namespaced ? '/namespaces/{namespace}' : ''}/${k.plural}/{name}`
    paths[prefix] = { patch: patchOperation(k) }
  }
  return { openapi: '3.0.0', info: { title: 'Flotilla', version: 'v1' }, paths, components: { schemas: {} } }
}

/** /openapi/v3: where each group/version's document is, with a hash clients may cache by. */
export function openApiRoot (index: KindIndex): Record<string, unknown> {
  const paths: Record<string, { serverRelativeURL: string }> = {}
  for (const [group, versions] of index.groups) {
    for (const version of versions) {
      const doc = JSON.stringify(openApiDocument(index, group, version))
      const hash = createHash('sha256').update(doc).digest('hex').slice(0, 32).toUpperCase()
      const path = groupVersionPath(group, version)
      paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hash}` }
    }
  }
  return { paths }
}
