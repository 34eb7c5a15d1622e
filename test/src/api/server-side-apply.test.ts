// Server-side apply as a pure function: merge of a configuration into the live object,
// removal of fields the manager stopped applying, managedFields in FieldsV1 notation, and
// conflicts with other managers (refused, or taken over with force). Semantics follow the
// Kubernetes documentation "Server-Side Apply" (field management, conflicts, merge strategy).

import { describe, expect, it } from 'vitest'
import { FieldSet } from '../../../src/api/field-set.ts'
import { managedFieldsAfterUpdate, readManagedFields } from '../../../src/api/managed-fields.ts'
import { mergeSemanticsFor } from '../../../src/api/merge-semantics.ts'
import { describePath, fieldSetOf } from '../../../src/api/object-fields.ts'
import { ApplyConflictError, applyConflictStatus, serverSideApply, type ApplyInput } from '../../../src/api/server-side-apply.ts'

const deploySem = mergeSemanticsFor('apps', 'v1', 'Deployment')

function deployment (replicas: number | undefined, containers: Array<Record<string, unknown>>, labels: Record<string, string> = { app: 'web' }): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers } }
  }
  if (replicas !== undefined) spec.replicas = replicas
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', labels }, spec }
}

function apply (live: Record<string, unknown> | undefined, applied: Record<string, unknown>, over: Partial<ApplyInput> = {}): Record<string, unknown> {
  return serverSideApply({
    live, applied, manager: 'kubectl', force: false, apiVersion: 'apps/v1', now: '2026-01-01T00:00:00Z', semantics: deploySem, ignoreStatus: true, ...over
  }).object
}

function meta (obj: Record<string, unknown>): Record<string, unknown> {
  return obj.metadata as Record<string, unknown>
}

function spec (obj: Record<string, unknown>): Record<string, unknown> {
  return obj.spec as Record<string, unknown>
}

function containersOf (obj: Record<string, unknown>): Array<Record<string, unknown>> {
  return ((spec(obj).template as Record<string, unknown>).spec as Record<string, unknown>).containers as Array<Record<string, unknown>>
}

describe('field sets', () => {
  it('writes a configuration\'s fields in FieldsV1: f: fields, k: list elements with ".", atomic selector as a leaf', () => {
    const set = fieldSetOf(deployment(2, [{ name: 'app', image: 'nginx', ports: [{ containerPort: 80 }] }]), deploySem)
    expect(set.toFieldsV1()).toEqual({
      'f:apiVersion': {},
      'f:kind': {},
      'f:metadata': { 'f:labels': { 'f:app': {} }, 'f:name': {}, 'f:namespace': {} },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:containers': {
              'k:{"name":"app"}': {
                '.': {},
                'f:image': {},
                'f:name': {},
                'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } }
              }
            }
          }
        }
      }
    })
  })

  it('reads back what it writes, and refuses keys that are not path elements', () => {
    const set = fieldSetOf({ metadata: { finalizers: ['a/b'] }, spec: { x: { y: 1 } } }, deploySem)
    expect(FieldSet.fromFieldsV1(set.toFieldsV1()).equals(set)).toBe(true)
    expect(set.toFieldsV1()).toEqual({ 'f:metadata': { 'f:finalizers': { 'v:"a/b"': {} } }, 'f:spec': { 'f:x': { 'f:y': {} } } })
    expect(() => FieldSet.fromFieldsV1({ spec: {} })).toThrow(/not a path element/)
    // Owner references are an associative list of atomic elements: each element is one leaf.
    const owned = fieldSetOf({ metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'r', uid: 'u1' }] } }, deploySem)
    expect(owned.toFieldsV1()).toEqual({ 'f:metadata': { 'f:ownerReferences': { 'k:{"uid":"u1"}': {} } } })
  })

  it('prints paths as Kubernetes does in conflict messages', () => {
    expect(describePath(['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"app"}', 'f:image'])).toBe('.spec.template.spec.containers[name="app"].image')
    expect(describePath(['f:metadata', 'f:finalizers', 'v:"x"'])).toBe('.metadata.finalizers[="x"]')
  })
})

