// Endpoints (core/v1): the addresses behind a Service, grouped in subsets that share one list
// of ports. The endpoints controller writes them for Services with a selector; a client may
// write them for Services without one. Validated as Kubernetes validates them: every subset
// has an address, IPs are usable endpoint IPs (not unspecified, loopback or link-local),
// hostnames are DNS-1123 labels, ports are 1–65535 with TCP/UDP/SCTP (defaulted to TCP) and,
// when a subset lists several, carry unique DNS-1123 label names.

import { isIP } from 'node:net'
import type { KObject, ObjectMeta } from '../store/types.ts'
import { validateObjectMeta } from './object-meta.ts'
import type { FieldError, KindInfo } from './registry.ts'
import {
  dns1123LabelErrors, dns1123SubdomainErrors, duplicate, intRange, invalid, isRecord, notSupported, qualifiedNameErrors,
  required, syntaxErrors
} from './validation.ts'

export interface EndpointReference {
  kind: 'Pod'
  namespace: string
  name: string
  uid: string
}

export interface EndpointAddress {
  ip: string
  hostname?: string
  nodeName?: string
  targetRef?: EndpointReference
}

export interface EndpointPort {
  name?: string
  port: number
  protocol: 'TCP' | 'UDP' | 'SCTP'
  appProtocol?: string
}

export interface EndpointSubset {
  addresses?: EndpointAddress[]
  notReadyAddresses?: EndpointAddress[]
  ports?: EndpointPort[]
}

export interface Endpoints extends KObject {
  apiVersion: 'v1'
  kind: 'Endpoints'
  metadata: ObjectMeta
  subsets?: EndpointSubset[]
}

const PROTOCOLS = ['TCP', 'UDP', 'SCTP']

/**
 * Why `ip` cannot be an endpoint (empty when it can). Unspecified and loopback addresses mean
 * nothing to another node, and link-local ones are used for node-local services (metadata).
 */
export function endpointIPErrors (ip: string): string[] {
  const family = isIP(ip)
  if (family === 0) return ['must be a valid IP address']
  const out: string[] = []
  if (family === 4) {
    const [a, b, c] = ip.split('.').map(Number) as [number, number, number]
    if (ip === '0.0.0.0') out.push(`may not be unspecified (${ip})`)
    if (a === 127) out.push('may not be in the loopback range (127.0.0.0/8, ::1/128)')
    if (a === 169 && b === 254) out.push('may not be in the link-local range (169.254.0.0/16, fe80::/10)')
    if (a === 224 && b === 0 && c === 0) out.push('may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)')
    return out
  }
  const first = ipv6Groups(ip)
  if (first.every((g) => g === 0)) out.push(`may not be unspecified (${ip})`)
  else if (first.slice(0, 7).every((g) => g === 0) && first[7] === 1) out.push('may not be in the loopback range (127.0.0.0/8, ::1/128)')
  const head = first[0] ?? 0
  if ((head & 0xffc0) === 0xfe80) out.push('may not be in the link-local range (169.254.0.0/16, fe80::/10)')
  if (head === 0xff02) out.push('may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)')
  return out
}

/** The eight 16-bit groups of a valid IPv6 address (an embedded IPv4 tail counts as two). */
function ipv6Groups (ip: string): number[] {
  let text = ip.split('%')[0] as string
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number]
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [left, right] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined]
  const parse = (s: string): number[] => s === '' ? [] : s.split(':').map((g) => parseInt(g, 16))
  const l = parse(left)
  if (right === undefined) return l
  const r = parse(right)
  return [...l, ...new Array<number>(8 - l.length - r.length).fill(0), ...r]
}

function validateAddress (field: string, a: unknown, errors: FieldError[]): void {
  if (!isRecord(a)) {
    errors.push(invalid(field, a, 'must be an object'))
    return
  }
  if (typeof a.ip !== 'string' || a.ip === '') errors.push(required(`${field}.ip`))
  else errors.push(...syntaxErrors(`${field}.ip`, a.ip, endpointIPErrors(a.ip)))
  if (a.hostname !== undefined && a.hostname !== '') {
    if (typeof a.hostname !== 'string') errors.push(invalid(`${field}.hostname`, a.hostname, 'must be a string'))
    else errors.push(...syntaxErrors(`${field}.hostname`, a.hostname, dns1123LabelErrors(a.hostname)))
  }
  if (a.nodeName !== undefined) {
    if (typeof a.nodeName !== 'string') errors.push(invalid(`${field}.nodeName`, a.nodeName, 'must be a string'))
    else errors.push(...syntaxErrors(`${field}.nodeName`, a.nodeName, dns1123SubdomainErrors(a.nodeName)))
  }
  if (a.targetRef !== undefined && !isRecord(a.targetRef)) errors.push(invalid(`${field}.targetRef`, a.targetRef, 'must be an object'))
}

