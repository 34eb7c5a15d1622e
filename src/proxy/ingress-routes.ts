// The HTTP routing table of the ingress role, built from every Ingress of the class Flotilla
// serves (ingressClassName or the kubernetes.io/ingress.class annotation unset or 'flotilla').
// Pure: `match(host, path)` names a Service port; `resolveBackend` turns that into the ready
// endpoints behind it. Kubernetes' rules (Ingress API, "Path types" and "Hostname wildcards"):
//
// - Host: the request's Host (lower case, port and trailing dot dropped). A rule for exactly
//   that host beats a wildcard rule (`*.foo.com` matches `bar.foo.com`, one label only, not
//   `foo.com` nor `a.bar.foo.com`), which beats rules without a host. The most specific class
//   that has any rule decides alone, as a virtual host does in nginx or Envoy: its paths are
//   tried, and when none matches the request goes to the defaultBackend, not to a less specific
//   host's rules.
// - Path: Exact matches the path as is (case-sensitive, trailing slash significant) and beats
//   any Prefix. Prefix matches element by element ('/foo' matches '/foo' and '/foo/bar', not
//   '/foobar'; trailing slashes ignored); the longest (most elements) wins.
//   ImplementationSpecific is treated as Prefix.
// - Conflicts between Ingresses (same host and path): the oldest Ingress wins
//   (creationTimestamp, then namespace/name); likewise for the defaultBackend.

import type { KObject } from '../store/types.ts'
import { backendsFor, type Backend } from './service-table.ts'

/** The ingress class Flotilla serves. */
export const FLOTILLA_INGRESS_CLASS = 'flotilla'
const CLASS_ANNOTATION = 'kubernetes.io/ingress.class'

/** A Service port an Ingress routes to, in the Ingress's namespace. */
export interface IngressBackendRef {
  readonly namespace: string
  readonly service: string
  /** The Service port's number, or its name. */
  readonly port: number | string
}

export interface IngressRoute {
  readonly backend: IngressBackendRef
  /** `namespace/name` of the Ingress the route comes from. */
  readonly ingress: string
}

interface PathEntry {
  readonly exact: boolean
  readonly path: string
  /** Prefix paths: the non-empty path elements. */
  readonly elements: readonly string[]
  readonly route: IngressRoute
}

type Rec = Record<string, unknown>
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v)
const records = (v: unknown): Rec[] => Array.isArray(v) ? v.filter(isRecord) : []
const str = (v: unknown): string => typeof v === 'string' ? v : ''
const elementsOf = (path: string): string[] => path.split('/').filter((e) => e !== '')

/** Whether Flotilla serves this Ingress: its class (field, else the old annotation) is unset or 'flotilla'. */
export function servedByFlotilla (ingress: KObject): boolean {
  const spec = isRecord(ingress.spec) ? ingress.spec : {}
  const cls = str(spec.ingressClassName) || str(ingress.metadata.annotations?.[CLASS_ANNOTATION])
  return cls === '' || cls === FLOTILLA_INGRESS_CLASS
}

/** The host a Host header names: lower case, without port or trailing dot ('' when absent). */
export function normalizeHost (header: string | undefined): string {
  let host = (header ?? '').trim().toLowerCase()
  if (host.startsWith('[')) host = host.slice(0, host.indexOf(']') + 1 || host.length)
  else if (host.indexOf(':') === host.lastIndexOf(':')) host = host.split(':')[0] as string
  return host.endsWith('.') ? host.slice(0, -1) : host
}

function backendRef (namespace: string, backend: unknown): IngressBackendRef | undefined {
  const svc = isRecord(backend) && isRecord(backend.service) ? backend.service : undefined
  if (svc === undefined || str(svc.name) === '' || !isRecord(svc.port)) return undefined
  const port = typeof svc.port.number === 'number' && svc.port.number > 0 ? svc.port.number : str(svc.port.name)
  return port === '' ? undefined : { namespace, service: str(svc.name), port }
}

/** Oldest first: creationTimestamp, then namespace/name. */
function byAge (a: KObject, b: KObject): number {
  const ta = a.metadata.creationTimestamp ?? ''
  const tb = b.metadata.creationTimestamp ?? ''
  if (ta !== tb) return ta < tb ? -1 : 1
  const ka = `${a.metadata.namespace ?? ''}/${a.metadata.name}`
  const kb = `${b.metadata.namespace ?? ''}/${b.metadata.name}`
  return ka < kb ? -1 : ka > kb ? 1 : 0
}

export class IngressRoutes {
  /** Paths per exact host, per wildcard suffix (`foo.com` for `*.foo.com`), and for any host. */
  private readonly exact = new Map<string, PathEntry[]>()
  private readonly wildcard = new Map<string, PathEntry[]>()
  private readonly anyHost: PathEntry[] = []
  private defaultRoute: IngressRoute | undefined
  private hasAnyHostRule = false