describe('serverSideApply', () => {
  it('creates: the object is the configuration, owned by the manager with operation Apply', () => {
    const obj = apply(undefined, deployment(2, [{ name: 'app', image: 'nginx' }]))
    expect(spec(obj).replicas).toBe(2)
    const entries = meta(obj).managedFields as Array<Record<string, unknown>>
    expect(entries).toHaveLength(1)
    expect(entries[0]).toMatchObject({ manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1' })
    // Server-decided metadata (name, namespace) and apiVersion/kind are nobody's.
    expect(entries[0]?.fieldsV1).not.toHaveProperty('f:apiVersion')
    expect((entries[0]?.fieldsV1 as Record<string, Record<string, unknown>>)['f:metadata']).toEqual({ 'f:labels': { 'f:app': {} } })
  })

  it('removes fields the manager applied before and left out, keeps fields set by others', () => {
    const first = apply(undefined, deployment(2, [{ name: 'app', image: 'nginx', args: ['-v'] }], { app: 'web', tier: 'front' }))
    // Someone else adds a label and a sidecar container (an Update by another manager).
    const edited = structuredClone(first)
    ;(meta(edited).labels as Record<string, string>).team = 'blue'
    containersOf(edited).push({ name: 'sidecar', image: 'busybox' })
    meta(edited).managedFields = managedFieldsAfterUpdate({ before: first, after: edited, manager: 'kubectl-edit', apiVersion: 'apps/v1', now: 't2', semantics: deploySem })
    // The defaults the server filled after the first apply are nobody's: they stay.
    containersOf(edited)[0]!.imagePullPolicy = 'IfNotPresent'

    const next = apply(edited, deployment(2, [{ name: 'app', image: 'nginx:2' }]))
    expect(meta(next).labels).toEqual({ app: 'web', team: 'blue' })
    expect(containersOf(next)).toEqual([
      { name: 'app', image: 'nginx:2', imagePullPolicy: 'IfNotPresent' },
      { name: 'sidecar', image: 'busybox' }
    ])
    const managers = (meta(next).managedFields as Array<Record<string, unknown>>).map(e => `${String(e.manager)}/${String(e.operation)}`)
    expect(managers).toEqual(['kubectl/Apply', 'kubectl-edit/Update'])
  })

  it('removes a list element the manager applied and nobody else owns', () => {
    const first = apply(undefined, deployment(1, [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }]))
    const next = apply(first, deployment(1, [{ name: 'a', image: 'x' }]))
    expect(containersOf(next).map(c => c.name)).toEqual(['a'])
  })

  it('prunes a map left empty by removals, unless someone owns it', () => {
    const first = apply(undefined, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data: { a: '1' } })
    const next = apply(first, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' } })
    expect(next).not.toHaveProperty('data')
  })

  it('answers a conflict when another manager owns a field the configuration changes', () => {
    const first = apply(undefined, deployment(2, [{ name: 'app', image: 'nginx' }]))
    const scaled = structuredClone(first)
    spec(scaled).replicas = 5
    meta(scaled).managedFields = managedFieldsAfterUpdate({ before: first, after: scaled, manager: 'kubectl-scale', apiVersion: 'apps/v1', now: 't2', subresource: 'scale', semantics: deploySem })
    // The scaler took replicas from the applier.
    const owners = readManagedFields(meta(scaled).managedFields)
    expect(owners.find(e => e.manager === 'kubectl')?.fields.has(['f:spec', 'f:replicas'])).toBe(false)

    let err: unknown
    try {
      apply(scaled, deployment(3, [{ name: 'app', image: 'nginx' }]))
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ApplyConflictError)
    const status = applyConflictStatus(err as ApplyConflictError).toStatus()
    expect(status).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: 'Apply failed with 1 conflict: conflict with "kubectl-scale" with subresource "scale" using apps/v1: .spec.replicas',
      details: { causes: [{ reason: 'FieldManagerConflict', field: '.spec.replicas', message: 'conflict with "kubectl-scale" with subresource "scale" using apps/v1' }] }
    })

    // The same value is shared ownership, not a conflict.
    const shared = apply(scaled, deployment(5, [{ name: 'app', image: 'nginx' }]))
    const sharedOwners = readManagedFields(meta(shared).managedFields)
    expect(sharedOwners.filter(e => e.fields.has(['f:spec', 'f:replicas'])).map(e => e.manager).sort()).toEqual(['kubectl', 'kubectl-scale'])

    // Force takes the field over.
    const forced = apply(scaled, deployment(3, [{ name: 'app', image: 'nginx' }]), { force: true })
    expect(spec(forced).replicas).toBe(3)
    const forcedOwners = readManagedFields(meta(forced).managedFields)
    expect(forcedOwners.map(e => e.manager)).toEqual(['kubectl'])
  })

  it('conflicts with the same manager\'s Update entry (kubectl scale, then kubectl apply --server-side)', () => {
    const first = apply(undefined, deployment(2, [{ name: 'app', image: 'nginx' }]))
    const scaled = structuredClone(first)
    spec(scaled).replicas = 4
    meta(scaled).managedFields = managedFieldsAfterUpdate({ before: first, after: scaled, manager: 'kubectl', apiVersion: 'apps/v1', now: 't2', subresource: 'scale', semantics: deploySem })
    expect(() => apply(scaled, deployment(3, [{ name: 'app', image: 'nginx' }]))).toThrow('conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas')
    const forced = apply(scaled, deployment(3, [{ name: 'app', image: 'nginx' }]), { force: true })
    expect(readManagedFields(meta(forced).managedFields).map(e => `${e.manager}/${e.operation}`)).toEqual(['kubectl/Apply'])
  })

  it('lists every conflicting field of another applier', () => {
    const first = apply(undefined, deployment(2, [{ name: 'app', image: 'nginx' }]), { manager: 'other' })
    expect(() => apply(first, deployment(3, [{ name: 'app', image: 'nginx:2' }]))).toThrow(
      'Apply failed with 2 conflicts: conflicts with "other":\n- .spec.replicas\n- .spec.template.spec.containers[name="app"].image'
    )
  })

  it('keeps a field two appliers share until the last of them drops it', () => {
    const cm = (data?: Record<string, string>): Record<string, unknown> => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, ...(data === undefined ? {} : { data }) })
    const a1 = apply(undefined, cm({ shared: 'x', onlyA: '1' }), { manager: 'a' })
    const b1 = apply(a1, cm({ shared: 'x' }), { manager: 'b' })
    const a2 = apply(b1, cm(), { manager: 'a' })
    expect(a2.data).toEqual({ shared: 'x' })
    // An empty map sets no key: no conflict with the keys others own, and it keeps them.
    const empty = apply(a2, cm({}), { manager: 'c' })
    expect(empty.data).toEqual({ shared: 'x' })
    const b2 = apply(a2, cm(), { manager: 'b' })
    expect(b2).not.toHaveProperty('data')
    // Nobody owns anything any more: no entries are left.
    expect(meta(b2).managedFields).toEqual([])
  })

  it('merges set lists as sets and removes only the values the manager dropped', () => {
    const withFinalizers = (f: string[]): Record<string, unknown> => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default', finalizers: f } })
    const a = apply(undefined, withFinalizers(['x/a', 'x/shared']), { manager: 'a' })
    const b = apply(a, withFinalizers(['x/b', 'x/shared']), { manager: 'b' })
    expect(meta(b).finalizers).toEqual(['x/a', 'x/shared', 'x/b'])
    const a2 = apply(b, withFinalizers([]), { manager: 'a' })
    expect(meta(a2).finalizers).toEqual(['x/shared', 'x/b'])
  })

  it('changes nothing (not even the entry time) when the same configuration is applied again', () => {
    const cfg = deployment(2, [{ name: 'app', image: 'nginx' }])
    const first = apply(undefined, cfg)
    const again = serverSideApply({ live: first, applied: cfg, manager: 'kubectl', force: false, apiVersion: 'apps/v1', now: 'later', semantics: deploySem, ignoreStatus: true })
    expect(again.changed).toBe(false)
    expect(again.object).toEqual(first)
  })

  it('ignores status and server-decided metadata in a configuration', () => {
    const cfg: Record<string, unknown> = { ...deployment(1, [{ name: 'app', image: 'x' }]), status: { replicas: 9 } }
    meta(cfg).resourceVersion = '5'
    const obj = apply(undefined, cfg)
    expect(obj).not.toHaveProperty('status')
    expect(meta(obj)).not.toHaveProperty('resourceVersion')
  })

  it('merges associative lists by key and replaces atomic ones', () => {
    const live = apply(undefined, deployment(1, [{ name: 'app', image: 'x', command: ['a', 'b'], env: [{ name: 'A', value: '1' }] }]))
    const next = apply(live, deployment(1, [{ name: 'app', image: 'x', command: ['c'], env: [{ name: 'B', value: '2' }] }]))
    expect(containersOf(next)[0]).toEqual({ name: 'app', image: 'x', command: ['c'], env: [{ name: 'B', value: '2' }] })
  })
})