function validatePorts (field: string, ports: unknown, errors: FieldError[]): void {
  if (ports === undefined || ports === null) return
  if (!Array.isArray(ports)) {
    errors.push(invalid(field, ports, 'must be a list'))
    return
  }
  const names = new Set<string>()
  ports.forEach((p: unknown, i) => {
    const at = `${field}[${i}]`
    if (!isRecord(p)) return errors.push(invalid(at, p, 'must be an object'))
    if (p.name === undefined || p.name === '') {
      if (ports.length > 1) errors.push(required(`${at}.name`))
    } else if (typeof p.name !== 'string') errors.push(invalid(`${at}.name`, p.name, 'must be a string'))
    else {
      errors.push(...syntaxErrors(`${at}.name`, p.name, dns1123LabelErrors(p.name)))
      if (names.has(p.name)) errors.push(duplicate(`${at}.name`, p.name))
      names.add(p.name)
    }
    if (p.port === undefined) errors.push(required(`${at}.port`))
    else errors.push(...intRange(`${at}.port`, p.port, 1, 65535))
    if (p.protocol === undefined || p.protocol === '') errors.push(required(`${at}.protocol`))
    else if (!PROTOCOLS.includes(p.protocol as string)) errors.push(notSupported(`${at}.protocol`, p.protocol, PROTOCOLS))
    if (p.appProtocol !== undefined) {
      if (typeof p.appProtocol !== 'string') errors.push(invalid(`${at}.appProtocol`, p.appProtocol, 'must be a string'))
      else errors.push(...syntaxErrors(`${at}.appProtocol`, p.appProtocol, qualifiedNameErrors(p.appProtocol)))
    }
    return undefined
  })
}

function validateSubsets (subsets: unknown, errors: FieldError[]): void {
  if (subsets === undefined || subsets === null) return
  if (!Array.isArray(subsets)) {
    errors.push(invalid('subsets', subsets, 'must be a list'))
    return
  }
  subsets.forEach((s: unknown, i) => {
    const field = `subsets[${i}]`
    if (!isRecord(s)) return errors.push(invalid(field, s, 'must be an object'))
    const lists: Array<'addresses' | 'notReadyAddresses'> = ['addresses', 'notReadyAddresses']
    let count = 0
    for (const list of lists) {
      const addrs = s[list]
      if (addrs === undefined || addrs === null) continue
      if (!Array.isArray(addrs)) {
        errors.push(invalid(`${field}.${list}`, addrs, 'must be a list'))
        continue
      }
      count += addrs.length
      addrs.forEach((a: unknown, j) => { validateAddress(`${field}.${list}[${j}]`, a, errors) })
    }
    if (count === 0) errors.push(required(field, 'must specify `addresses` or `notReadyAddresses`'))
    validatePorts(`${field}.ports`, s.ports, errors)
    return undefined
  })
}

export const endpointsKind: KindInfo = {
  group: '',
  version: 'v1',
  kind: 'Endpoints',
  plural: 'endpoints',
  singular: 'endpoints',
  shortNames: ['ep'],
  namespaced: true,
  categories: [],
  subresources: [],
  defaults (obj: KObject): void {
    if (!Array.isArray(obj.subsets)) return
    for (const s of obj.subsets) {
      if (!isRecord(s) || !Array.isArray(s.ports)) continue
      for (const p of s.ports) {
        if (isRecord(p) && (p.protocol === undefined || p.protocol === '')) p.protocol = 'TCP'
      }
    }
  },
  validate (obj: KObject): FieldError[] {
    const errors = validateObjectMeta(obj, { namespaced: true, nameErrors: dns1123SubdomainErrors })
    validateSubsets(obj.subsets, errors)
    return errors
  }
}
