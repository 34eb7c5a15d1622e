// The ingress routing table, against the Kubernetes Ingress documentation's rules: the
// "Examples" table of path matching (Path types), hostname wildcards, precedence of exact
// hosts over wildcards over hostless rules, Exact over Prefix, longest Prefix, the
// defaultBackend, the oldest Ingress on conflicts, and the ingress class filter; then resolving
// a route's Service port (by number or name) to ready endpoints.

import { describe, expect, it } from 'vitest'
import { IngressRoutes, normalizeHost, pathOf, resolveBackend, servedByFlotilla } from '../../../src/proxy/ingress-routes.ts'
import type { KObject } from '../../../src/store/types.ts'

interface PathSpec { path?: string, type?: string, to: string, port?: number | string }
interface RuleSpec { host?: string, paths?: PathSpec[] }

function ing (name: string, rules: RuleSpec[], opts: { created?: string, ns?: string, cls?: string, annotation?: string, fallback?: string } = {}): KObject {
  const backend = (to: string, port: number | string = 80): Record<string, unknown> =>
    ({ service: { name: to, port: typeof port === 'number' ? { number: port } : { name: port } } })
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name,
      namespace: opts.ns ?? 'default',
      creationTimestamp: opts.created ?? '2024-01-01T00:00:00Z',
      ...(opts.annotation !== undefined ? { annotations: { 'kubernetes.io/ingress.class': opts.annotation } } : {})
    },
    spec: {
      ...(opts.cls !== undefined ? { ingressClassName: opts.cls } : {}),
      ...(opts.fallback !== undefined ? { defaultBackend: backend(opts.fallback) } : {}),
      rules: rules.map((r) => ({
        ...(r.host !== undefined ? { host: r.host } : {}),
        ...(r.paths !== undefined ? { http: { paths: r.paths.map((p) => ({ path: p.path, pathType: p.type ?? 'Prefix', backend: backend(p.to, p.port) })) } } : {})
      }))
    }
  }
}

/** The Service a request goes to, or '-' for none. */
const to = (routes: IngressRoutes, host: string | undefined, path: string): string => routes.match(host, path)?.backend.service ?? '-'

describe('path matching (the Kubernetes documentation\'s examples table)', () => {
  it.each([
    // kind, rule path, request path, matches
    ['Prefix', '/', '/aaa/bbb', true],
    ['Prefix', '/', '/', true],
    ['Exact', '/foo', '/foo', true],
    ['Exact', '/foo', '/bar', false],
    ['Exact', '/foo', '/foo/', false],
    ['Exact', '/foo/', '/foo', false],
    ['Prefix', '/foo', '/foo', true],
    ['Prefix', '/foo', '/foo/', true],
    ['Prefix', '/foo/', '/foo', true],
    ['Prefix', '/foo/', '/foo/', true],
    ['Prefix', '/aaa/bb', '/aaa/bbb', false],
    ['Prefix', '/aaa/bbb', '/aaa/bbb', true],
    ['Prefix', '/aaa/bbb/', '/aaa/bbb', true],
    ['Prefix', '/aaa/bbb', '/aaa/bbb/', true],
    ['Prefix', '/aaa/bbb', '/aaa/bbb/ccc', true],
    ['Prefix', '/aaa/bbb', '/aaa/bbbxyz', false],
    ['Prefix', '/foo', '/foobar', false],
    ['Prefix', '/foo', '/FOO', false],
    ['ImplementationSpecific', '/foo', '/foo/bar', true],
    ['ImplementationSpecific', '/foo', '/foobar', false]
  ])('%s %s, request %s: %s', (type, path, request, matches) => {
    const routes = new IngressRoutes([ing('a', [{ paths: [{ path, type, to: 'web' }] }])])
    expect(to(routes, 'any.host', request)).toBe(matches ? 'web' : '-')
  })

  it('prefers Exact over Prefix, then the longest Prefix by elements, whatever the order of the rules', () => {
    const routes = new IngressRoutes([ing('a', [{
      paths: [
        { path: '/', to: 'root' },
        { path: '/aaa', to: 'aaa' },
        { path: '/aaa/bbb', to: 'bbb' },
        { path: '/aaa/bbb', type: 'Exact', to: 'exact' },
        { path: '/aaa/bbb/ccc/', type: 'ImplementationSpecific', to: 'ccc' }
      ]
    }])])
    expect(to(routes, 'h', '/aaa/bbb')).toBe('exact')
    expect(to(routes, 'h', '/aaa/bbb/')).toBe('bbb')
    expect(to(routes, 'h', '/aaa/bbb/x')).toBe('bbb')
    expect(to(routes, 'h', '/aaa/bbb/ccc/d')).toBe('ccc')
    expect(to(routes, 'h', '/aaa/bb')).toBe('aaa')
    expect(to(routes, 'h', '/zzz')).toBe('root')
  })

  it('ignores the query and takes the path of an absolute-form target', () => {
    const routes = new IngressRoutes([ing('a', [{ paths: [{ path: '/api', type: 'Exact', to: 'api' }] }])])
    expect(to(routes, 'h', '/api?x=/y')).toBe('api')
    expect(to(routes, 'h', 'http://h.io/api')).toBe('api')
    expect(pathOf('http://h.io')).toBe('/')
    expect(pathOf('*')).toBe('/')
    expect(pathOf('/a#frag')).toBe('/a')
  })
})