describe('managedFieldsAfterUpdate', () => {
  it('counts the maps an update created as set (".": {}), not the structs', () => {
    const before = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } }
    const after = deployment(1, [{ name: 'app', image: 'x', resources: { limits: { cpu: '1' } } }])
    const entries = managedFieldsAfterUpdate({ before, after, manager: 'kubectl-create', apiVersion: 'apps/v1', now: 't', semantics: deploySem }) ?? []
    const fields = entries[0]?.fieldsV1 as Record<string, any>
    expect(fields['f:metadata']['f:labels']).toEqual({ '.': {}, 'f:app': {} })
    expect(Object.keys(fields['f:spec']['f:template'])).toEqual(['f:metadata', 'f:spec'])
    expect(fields['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"app"}']['f:resources']).toEqual({ 'f:limits': { '.': {}, 'f:cpu': {} } })
  })

  it('gives the writer what it changed and takes it from others; no change, no new entries', () => {
    const first = apply(undefined, deployment(2, [{ name: 'app', image: 'nginx' }]))
    expect(managedFieldsAfterUpdate({ before: first, after: structuredClone(first), manager: 'm', apiVersion: 'apps/v1', now: 't', semantics: deploySem })).toBeUndefined()
    const after = structuredClone(first)
    containersOf(after)[0]!.image = 'nginx:2'
    const entries = managedFieldsAfterUpdate({ before: first, after, manager: 'kubectl-edit', apiVersion: 'apps/v1', now: 't', semantics: deploySem }) ?? []
    expect(entries.map(e => e.manager)).toEqual(['kubectl', 'kubectl-edit'])
    expect(entries[1]?.fieldsV1).toEqual({ 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { 'f:image': {} } } } } } })
    expect(readManagedFields(entries)[0]?.fields.has(['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"app"}', 'f:image'])).toBe(false)
  })
})
