// Which resources the server serves, learned the way kubectl learns it: from the discovery
// documents (`/api/v1`, `/apis`, `/apis/{group}/{version}`). Resolves what a user types
// (`pods`, `pod`, `po`, `Pod`, `deploy`, `deployments.apps`, `deployments.v1.apps`) and what a
// manifest says (`apiVersion` + `kind`) to a resource. Kept in memory for one command only.

import { ApiError, CliError } from './errors.ts'

/** One resource (not subresource) as discovery describes it. */
export interface ResourceInfo {
  group: string
  version: string
  kind: string
  /** Lower-case plural used in URLs: `pods`. */
  plural: string
  singular: string
  shortNames: string[]
  namespaced: boolean
  verbs: string[]
}

/** Fetches a JSON document by path; rejects with ApiError on an error status. */
export type GetJSON = (path: string) => Promise<unknown>

interface APIResource { name?: unknown, singularName?: unknown, shortNames?: unknown, namespaced?: unknown, kind?: unknown, verbs?: unknown }

function strings (v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
}

/** The resources of one APIResourceList document, subresources left out. */
export function parseResourceList (doc: unknown, group: string, version: string): ResourceInfo[] {
  const resources = (doc as { resources?: unknown } | null)?.resources
  if (!Array.isArray(resources)) return []
  const out: ResourceInfo[] = []
  for (const r of resources as APIResource[]) {
    if (typeof r.name !== 'string' || r.name.includes('/') || typeof r.kind !== 'string') continue
    const singular = typeof r.singularName === 'string' && r.singularName !== '' ? r.singularName : r.kind.toLowerCase()
    out.push({
      group,
      version,
      kind: r.kind,
      plural: r.name,
      singular,
      shortNames: strings(r.shortNames),
      namespaced: r.namespaced === true,
      verbs: strings(r.verbs)
    })
  }
  return out
}

/** The apiVersion of a resource: `v1` or `apps/v1`. */
export function apiVersionOf (r: Pick<ResourceInfo, 'group' | 'version'>): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`
}

/** How kubectl names a resource in messages: `pod`, `deployment.apps`. */
export function qualifiedKind (r: Pick<ResourceInfo, 'group' | 'kind'>): string {
  const k = r.kind.toLowerCase()
  return r.group === '' ? k : `${k}.${r.group}`
}

function basePath (group: string, version: string): string {
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`
}

export class Discovery {
  private readonly getJSON: GetJSON
  private readonly byGroupVersion = new Map<string, Promise<ResourceInfo[] | undefined>>()
  private everything: Promise<ResourceInfo[]> | undefined

  constructor (getJSON: GetJSON) {
    this.getJSON = getJSON
  }

  /** Resources of one group/version, or undefined when the server does not serve it. */
  groupVersion (group: string, version: string): Promise<ResourceInfo[] | undefined> {
    const key = `${group}/${version}`
    let p = this.byGroupVersion.get(key)
    if (p === undefined) {
      p = this.getJSON(basePath(group, version)).then(
        doc => parseResourceList(doc, group, version),
        (err: unknown) => {
          if (err instanceof ApiError && err.code === 404) return undefined
          throw err
        })
      this.byGroupVersion.set(key, p)
    }
    return p
  }

  /** Every resource: the core group first, then each group's preferred version in server order. */
  all (): Promise<ResourceInfo[]> {
    this.everything ??= this.loadAll()
    return this.everything
  }

  private async loadAll (): Promise<ResourceInfo[]> {
    const groups: Array<[string, string]> = [['', 'v1']]
    try {
      const list = await this.getJSON('/apis') as { groups?: Array<{ name?: unknown, preferredVersion?: { version?: unknown }, versions?: Array<{ version?: unknown }> }> }
      for (const g of list.groups ?? []) {
        const version = g.preferredVersion?.version ?? g.versions?.[0]?.version
        if (typeof g.name === 'string' && typeof version === 'string') groups.push([g.name, version])
      }
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err
    }
    const lists = await Promise.all(groups.map(([g, v]) => this.groupVersion(g, v)))
    return lists.flatMap(l => l ?? [])
  }

  /**
   * The resource a user means by `name` (case-insensitive): plural, singular, short name or
   * kind, optionally qualified as `name.group` or `name.version.group`.
   */
  async resolve (name: string): Promise<ResourceInfo> {
    const all = await this.all()
    const lower = name.toLowerCase()
    const candidates: Array<[string, ResourceInfo[]]> = [[lower, all]]
    const dot = lower.indexOf('.')
    if (dot > 0) {
      const res = lower.slice(0, dot)
      const rest = lower.slice(dot + 1)
      candidates.unshift([res, all.filter(r => r.group === rest || `${r.version}.${r.group}` === rest)])
    }
    for (const [res, pool] of candidates) {
      const hit = pool.find(r => r.plural === res) ??
        pool.find(r => r.singular === res) ??
        pool.find(r => r.shortNames.includes(res)) ??
        pool.find(r => r.kind.toLowerCase() === res)
      if (hit !== undefined) return hit
    }
    throw new CliError(`the server doesn't have a resource type "${name}"`)
  }

  /** The resource for a manifest's apiVersion and kind. */
  async forKind (apiVersion: string, kind: string): Promise<ResourceInfo> {
    const slash = apiVersion.indexOf('/')
    const group = slash < 0 ? '' : apiVersion.slice(0, slash)
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1)
    const list = await this.groupVersion(group, version)
    const hit = list?.find(r => r.kind === kind)
    if (hit === undefined) throw new CliError(`no matches for kind "${kind}" in version "${apiVersion}"`)
    return hit
  }
}

/** URL path of a collection or, with `name`, of one object. `namespace` undefined on a namespaced kind means all namespaces. */
export function resourcePath (r: ResourceInfo, namespace: string | undefined, name?: string): string {
  let p = basePath(r.group, r.version)
  if (r.namespaced && namespace !== undefined) p += `/namespaces/${encodeURIComponent(namespace)}`
  p += `/${r.plural}`
  if (name !== undefined) p += `/${encodeURIComponent(name)}`
  return p
}
