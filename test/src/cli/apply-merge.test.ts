// The merge behind `apply`: file fields win, fields dropped from the file since the last apply
// are removed, fields only the server set (uid, clusterIP, defaults in list items) survive.

import { describe, expect, it } from 'vitest'
import { desiredObject, mergeForApply } from '../../../src/cli/apply-object.ts'
import type { KObject } from '../../../src/cli/client.ts'
import type { ResourceInfo } from '../../../src/cli/discovery.ts'
import { LAST_APPLIED_ANNOTATION, deepEqual, threeWayMerge } from '../../../src/cli/three-way-merge.ts'

const POD: ResourceInfo = { group: '', version: 'v1', kind: 'Pod', plural: 'pods', singular: 'pod', shortNames: ['po'], namespaced: true, verbs: [] }
const NODE: ResourceInfo = { ...POD, kind: 'Node', plural: 'nodes', singular: 'node', namespaced: false }

describe('threeWayMerge', () => {
  it('takes file fields, drops fields removed since the last apply, keeps others\' fields', () => {
    const original = { spec: { a: 1, removed: true }, labels: { x: '1' } }
    const modified = { spec: { a: 2 }, labels: { x: '1', y: '2' } }
    const current = { spec: { a: 1, removed: true, serverDefault: 'd' }, labels: { x: '1', addedByController: 'z' }, status: { phase: 'Running' } }
    expect(threeWayMerge(original, modified, current)).toEqual({
      spec: { a: 2, serverDefault: 'd' },
      labels: { x: '1', y: '2', addedByController: 'z' },
      status: { phase: 'Running' }
    })
  })

  it('merges lists of named items item by item, keeping server defaults inside them', () => {
    const modified = { containers: [{ name: 'web', image: 'nginx:2' }] }
    const current = { containers: [{ name: 'web', image: 'nginx:1', imagePullPolicy: 'IfNotPresent' }] }
    expect(threeWayMerge(modified, modified, current)).toEqual({ containers: [{ name: 'web', image: 'nginx:2', imagePullPolicy: 'IfNotPresent' }] })
  })

  it('replaces lists without a merge key, and drops named items removed from the file', () => {
    expect(threeWayMerge(undefined, { args: ['b'] }, { args: ['a', 'c'] })).toEqual({ args: ['b'] })
    const original = { env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }
    const modified = { env: [{ name: 'A', value: '1' }] }
    expect(threeWayMerge(original, modified, original)).toEqual(modified)
  })

  it('removes a field the file sets to null', () => {
    expect(threeWayMerge(undefined, { spec: { a: null } }, { spec: { a: 1, b: 2 } })).toEqual({ spec: { b: 2 } })
  })

  it('deepEqual ignores key order and undefined fields', () => {
    expect(deepEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1, d: undefined })).toBe(true)
    expect(deepEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false)
  })
})

describe('desiredObject', () => {
  it('strips status and server-owned metadata and settles the namespace', () => {
    const manifest: KObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', uid: 'stale', resourceVersion: '7', creationTimestamp: 'x', annotations: { [LAST_APPLIED_ANNOTATION]: '{}' } },
      spec: {},
      status: { phase: 'Running' }
    }
    expect(desiredObject(manifest, POD, { namespace: 'demo', namespaceExplicit: false })).toEqual({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'demo' }, spec: {} })
    expect(desiredObject({ ...manifest, metadata: { name: 'n', namespace: 'x' } }, NODE, { namespace: 'demo', namespaceExplicit: false }).metadata).toEqual({ name: 'n' })
  })

  it('refuses a manifest namespace that contradicts -n, and a missing name', () => {
    const m: KObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'a' } }
    expect(() => desiredObject(m, POD, { namespace: 'b', namespaceExplicit: true })).toThrow(/does not match the namespace "b"/)
    expect(desiredObject(m, POD, { namespace: 'b', namespaceExplicit: false }).metadata?.namespace).toBe('a')
    expect(() => desiredObject({ apiVersion: 'v1', kind: 'Pod', metadata: {} }, POD, { namespace: 'b', namespaceExplicit: false })).toThrow(/name may not be empty/)
  })
})

describe('mergeForApply', () => {
  const desired: KObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'd', labels: { app: 's' } }, spec: { ports: [{ port: 80 }] } }
  const live = (spec: object, extra: object = {}): KObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 's', namespace: 'd', uid: 'u1', resourceVersion: '5', creationTimestamp: 't', labels: { app: 's' },
      annotations: { [LAST_APPLIED_ANNOTATION]: JSON.stringify(desired) + '\n' },
      ...extra
    },
    spec
  })

  it('is undefined when the live object already matches (apply prints "unchanged")', () => {
    expect(mergeForApply(desired, live({ ports: [{ port: 80, protocol: 'TCP' }], clusterIP: '10.96.0.9' }))).toBeUndefined()
  })

  it('keeps the live uid, resourceVersion and allocated clusterIP when something changed', () => {
    const changed = { ...desired, spec: { ports: [{ port: 8080 }] } }
    const merged = mergeForApply(changed, live({ ports: [{ port: 80, protocol: 'TCP' }], clusterIP: '10.96.0.9' }))
    expect(merged?.metadata).toMatchObject({ uid: 'u1', resourceVersion: '5', creationTimestamp: 't' })
    expect(merged?.spec).toEqual({ ports: [{ port: 8080 }], clusterIP: '10.96.0.9' })
    expect(JSON.parse(merged?.metadata?.annotations?.[LAST_APPLIED_ANNOTATION] ?? '')).toEqual(changed)
  })
})
