// ConfigMap, Secret, Namespace and Node: their defaults and rules.

import { describe, expect, it } from 'vitest'
import { configMapKind } from '../../../src/objects/configmap.ts'
import { namespaceKind } from '../../../src/objects/namespace.ts'
import { nodeKind } from '../../../src/objects/node.ts'
import { parseQuantity } from '../../../src/objects/quantity.ts'
import { secretKind } from '../../../src/objects/secret.ts'
import { formatFieldError } from '../../../src/objects/validation.ts'
import type { KObject } from '../../../src/store/types.ts'
import type { KindInfo } from '../../../src/objects/registry.ts'

const errorsOf = (k: KindInfo, obj: KObject): string[] => k.validate(obj).map(formatFieldError)

describe('ConfigMap', () => {
  const cm = (extra: Record<string, unknown>): KObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, ...extra })

  it('accepts valid keys and checks bad ones with the field path', () => {
    expect(errorsOf(configMapKind, cm({ data: { 'app.conf': 'x', KEY_1: 'y' }, binaryData: { blob: 'AAEC' } }))).toEqual([])
    const errors = errorsOf(configMapKind, cm({ data: { 'a b': 'x', dup: 'y' }, binaryData: { dup: 'AA==' } }))
    expect(errors[0]).toMatch(/^data\[a b\]: Invalid value: "a b": a valid config key must consist of alphanumeric characters/)
    expect(errors[1]).toBe('binaryData[dup]: Duplicate value: "dup"')
  })

  it('requires binaryData to be base64', () => {
    expect(errorsOf(configMapKind, cm({ binaryData: { b: 'not base64!' } }))).toEqual(['binaryData[b]: Invalid value: "<value omitted>": illegal base64 data at input byte 3'])
  })
})

describe('Secret', () => {
  const secret = (extra: Record<string, unknown>): KObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' }, ...extra })

  it('defaults type Opaque and folds stringData into data', () => {
    const s = secret({ data: { a: 'YQ==' }, stringData: { b: 'hello' } })
    secretKind.defaults(s)
    expect(s).toMatchObject({ type: 'Opaque', data: { a: 'YQ==', b: 'aGVsbG8=' } })
    expect(s.stringData).toBeUndefined()
    const once = structuredClone(s)
    secretKind.defaults(s)
    expect(s).toEqual(once)
  })

  it('requires base64 data and the keys of well-known types', () => {
    expect(errorsOf(secretKind, secret({ data: { a: 'YQ==' } }))).toEqual([])
    expect(errorsOf(secretKind, secret({ data: { a: 'abc' } }))).toEqual(['data[a]: Invalid value: "<value omitted>": illegal base64 data at input byte 0'])
    expect(errorsOf(secretKind, secret({ type: 'kubernetes.io/tls', data: { 'tls.crt': 'YQ==' } }))).toEqual(['data[tls.key]: Required value'])
  })
})

describe('Namespace', () => {
  it('is Active, labelled with its name, and named as a DNS label', () => {
    const ns: KObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } }
    namespaceKind.defaults(ns)
    expect(ns.status).toEqual({ phase: 'Active' })
    expect(ns.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'team-a' })
    expect(errorsOf(namespaceKind, ns)).toEqual([])
    expect(errorsOf(namespaceKind, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a.b' } })[0]).toMatch(/^metadata\.name: Invalid value: "a.b": a lowercase RFC 1123 label/)
    expect(errorsOf(namespaceKind, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a', namespace: 'x' } })).toEqual(['metadata.namespace: Forbidden: not allowed on this type'])
  })
})

describe('Node', () => {
  it('checks taints and capacities', () => {
    const node: KObject = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'agent-1' },
      spec: { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }, { key: 'x', effect: 'Sometimes' }] },
      status: { capacity: { cpu: '4', memory: '8Gi', pods: '110' }, allocatable: { cpu: 'four' } }
    }
    expect(errorsOf(nodeKind, node)).toEqual([
      'spec.taints[1].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
      'status.allocatable[cpu]: Invalid value: "four": quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\''
    ])
  })

  it('parses quantities', () => {
    expect(parseQuantity('500m')).toBe(0.5)
    expect(parseQuantity('8Gi')).toBe(8 * 2 ** 30)
    expect(parseQuantity('1e3')).toBe(1000)
    expect(parseQuantity('1.5G')).toBe(1.5e9)
    expect(parseQuantity('ten')).toBeUndefined()
  })
})