describe('host matching', () => {
  const routes = new IngressRoutes([ing('a', [
    { host: 'foo.bar.com', paths: [{ path: '/', to: 'exact-host' }] },
    { host: '*.bar.com', paths: [{ path: '/', to: 'wildcard' }] },
    { paths: [{ path: '/', to: 'any-host' }] }
  ])])

  it.each([
    ['foo.bar.com', 'exact-host'],
    ['FOO.Bar.com:8080', 'exact-host'],
    ['foo.bar.com.', 'exact-host'],
    ['baz.bar.com', 'wildcard'],
    ['bar.com', 'any-host'],
    ['a.baz.bar.com', 'any-host'],
    ['other.io', 'any-host'],
    ['10.0.0.1:80', 'any-host'],
    ['[::1]:80', 'any-host']
  ])('%s → %s', (host, service) => {
    expect(to(routes, host, '/')).toBe(service)
  })

  it('routes requests without a Host header by the hostless rules', () => {
    expect(to(routes, undefined, '/')).toBe('any-host')
    expect(to(routes, '', '/')).toBe('any-host')
  })

  it('lets the most specific host decide alone, then falls to the defaultBackend', () => {
    const r = new IngressRoutes([
      ing('a', [
        { host: 'foo.bar.com', paths: [{ path: '/api', to: 'api' }] },
        { host: '*.bar.com', paths: [{ path: '/', to: 'wildcard' }] },
        { host: 'only-default.io' },
        { paths: [{ path: '/', to: 'any-host' }] }
      ], { fallback: 'fallback' })
    ])
    expect(to(r, 'foo.bar.com', '/api/x')).toBe('api')
    expect(to(r, 'foo.bar.com', '/web')).toBe('fallback')
    expect(to(r, 'only-default.io', '/')).toBe('fallback')
    expect(to(r, 'x.bar.com', '/web')).toBe('wildcard')
  })

  it('has no route when nothing matches and no Ingress has a defaultBackend', () => {
    const r = new IngressRoutes([ing('a', [{ host: 'foo.io', paths: [{ path: '/app', to: 'app' }] }])])
    expect(r.match('bar.io', '/app')).toBeUndefined()
    expect(r.match('foo.io', '/other')).toBeUndefined()
    expect(new IngressRoutes([]).match('foo.io', '/')).toBeUndefined()
  })

  it('serves a defaultBackend-only Ingress for every request', () => {
    const r = new IngressRoutes([ing('a', [], { fallback: 'fallback' })])
    expect(r.match('anything', '/x/y')).toEqual({ backend: { namespace: 'default', service: 'fallback', port: 80 }, ingress: 'default/a' })
  })
})

