// Ingress rules, as Kubernetes' ValidateIngress for networking.k8s.io/v1: a defaultBackend or
// rules, hosts (DNS names, one leading wildcard label, no IPs), path types and clean absolute
// paths, service backends with exactly one of port number and port name, TLS syntax.

import { describe, expect, it } from 'vitest'
import { ingressHostErrors, ingressKind, ingressPathErrors } from '../../../src/objects/ingress.ts'
import { formatFieldError } from '../../../src/objects/validation.ts'
import type { KObject } from '../../../src/store/types.ts'

function ingress (spec: unknown, name = 'web'): KObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: 'default' }, spec }
}

const errorsOf = (obj: KObject): string[] => ingressKind.validate(obj).map(formatFieldError)
const svc = (name: string, port: Record<string, unknown>): Record<string, unknown> => ({ service: { name, port } })
const rule = (paths: unknown[], host?: string): Record<string, unknown> => ({ ...(host !== undefined ? { host } : {}), http: { paths } })

describe('Ingress', () => {
  it('accepts a full object: class, default backend, hosts, wildcard, every path type, TLS', () => {
    expect(errorsOf(ingress({
      ingressClassName: 'flotilla',
      defaultBackend: svc('fallback', { number: 80 }),
      rules: [
        rule([
          { path: '/', pathType: 'Prefix', backend: svc('web', { name: 'http' }) },
          { path: '/api/v1', pathType: 'Exact', backend: svc('api', { number: 8080 }) },
          { path: '/static', pathType: 'ImplementationSpecific', backend: svc('files', { number: 80 }) },
          { pathType: 'ImplementationSpecific', backend: svc('files', { number: 80 }) }
        ], 'foo.example.com'),
        rule([{ path: '/', pathType: 'Prefix', backend: svc('wild', { number: 80 }) }], '*.example.com'),
        rule([{ path: '/', pathType: 'Prefix', backend: svc('any', { number: 80 }) }]),
        { host: 'default-only.example.com' }
      ],
      tls: [{ hosts: ['foo.example.com', '*.example.com'], secretName: 'example-tls' }, {}]
    }))).toEqual([])
    expect(errorsOf(ingress({ defaultBackend: svc('web', { number: 80 }) }))).toEqual([])
  })

  it('serves networking.k8s.io/v1 ingresses (ing) with a status subresource', () => {
    expect(ingressKind).toMatchObject({ group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', shortNames: ['ing'], namespaced: true, subresources: ['status'] })
  })

  it('needs a spec with a defaultBackend or rules', () => {
    expect(errorsOf(ingress(undefined))).toEqual(['spec: Required value'])
    expect(errorsOf(ingress({ rules: [] }))).toEqual(['spec: Invalid value: {"rules":[]}: either `defaultBackend` or `rules` must be specified'])
  })

  it('checks hosts: DNS-1123 subdomains, one leading `*.`, never an IP address', () => {
    const hostErrors = (host: string): string[] => errorsOf(ingress({ rules: [{ host }] }))
    expect(hostErrors('foo.bar.com')).toEqual([])
    expect(hostErrors('*.bar.com')).toEqual([])
    expect(hostErrors('Foo.com')[0]).toMatch(/^spec\.rules\[0\]\.host: Invalid value: "Foo.com": a lowercase RFC 1123 subdomain/)
    expect(hostErrors('10.0.0.1')).toEqual(['spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address'])
    for (const bad of ['*', '*.', 'foo.*.com', '**.foo.com', '*foo.com', 'a.*']) {
      expect(ingressHostErrors(bad), bad).toHaveLength(1)
      expect(ingressHostErrors(bad)[0], bad).toMatch(/wildcard DNS-1123 subdomain must start with '\*\.'/)
    }
    expect(ingressHostErrors('x'.repeat(254))).toContain('must be no more than 253 characters')
  })

  it('requires paths under http, a pathType from the three, and clean absolute paths for Exact and Prefix', () => {
    expect(errorsOf(ingress({ rules: [{ host: 'a.io', http: {} }] }))).toEqual(['spec.rules[0].http.paths: Required value'])
    expect(errorsOf(ingress({ rules: [rule([{ path: '/', backend: svc('web', { number: 80 }) }])] })))
      .toEqual(['spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified'])
    expect(errorsOf(ingress({ rules: [rule([{ path: '/', pathType: 'Regex', backend: svc('web', { number: 80 }) }])] })))
      .toEqual(['spec.rules[0].http.paths[0].pathType: Unsupported value: "Regex": supported values: "Exact", "Prefix", "ImplementationSpecific"'])
    expect(errorsOf(ingress({ rules: [rule([{ path: 'foo', pathType: 'Prefix', backend: svc('web', { number: 80 }) }])] })))
      .toEqual(['spec.rules[0].http.paths[0].path: Invalid value: "foo": must be an absolute path'])
    expect(errorsOf(ingress({ rules: [rule([{ pathType: 'Exact', backend: svc('web', { number: 80 }) }])] })))
      .toEqual(['spec.rules[0].http.paths[0].path: Invalid value: "": must be an absolute path'])
    expect(errorsOf(ingress({ rules: [rule([{ path: 'foo', pathType: 'ImplementationSpecific', backend: svc('web', { number: 80 }) }])] })))
      .toEqual(['spec.rules[0].http.paths[0].path: Invalid value: "foo": must be an absolute path'])
    expect(ingressPathErrors('/a//b')).toEqual(["must not contain '//'"])
    expect(ingressPathErrors('/a/../b')).toEqual(["must not contain '/../'"])
    expect(ingressPathErrors('/a%2Fb')).toEqual(["must not contain '%2F'"])
    expect(ingressPathErrors('/a/..')).toEqual(["must not end with '/..'"])
    expect(ingressPathErrors('/a/.')).toEqual(["must not end with '/.'"])
    expect(ingressPathErrors('/a/b/')).toEqual([])
  })

  it('checks backends: a Service name and exactly one of port number or name', () => {
    const backendErrors = (backend: unknown): string[] => errorsOf(ingress({ defaultBackend: backend }))
    expect(backendErrors(svc('web', { number: 80, name: 'http' }))).toEqual(['spec.defaultBackend.service.port: Invalid value: {"number":80,"name":"http"}: cannot set both port name & port number'])
    expect(backendErrors(svc('web', {}))).toEqual(['spec.defaultBackend.service.port: Required value: port name or number is required'])
    expect(backendErrors({ service: { name: 'web' } })).toEqual(['spec.defaultBackend.service.port: Required value'])
    expect(backendErrors(svc('web', { number: 70000 }))).toEqual(['spec.defaultBackend.service.port.number: Invalid value: 70000: must be between 1 and 65535, inclusive'])
    expect(backendErrors(svc('web', { name: 'HTTP' }))[0]).toMatch(/^spec\.defaultBackend\.service\.port\.name: Invalid value: "HTTP": must contain only alpha-numeric/)
    expect(backendErrors(svc('', { number: 80 }))).toEqual(['spec.defaultBackend.service.name: Required value'])
    expect(backendErrors(svc('1web', { number: 80 }))[0]).toMatch(/^spec\.defaultBackend\.service\.name: Invalid value: "1web": a DNS-1035 label/)
    expect(backendErrors({})).toEqual(['spec.defaultBackend: Required value: a service backend must be specified'])
    expect(backendErrors({ resource: { kind: 'Bucket', name: 'b' } })).toEqual(['spec.defaultBackend.resource: Forbidden: resource backends are not supported: route to a Service'])
    expect(errorsOf(ingress({ rules: [rule([{ path: '/', pathType: 'Prefix' }])] }))).toEqual(['spec.rules[0].http.paths[0].backend: Required value'])
  })

  it('checks the class name and TLS syntax', () => {
    expect(errorsOf(ingress({ ingressClassName: 'Nginx', defaultBackend: svc('web', { number: 80 }) }))[0])
      .toMatch(/^spec\.ingressClassName: Invalid value: "Nginx": a lowercase RFC 1123 subdomain/)
    expect(errorsOf(ingress({ defaultBackend: svc('web', { number: 80 }), tls: [{ hosts: ['1.2.3.4'], secretName: 'Bad_Secret' }] }))).toEqual([
      'spec.tls[0].hosts[0]: Invalid value: "1.2.3.4": must be a DNS name, not an IP address',
      expect.stringMatching(/^spec\.tls\[0\]\.secretName: Invalid value: "Bad_Secret": a lowercase RFC 1123 subdomain/)
    ])
  })

  it('rejects shapes that are not objects or lists without throwing', () => {
    expect(errorsOf(ingress('nope'))).toEqual(['spec: Invalid value: "nope": must be an object'])
    expect(errorsOf(ingress({ defaultBackend: svc('web', { number: 80 }), rules: 'x', tls: 5 }))).toEqual([
      'spec.rules: Invalid value: "x": must be a list',
      'spec.tls: Invalid value: 5: must be a list'
    ])
    expect(errorsOf(ingress({ rules: [7, { host: 'a.io', http: 'x' }, rule([null])] }))).toEqual([
      'spec.rules[0]: Invalid value: 7: must be an object',
      'spec.rules[1].http: Invalid value: "x": must be an object',
      'spec.rules[2].http.paths[0]: Invalid value: null: must be an object'
    ])
  })
})
