// Every kind the API serves, and the lookups kubectl-style names need: `findKind('po')`,
// `findKind('deployments.apps')`, `kindFor('apps', 'Deployment')`,
// `kindForResource('', 'v1', 'pods')`, `kindsInCategory('all')`.

import { configMapKind } from './configmap.ts'
import { deploymentKind } from './deployment.ts'
import { eventKind } from './event.ts'
import { endpointsKind } from './endpoints.ts'
import { ingressKind } from './ingress.ts'
import { namespaceKind } from './namespace.ts'
import { nodeKind } from './node.ts'
import { podKind } from './pod.ts'
import type { KindInfo } from './registry.ts'
import { replicaSetKind } from './replicaset.ts'
import { secretKind } from './secret.ts'
import { serviceKind } from './service.ts'

export const KINDS: readonly KindInfo[] = [
  namespaceKind, nodeKind, podKind, configMapKind, secretKind, serviceKind, endpointsKind, eventKind, deploymentKind, replicaSetKind,
  ingressKind
]

const byGroupKind = new Map<string, KindInfo>(KINDS.map((k) => [`${k.group}/${k.kind}`, k]))
const byResource = new Map<string, KindInfo>(KINDS.map((k) => [`${k.group}/${k.version}/${k.plural}`, k]))

function matchesName (k: KindInfo, name: string): boolean {
  return k.plural === name || k.singular === name || k.kind.toLowerCase() === name || k.shortNames.includes(name)
}

/**
 * The kind a kubectl-style name refers to: plural (`pods`), singular (`pod`), short name
 * (`po`), Kind (`Pod`, any case), optionally qualified by group (`deployments.apps`,
 * `deploy.apps`) or by version and group (`deployments.v1.apps`). Undefined when unknown.
 */
export function findKind (name: string): KindInfo | undefined {
  const lower = name.trim().toLowerCase()
  const direct = KINDS.find((k) => matchesName(k, lower))
  if (direct !== undefined) return direct
  const dot = lower.indexOf('.')
  if (dot < 0) return undefined
  const resource = lower.slice(0, dot)
  const rest = lower.slice(dot + 1)
  return KINDS.find((k) => {
    if (!matchesName(k, resource)) return false
    if (rest === k.group) return true
    return rest === `${k.version}.${k.group}` || (k.group === '' && rest === k.version)
  })
}

/** The kind with this group ('' for core) and Kind name. */
export function kindFor (group: string, kind: string): KindInfo | undefined {
  return byGroupKind.get(`${group}/${kind}`)
}

/** The kind served at /api(s)/{group}/{version}/{plural}. */
export function kindForResource (group: string, version: string, plural: string): KindInfo | undefined {
  return byResource.get(`${group}/${version}/${plural}`)
}

/** Kinds in a category, e.g. `all` for `kubectl get all`. */
export function kindsInCategory (category: string): KindInfo[] {
  return KINDS.filter((k) => k.categories.includes(category))
}

/** `pods` for core kinds, `deployments.apps` for others: how Kubernetes names a resource in messages. */
export function qualifiedResource (group: string, kind: string): string {
  const plural = kindFor(group, kind)?.plural ?? `${kind.toLowerCase()}s`
  return group === '' ? plural : `${plural}.${group}`
}