describe('several Ingresses', () => {
  it('merges rules of all Ingresses; on conflict the oldest wins (creationTimestamp, then namespace/name)', () => {
    const r = new IngressRoutes([
      ing('young', [{ host: 'a.io', paths: [{ path: '/', to: 'young' }, { path: '/only-young', to: 'only-young' }] }], { created: '2024-02-01T00:00:00Z', fallback: 'young-default' }),
      ing('old', [{ host: 'a.io', paths: [{ path: '/', to: 'old' }] }], { created: '2024-01-01T00:00:00Z', fallback: 'old-default' }),
      ing('b', [{ host: 'b.io', paths: [{ path: '/', to: 'ns-b' }] }], { ns: 'zz' }),
      ing('b', [{ host: 'b.io', paths: [{ path: '/', to: 'ns-a' }] }], { ns: 'aa' })
    ])
    expect(to(r, 'a.io', '/')).toBe('old')
    expect(to(r, 'a.io', '/only-young/x')).toBe('only-young')
    expect(r.match('a.io', '/only-young')?.ingress).toBe('default/young')
    expect(to(r, 'b.io', '/')).toBe('ns-a')
    expect(r.match('b.io', '/')?.backend.namespace).toBe('aa')
    expect(to(r, 'c.io', '/')).toBe('old-default')
  })

  it('serves only its class: ingressClassName or the annotation unset or "flotilla"', () => {
    const mk = (name: string, cls?: string, annotation?: string): KObject =>
      ing(name, [{ host: `${name}.io`, paths: [{ path: '/', to: name }] }], { ...(cls !== undefined ? { cls } : {}), ...(annotation !== undefined ? { annotation } : {}) })
    const all = [mk('plain'), mk('ours', 'flotilla'), mk('nginx', 'nginx'), mk('annotated', undefined, 'flotilla'), mk('old-nginx', undefined, 'nginx')]
    expect(all.filter(servedByFlotilla).map((i) => i.metadata.name)).toEqual(['plain', 'ours', 'annotated'])
    const r = new IngressRoutes(all)
    expect(to(r, 'ours.io', '/')).toBe('ours')
    expect(to(r, 'nginx.io', '/')).toBe('-')
    expect(to(r, 'old-nginx.io', '/')).toBe('-')
  })

  it('leaves out Ingresses being deleted', () => {
    const gone = ing('gone', [{ paths: [{ path: '/', to: 'gone' }] }])
    gone.metadata.deletionTimestamp = '2024-01-02T00:00:00Z'
    expect(new IngressRoutes([gone]).match('h', '/')).toBeUndefined()
  })
})

describe('normalizeHost', () => {
  it.each([['Foo.COM', 'foo.com'], ['foo.com:80', 'foo.com'], ['foo.com.', 'foo.com'], ['[::1]:8080', '[::1]'], ['::1', '::1'], [' a.io ', 'a.io']])('%s → %s', (h, want) => {
    expect(normalizeHost(h)).toBe(want)
  })
})

describe('resolveBackend', () => {
  const service: KObject = {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' },
    spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'admin', port: 9000, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] }
  }
  const endpoints: KObject = {
    apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'default' },
    subsets: [{
      addresses: [{ ip: '10.1.0.1' }, { ip: '10.1.0.2' }],
      notReadyAddresses: [{ ip: '10.1.0.3' }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'admin', port: 9090, protocol: 'TCP' }]
    }]
  }
  const svcOf = (ns: string, name: string): KObject | undefined => ns === 'default' && name === 'web' ? service : undefined
  const epOf = (ns: string, name: string): KObject | undefined => ns === 'default' && name === 'web' ? endpoints : undefined

  it('finds the Service port by number or by name, then its ready endpoints by the port name', () => {
    expect(resolveBackend({ namespace: 'default', service: 'web', port: 80 }, svcOf, epOf))
      .toEqual({ service: 'default/web', backends: [{ ip: '10.1.0.1', port: 8080 }, { ip: '10.1.0.2', port: 8080 }] })
    expect(resolveBackend({ namespace: 'default', service: 'web', port: 'admin' }, svcOf, epOf).backends)
      .toEqual([{ ip: '10.1.0.1', port: 9090 }, { ip: '10.1.0.2', port: 9090 }])
  })

  it('says why there is no backend', () => {
    expect(resolveBackend({ namespace: 'other', service: 'web', port: 80 }, svcOf, epOf)).toEqual({ service: 'other/web', backends: [], why: 'Service other/web not found' })
    expect(resolveBackend({ namespace: 'default', service: 'web', port: 81 }, svcOf, epOf).why).toBe('Service default/web has no TCP port 81')
    expect(resolveBackend({ namespace: 'default', service: 'web', port: 'dns' }, svcOf, epOf).why).toBe('Service default/web has no TCP port named "dns"')
    expect(resolveBackend({ namespace: 'default', service: 'web', port: 80 }, svcOf, () => undefined).why).toBe('Service default/web has no ready endpoints')
    const external: KObject = { ...service, spec: { type: 'ExternalName', externalName: 'example.com' } }
    expect(resolveBackend({ namespace: 'default', service: 'web', port: 80 }, () => external, epOf).why).toMatch(/ExternalName/)
  })

  it('resolves an unnamed single port by number', () => {
    const single: KObject = { ...service, spec: { ports: [{ port: 80, protocol: 'TCP' }] } }
    const eps: KObject = { ...endpoints, subsets: [{ addresses: [{ ip: '10.1.0.9' }], ports: [{ port: 8080, protocol: 'TCP' }] }] }
    expect(resolveBackend({ namespace: 'default', service: 'web', port: 80 }, () => single, () => eps).backends).toEqual([{ ip: '10.1.0.9', port: 8080 }])
  })
})
