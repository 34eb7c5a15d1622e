// Discovery documents, as kubectl and client-go read them to map kinds to URLs:
// /api (APIVersions), /apis (APIGroupList), /apis/{group} (APIGroup),
// /api/v1 and /apis/{group}/{version} (APIResourceList), and /version.

import type { KindInfo } from '../objects/registry.ts'
import type { KindIndex } from './routes.ts'

const OBJECT_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']
const SUBRESOURCE_VERBS = ['get', 'patch', 'update']

/** The Kubernetes release whose API this server follows, reported by /version. */
export const KUBERNETES_VERSION = { major: '1', minor: '30', gitVersion: 'v1.30.0-flotilla' }

export interface GroupVersionForDiscovery {
  groupVersion: string
  version: string
}

export interface APIGroup {
  kind?: 'APIGroup'
  apiVersion?: 'v1'
  name: string
  versions: GroupVersionForDiscovery[]
  preferredVersion: GroupVersionForDiscovery
}

export function apiVersions (serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }]
  }
}

function apiGroup (name: string, versions: readonly string[]): APIGroup {
  const list = versions.map(version => ({ groupVersion: `${name}/${version}`, version }))
  const preferred = list[0] ?? { groupVersion: name, version: '' }
  return { name, versions: list, preferredVersion: preferred }
}

/** Every named group (the core group is served at /api, not listed here). */
export function apiGroupList (index: KindIndex): Record<string, unknown> {
  const groups: APIGroup[] = []
  for (const [name, versions] of index.groups) {
    if (name !== '') groups.push(apiGroup(name, versions))
  }
  return { kind: 'APIGroupList', apiVersion: 'v1', groups }
}

export function apiGroupDocument (index: KindIndex, group: string): APIGroup {
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, index.groups.get(group) ?? []) }
}

function subresourceEntry (k: KindInfo, sub: string): Record<string, unknown> {
  const entry: Record<string, unknown> = { name: `${k.plural}/${sub}`, singularName: '', namespaced: k.namespaced, kind: k.kind, verbs: SUBRESOURCE_VERBS }
  if (sub === 'log') entry.verbs = ['get']
  if (sub === 'exec' || sub === 'attach' || sub === 'portforward') entry.verbs = ['create', 'get']
  if (sub === 'eviction') {
    // kubectl drain evicts (instead of deleting) only when discovery names Eviction's group and version.
    entry.verbs = ['create']
    entry.group = 'policy'
    entry.version = 'v1'
    entry.kind = 'Eviction'
  }
  if (sub === 'scale') {
    entry.group = 'autoscaling'
    entry.version = 'v1'
    entry.kind = 'Scale'
  }
  return entry
}

export function apiResourceList (index: KindIndex, group: string, version: string): Record<string, unknown> {
  const resources: Array<Record<string, unknown>> = []
  for (const k of index.at(group, version)?.values() ?? []) {
    const entry: Record<string, unknown> = { name: k.plural, singularName: k.singular, namespaced: k.namespaced, kind: k.kind, verbs: OBJECT_VERBS }
    if (k.shortNames.length > 0) entry.shortNames = k.shortNames
    if (k.categories.length > 0) entry.categories = k.categories
    resources.push(entry)
    for (const sub of k.subresources) resources.push(subresourceEntry(k, sub))
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group === '' ? version : `${group}/${version}`, resources }
}

export function versionInfo (): Record<string, string> {
  return {
    ...KUBERNETES_VERSION,
    gitCommit: '',
    gitTreeState: 'clean',
    buildDate: '1970-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'flotilla',
    platform: `${process.platform}/${process.arch}`
  }
}
