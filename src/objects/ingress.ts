// Ingress (networking.k8s.io/v1): HTTP routes by host and path to Service ports, served by
// the agents that run the ingress role (src/proxy/ingress-role.ts). Validated as Kubernetes
// validates v1 Ingresses: a defaultBackend or rules; hosts are DNS-1123 subdomains, not IPs,
// optionally with one leading `*.` label; every path has a pathType, and Exact and Prefix paths
// are absolute and clean; a backend names a Service (DNS-1035 label) and exactly one of its
// port's number or name. TLS entries are checked for syntax and stored; Flotilla serves plain
// HTTP only. Resource backends (`backend.resource`) are refused: nothing here could serve them.

import { isIP } from 'node:net'
import type { KObject, ObjectMeta } from '../store/types.ts'
import { validateObjectMeta } from './object-meta.ts'
import type { FieldError, KindInfo } from './registry.ts'
import {
  dns1035LabelErrors, dns1123SubdomainErrors, forbidden, ianaSvcNameErrors, intRange, invalid, isRecord, notSupported, required,
  syntaxErrors
} from './validation.ts'

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific'
export const PATH_TYPES: readonly PathType[] = ['Exact', 'Prefix', 'ImplementationSpecific']

export interface ServiceBackendPort { number?: number, name?: string }

export interface IngressBackend {
  service?: { name: string, port: ServiceBackendPort }
}

export interface HTTPIngressPath {
  path?: string
  pathType: PathType
  backend: IngressBackend
}

export interface IngressRule {
  host?: string
  http?: { paths: HTTPIngressPath[] }
}

export interface IngressTLS {
  hosts?: string[]
  secretName?: string
}

export interface IngressSpec {
  ingressClassName?: string
  defaultBackend?: IngressBackend
  rules?: IngressRule[]
  tls?: IngressTLS[]
}

export interface Ingress extends KObject {
  apiVersion: 'networking.k8s.io/v1'
  kind: 'Ingress'
  metadata: ObjectMeta
  spec: IngressSpec
  status?: { loadBalancer?: { ingress?: Array<{ ip?: string, hostname?: string }> } }
}

const WILDCARD = /^\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

