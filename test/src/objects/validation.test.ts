// Validation primitives: messages read like the Kubernetes API server's and name the field.

import { describe, expect, it } from 'vitest'
import {
  configKeyErrors, dns1035LabelErrors, dns1123LabelErrors, dns1123SubdomainErrors, formatFieldError, invalidMessage,
  labelValueErrors, qualifiedNameErrors, validateAnnotations, validateLabels
} from '../../../src/objects/validation.ts'
import { podKind } from '../../../src/objects/pod.ts'
import type { KObject } from '../../../src/store/types.ts'

const messages = (obj: KObject): string[] => podKind.validate(obj).map(formatFieldError)

function pod (name: string, extra: Partial<KObject['metadata']> = {}): KObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', ...extra }, spec: { containers: [{ name: 'c', image: 'nginx' }] } }
}

describe('name syntax', () => {
  it('accepts DNS-1123 subdomains and rejects the rest with the Kubernetes message', () => {
    expect(dns1123SubdomainErrors('web-1.example')).toEqual([])
    expect(messages(pod('Foo'))).toEqual([
      `metadata.name: Invalid value: "Foo": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`
    ])
    expect(dns1123SubdomainErrors('a'.repeat(254))).toContain('must be no more than 253 characters')
  })

  it('checks labels (63 chars, no dots) and DNS-1035 labels (leading letter)', () => {
    expect(dns1123LabelErrors('a.b')).toHaveLength(1)
    expect(dns1123LabelErrors('a'.repeat(64))[0]).toBe('must be no more than 63 characters')
    expect(dns1035LabelErrors('1abc')[0]).toMatch(/^a DNS-1035 label must consist of/)
    expect(dns1035LabelErrors('abc-1')).toEqual([])
  })

  it('requires a name or generateName, and checks generateName with its dash masked', () => {
    expect(messages(pod(''))).toEqual(['metadata.name: Required value: name or generateName is required'])
    expect(messages(pod('', { generateName: 'web-' }))).toEqual([])
    expect(messages(pod('', { generateName: 'Web-' }))[0]).toMatch(/^metadata\.generateName: Invalid value: "Web-"/)
  })

  it('requires a namespace for namespaced kinds', () => {
    const p = pod('x')
    delete p.metadata.namespace
    expect(messages(p)).toEqual(['metadata.namespace: Required value'])
  })
})

describe('labels and annotations', () => {
  it('accepts qualified keys with prefixes and empty values', () => {
    expect(validateLabels('metadata.labels', { 'app.kubernetes.io/name': 'web', tier: '' })).toEqual([])
    expect(qualifiedNameErrors('example.com/My_Name.1')).toEqual([])
  })

  it('names the bad key or the bad value', () => {
    const errors = validateLabels('metadata.labels', { 'bad key': 'ok', good: 'bad value', 'UPPER.com/x': 'v' }).map(formatFieldError)
    expect(errors[0]).toMatch(/^metadata\.labels: Invalid value: "bad key": name part must consist of alphanumeric characters/)
    expect(errors[1]).toMatch(/^metadata\.labels\[good\]: Invalid value: "bad value": a valid label must be an empty string or consist of/)
    expect(errors[2]).toMatch(/^metadata\.labels: Invalid value: "UPPER.com\/x": prefix part a lowercase RFC 1123 subdomain/)
    expect(labelValueErrors('x'.repeat(64))).toContain('must be no more than 63 characters')
  })

  it('limits annotations to 256 KiB in total', () => {
    expect(validateAnnotations('metadata.annotations', { a: 'x'.repeat(262_144) }).map(formatFieldError))
      .toEqual(['metadata.annotations: Too long: may not be more than 262144 bytes'])
  })
})

describe('messages', () => {
  it('joins errors the way a 422 Status says them', () => {
    const errors = podKind.validate({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{}] } })
    expect(invalidMessage('Pod', 'p', errors)).toBe('Pod "p" is invalid: [spec.containers[0].name: Required value, spec.containers[0].image: Required value]')
    expect(invalidMessage('Pod', 'p', errors.slice(0, 1))).toBe('Pod "p" is invalid: spec.containers[0].name: Required value')
    expect(errors[0]?.reason).toBe('FieldValueRequired')
  })

  it('checks config keys', () => {
    expect(configKeyErrors('key.name_1-x')).toEqual([])
    expect(configKeyErrors('..data')).toContain("must not start with '..'")
    expect(configKeyErrors('a b')[0]).toMatch(/^a valid config key must consist of alphanumeric characters/)
  })
})