  /** The table of these Ingresses (those of other classes and those being deleted are left out). */
  constructor (ingresses: readonly KObject[]) {
    const served = ingresses.filter((i) => servedByFlotilla(i) && i.metadata.deletionTimestamp === undefined).sort(byAge)
    for (const ing of served) this.add(ing)
    // Stable sorts keep the oldest Ingress first among equals.
    for (const list of [...this.exact.values(), ...this.wildcard.values(), this.anyHost]) {
      list.sort((a, b) => a.exact === b.exact ? b.elements.length - a.elements.length : a.exact ? -1 : 1)
    }
  }

  /** Where a request for `host` (a Host header) and `path` (the request target) goes; undefined when nowhere. */
  match (host: string | undefined, path: string): IngressRoute | undefined {
    const h = normalizeHost(host)
    const dot = h.indexOf('.')
    const entries = this.exact.get(h) ??
      (dot > 0 ? this.wildcard.get(h.slice(dot + 1)) : undefined) ??
      (this.hasAnyHostRule ? this.anyHost : [])
    const p = pathOf(path)
    const elements = elementsOf(p)
    const hit = entries.find((e) => e.exact ? e.path === p : e.elements.every((el, i) => elements[i] === el))
    return hit?.route ?? this.defaultRoute
  }

  private add (ing: KObject): void {
    const namespace = ing.metadata.namespace ?? ''
    const ingress = `${namespace}/${ing.metadata.name}`
    const spec = isRecord(ing.spec) ? ing.spec : {}
    const fallback = backendRef(namespace, spec.defaultBackend)
    if (fallback !== undefined && this.defaultRoute === undefined) this.defaultRoute = { backend: fallback, ingress }
    for (const rule of records(spec.rules)) {
      const host = str(rule.host).toLowerCase()
      let list: PathEntry[]
      if (host === '') {
        this.hasAnyHostRule = true
        list = this.anyHost
      } else {
        const table = host.startsWith('*.') ? this.wildcard : this.exact
        const key = host.startsWith('*.') ? host.slice(2) : host
        list = table.get(key) ?? []
        table.set(key, list)
      }
      for (const p of records(isRecord(rule.http) ? rule.http.paths : undefined)) {
        const backend = backendRef(namespace, p.backend)
        if (backend === undefined) continue
        const path = str(p.path) || '/'
        list.push({ exact: p.pathType === 'Exact', path, elements: elementsOf(path), route: { backend, ingress } })
      }
    }
  }
}

/** The path of a request target: origin form as is, absolute form's path; without the query. */
export function pathOf (target: string): string {
  let t = target
  if (!t.startsWith('/')) {
    const scheme = t.indexOf('://')
    if (scheme < 0) return '/'
    const slash = t.indexOf('/', scheme + 3)
    t = slash < 0 ? '/' : t.slice(slash)
  }
  const q = t.search(/[?#]/)
  return q < 0 ? t : t.slice(0, q)
}

/** The ready endpoints behind a route's Service port, or why there are none. */
export interface ResolvedBackend {
  /** `namespace/name` of the Service. */
  readonly service: string
  readonly backends: readonly Backend[]
  /** Set when `backends` is empty: what is missing. */
  readonly why?: string
}

/**
 * The ready backends of `ref`: the Service port it names (by number or name) through the
 * Service's spec.ports, then that port's name in the Service's Endpoints (backendsFor).
 */
export function resolveBackend (
  ref: IngressBackendRef,
  serviceOf: (namespace: string, name: string) => KObject | undefined,
  endpointsOf: (namespace: string, name: string) => KObject | undefined
): ResolvedBackend {
  const service = `${ref.namespace}/${ref.service}`
  const svc = serviceOf(ref.namespace, ref.service)
  if (svc === undefined) return { service, backends: [], why: `Service ${service} not found` }
  const spec = isRecord(svc.spec) ? svc.spec : {}
  if (spec.type === 'ExternalName') return { service, backends: [], why: `Service ${service} is of type ExternalName, which ingress does not route to` }
  const port = records(spec.ports).find((p) => (str(p.protocol) || 'TCP') === 'TCP' &&
    (typeof ref.port === 'number' ? p.port === ref.port : str(p.name) === ref.port))
  if (port === undefined) return { service, backends: [], why: `Service ${service} has no TCP port ${typeof ref.port === 'number' ? ref.port : `named "${ref.port}"`}` }
  const backends = backendsFor(endpointsOf(ref.namespace, ref.service), str(port.name), 'TCP')
  return backends.length > 0 ? { service, backends } : { service, backends, why: `Service ${service} has no ready endpoints` }
}