/** Problems with an Ingress host (or TLS host): a DNS-1123 subdomain or `*.` and one; never an IP. */
export function ingressHostErrors (host: string): string[] {
  if (isIP(host) !== 0) return ['must be a DNS name, not an IP address']
  if (host.includes('*')) {
    const out = host.length > 253 ? ['must be no more than 253 characters'] : []
    if (!WILDCARD.test(host)) out.push("a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
    return out
  }
  return dns1123SubdomainErrors(host)
}

/** Problems with the path of an Exact or Prefix rule (empty when fine), as Kubernetes words them. */
export function ingressPathErrors (path: string): string[] {
  if (!path.startsWith('/')) return ['must be an absolute path']
  const out: string[] = []
  for (const bad of ['//', '/./', '/../', '%2f', '%2F']) if (path.includes(bad)) out.push(`must not contain '${bad}'`)
  for (const bad of ['/..', '/.']) if (path.endsWith(bad)) out.push(`must not end with '${bad}'`)
  return out
}

function validateBackend (field: string, b: unknown, errors: FieldError[]): void {
  if (!isRecord(b)) {
    errors.push(b === undefined || b === null ? required(field) : invalid(field, b, 'must be an object'))
    return
  }
  if (b.resource !== undefined) errors.push(forbidden(`${field}.resource`, 'resource backends are not supported: route to a Service'))
  const svc = b.service
  if (svc === undefined || svc === null) {
    if (b.resource === undefined) errors.push(required(field, 'a service backend must be specified'))
    return
  }
  if (!isRecord(svc)) {
    errors.push(invalid(`${field}.service`, svc, 'must be an object'))
    return
  }
  if (typeof svc.name !== 'string' || svc.name === '') errors.push(required(`${field}.service.name`))
  else errors.push(...syntaxErrors(`${field}.service.name`, svc.name, dns1035LabelErrors(svc.name)))
  const port = svc.port
  if (!isRecord(port)) {
    errors.push(port === undefined || port === null ? required(`${field}.service.port`) : invalid(`${field}.service.port`, port, 'must be an object'))
    return
  }
  const hasName = port.name !== undefined && port.name !== ''
  const hasNumber = port.number !== undefined && port.number !== 0
  if (hasName && hasNumber) errors.push(invalid(`${field}.service.port`, port, 'cannot set both port name & port number'))
  else if (hasName) {
    if (typeof port.name !== 'string') errors.push(invalid(`${field}.service.port.name`, port.name, 'must be a string'))
    else errors.push(...syntaxErrors(`${field}.service.port.name`, port.name, ianaSvcNameErrors(port.name)))
  } else if (hasNumber) errors.push(...intRange(`${field}.service.port.number`, port.number, 1, 65535))
  else errors.push(required(`${field}.service.port`, 'port name or number is required'))
}

function validatePaths (field: string, paths: unknown, errors: FieldError[]): void {
  if (!Array.isArray(paths) || paths.length === 0) {
    errors.push(paths === undefined || paths === null || Array.isArray(paths) ? required(field) : invalid(field, paths, 'must be a list'))
    return
  }
  paths.forEach((p: unknown, i) => {
    const at = `${field}[${i}]`
    if (!isRecord(p)) return errors.push(invalid(at, p, 'must be an object'))
    const path = p.path ?? ''
    if (typeof path !== 'string') errors.push(invalid(`${at}.path`, path, 'must be a string'))
    if (p.pathType === undefined || p.pathType === '') errors.push(required(`${at}.pathType`, 'pathType must be specified'))
    else if (!PATH_TYPES.includes(p.pathType as PathType)) errors.push(notSupported(`${at}.pathType`, p.pathType, PATH_TYPES))
    else if (typeof path === 'string') {
      if (p.pathType !== 'ImplementationSpecific') errors.push(...syntaxErrors(`${at}.path`, path, ingressPathErrors(path)))
      else if (path !== '' && !path.startsWith('/')) errors.push(invalid(`${at}.path`, path, 'must be an absolute path'))
    }
    validateBackend(`${at}.backend`, p.backend, errors)
    return undefined
  })
}

function validateRules (rules: unknown, errors: FieldError[]): void {
  if (rules === undefined || rules === null) return
  if (!Array.isArray(rules)) {
    errors.push(invalid('spec.rules', rules, 'must be a list'))
    return
  }
  rules.forEach((r: unknown, i) => {
    const at = `spec.rules[${i}]`
    if (!isRecord(r)) return errors.push(invalid(at, r, 'must be an object'))
    if (r.host !== undefined && r.host !== '') {
      if (typeof r.host !== 'string') errors.push(invalid(`${at}.host`, r.host, 'must be a string'))
      else errors.push(...syntaxErrors(`${at}.host`, r.host, ingressHostErrors(r.host)))
    }
    if (r.http === undefined || r.http === null) return undefined
    if (!isRecord(r.http)) return errors.push(invalid(`${at}.http`, r.http, 'must be an object'))
    validatePaths(`${at}.http.paths`, r.http.paths, errors)
    return undefined
  })
}

function validateTls (tls: unknown, errors: FieldError[]): void {
  if (tls === undefined || tls === null) return
  if (!Array.isArray(tls)) {
    errors.push(invalid('spec.tls', tls, 'must be a list'))
    return
  }
  tls.forEach((t: unknown, i) => {
    const at = `spec.tls[${i}]`
    if (!isRecord(t)) return errors.push(invalid(at, t, 'must be an object'))
    if (t.hosts !== undefined && t.hosts !== null) {
      if (!Array.isArray(t.hosts)) errors.push(invalid(`${at}.hosts`, t.hosts, 'must be a list'))
      else {
        t.hosts.forEach((h: unknown, j) => {
          if (typeof h !== 'string') errors.push(invalid(`${at}.hosts[${j}]`, h, 'must be a string'))
          else errors.push(...syntaxErrors(`${at}.hosts[${j}]`, h, ingressHostErrors(h)))
        })
      }
    }
    if (t.secretName !== undefined && t.secretName !== '') {
      if (typeof t.secretName !== 'string') errors.push(invalid(`${at}.secretName`, t.secretName, 'must be a string'))
      else errors.push(...syntaxErrors(`${at}.secretName`, t.secretName, dns1123SubdomainErrors(t.secretName)))
    }
    return undefined
  })
}

function validateSpec (spec: unknown, errors: FieldError[]): void {
  if (!isRecord(spec)) {
    errors.push(spec === undefined || spec === null ? required('spec') : invalid('spec', spec, 'must be an object'))
    return
  }
  const hasRules = Array.isArray(spec.rules) && spec.rules.length > 0
  if (spec.defaultBackend !== undefined && spec.defaultBackend !== null) validateBackend('spec.defaultBackend', spec.defaultBackend, errors)
  else if (!hasRules) errors.push(invalid('spec', spec, 'either `defaultBackend` or `rules` must be specified'))
  validateRules(spec.rules, errors)
  validateTls(spec.tls, errors)
  const cls = spec.ingressClassName
  if (cls !== undefined && cls !== null) {
    if (typeof cls !== 'string') errors.push(invalid('spec.ingressClassName', cls, 'must be a string'))
    else errors.push(...syntaxErrors('spec.ingressClassName', cls, dns1123SubdomainErrors(cls)))
  }
}

export const ingressKind: KindInfo = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'Ingress',
  plural: 'ingresses',
  singular: 'ingress',
  shortNames: ['ing'],
  namespaced: true,
  categories: [],
  subresources: ['status'],
  defaults (): void {},
  validate (obj: KObject): FieldError[] {
    const errors = validateObjectMeta(obj, { namespaced: true, nameErrors: dns1123SubdomainErrors })
    validateSpec(obj.spec, errors)
    return errors
  }
}
