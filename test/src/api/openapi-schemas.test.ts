// The OpenAPI v3 documents and the schemas in them: every served kind has a schema tagged
// with its group/version/kind (what `kubectl explain` looks up), every reference resolves
// inside its document, the structure follows the Kubernetes API types (spot checks against
// the API reference: list keys, atomic selectors, required fields), documents are built once
// and keep their hash; server-side apply's merge semantics and field validation read the same
// schemas.

import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { KINDS } from '../../../src/objects/kinds.ts'
import { unknownFields } from '../../../src/api/field-validation.ts'
import { mergeSemanticsFor } from '../../../src/api/merge-semantics.ts'
import { openApiDocument, openApiRoot } from '../../../src/api/openapi.ts'
import { KindIndex } from '../../../src/api/routes.ts'
import { schemaNameFor, SCHEMAS } from '../../../src/api/schemas/index.ts'

const index = new KindIndex(KINDS)
type Schema = Record<string, any>

function doc (group: string, version: string): { paths: Record<string, any>, components: { schemas: Record<string, Schema> } } {
  const d = openApiDocument(index, group, version)
  if (d === undefined) throw new Error(`no document for ${group}/${version}`)
  return d as any
}

function refs (v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach(x => refs(x, out))
  else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string') out.push(x)
      else refs(x, out)
    }
  }
  return out
}

describe('OpenAPI v3 documents', () => {
  it('give every served kind a schema tagged with its group, version and kind, in its group/version\'s document', () => {
    for (const k of KINDS) {
      const schemas = doc(k.group, k.version).components.schemas
      const tagged = Object.entries(schemas).filter(([, s]) => (s['x-kubernetes-group-version-kind'] ?? []).some((g: any) => g.group === k.group && g.version === k.version && g.kind === k.kind))
      expect(tagged.map(([n]) => n), k.kind).toEqual([schemaNameFor(k.group, k.version, k.kind)])
      const [, schema] = tagged[0] as [string, Schema]
      expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['apiVersion', 'kind', 'metadata']))
      expect(typeof schema.description).toBe('string')
    }
  })

  it('resolve every $ref inside the same document, and describe every field', () => {
    for (const [group, versions] of index.groups) {
      for (const version of versions) {
        const d = doc(group, version)
        for (const r of refs(d)) expect(Object.keys(d.components.schemas), r).toContain(r.slice('#/components/schemas/'.length))
        for (const [name, s] of Object.entries(d.components.schemas)) {
          for (const [field, fs] of Object.entries((s.properties ?? {}) as Record<string, Schema>)) expect(fs.description, `${name}.${field}`).toMatch(/\S/)
        }
      }
    }
  })

  it('follow the Kubernetes types: list keys, atomic selectors, required fields, int-or-string ports', () => {
    const core = doc('', 'v1').components.schemas
    const podSpec = core['io.k8s.api.core.v1.PodSpec'] as Schema
    expect(podSpec.required).toEqual(['containers'])
    expect(podSpec.properties.containers).toMatchObject({ type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.Container' }] } })
    expect(podSpec.properties.nodeSelector).toMatchObject({ type: 'object', additionalProperties: { type: 'string' }, 'x-kubernetes-map-type': 'atomic' })
    expect((core['io.k8s.api.core.v1.Container'] as Schema).properties.ports['x-kubernetes-list-map-keys']).toEqual(['containerPort', 'protocol'])
    // kubectl's client-side apply merges lists by these, as Kubernetes publishes them.
    expect(podSpec.properties.containers).toMatchObject({ 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge' })
    expect((core['io.k8s.api.core.v1.Container'] as Schema).properties.ports).toMatchObject({ 'x-kubernetes-patch-merge-key': 'containerPort', 'x-kubernetes-patch-strategy': 'merge' })
    expect((core['io.k8s.api.core.v1.Container'] as Schema).properties.command).not.toHaveProperty('x-kubernetes-patch-strategy')
    const svcPort = core['io.k8s.api.core.v1.ServicePort'] as Schema
    expect(svcPort.properties.targetPort.allOf[0].$ref).toBe('#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString')
    expect(svcPort.properties.protocol.default).toBe('TCP')
    const apps = doc('apps', 'v1').components.schemas
    const deploySpec = apps['io.k8s.api.apps.v1.DeploymentSpec'] as Schema
    expect(deploySpec.required).toEqual(['selector', 'template'])
    expect(apps['io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector']?.['x-kubernetes-map-type']).toBe('atomic')
    expect(Object.keys(apps)).toContain('io.k8s.api.core.v1.PodSpec')
    expect(Object.keys(apps)).not.toContain('io.k8s.api.core.v1.Service')
    const ingress = doc('networking.k8s.io', 'v1').components.schemas['io.k8s.api.networking.v1.HTTPIngressPath'] as Schema
    expect(ingress.required).toEqual(['backend', 'pathType'])
  })

  it('keep the PATCH operations with fieldValidation and the apply patch type', () => {
    const patch = doc('apps', 'v1').paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch
    expect(patch.parameters.map((p: any) => p.name)).toEqual(['dryRun', 'fieldManager', 'fieldValidation', 'force'])
    expect(Object.keys(patch.requestBody.content)).toContain('application/apply-patch+yaml')
    expect(patch.responses[200].content['application/json'].schema.$ref).toBe('#/components/schemas/io.k8s.api.apps.v1.Deployment')
  })

  it('are built once: the same document object and hash on every call, a hash that follows the content', () => {
    expect(openApiDocument(index, '', 'v1')).toBe(openApiDocument(index, '', 'v1'))
    const root = openApiRoot(index) as { paths: Record<string, { serverRelativeURL: string }> }
    expect(openApiRoot(index)).toEqual(root)
    expect(root.paths['api/v1']?.serverRelativeURL).toMatch(/^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{32}$/)
    const fewer = new KindIndex(KINDS.filter(k => k.kind !== 'Secret'))
    const other = openApiRoot(fewer) as typeof root
    expect(other.paths['api/v1']?.serverRelativeURL).not.toBe(root.paths['api/v1']?.serverRelativeURL)
    expect(other.paths['apis/apps/v1']?.serverRelativeURL).toBe(root.paths['apis/apps/v1']?.serverRelativeURL)
  })
})

describe('field validation against the schemas', () => {
  const schemaOf = (group: string, version: string, kind: string): Schema => SCHEMAS[schemaNameFor(group, version, kind) ?? ''] as Schema

  it('accepts every example manifest', async () => {
    const text = await readFile(resolve(import.meta.dirname, '../../../examples/manifests/web.yaml'), 'utf8')
    for (const d of parseAllDocuments(text)) {
      const obj = d.toJS() as { apiVersion: string, kind: string }
      const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') as [string, string] : ['', obj.apiVersion]
      expect(unknownFields(obj, schemaOf(group, version, obj.kind)), obj.kind).toEqual([])
    }
  })

  it('names unknown fields as Kubernetes does, and accepts anything inside free-form parts', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      bogus: 1,
      metadata: { name: 'p', labels: { any: 'thing' }, nope: true },
      spec: {
        affinity: { whatever: { deep: [1] } },
        volumes: [{ name: 'v', nfs: { server: 'x' } }],
        containers: [{ name: 'c', image: 'i', imagePolicy: 'Always', env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'x', extra: 1 } } }] }],
        $setElementOrder: [],
        nothing: null
      }
    }
    expect(unknownFields(pod, schemaOf('', 'v1', 'Pod'))).toEqual([
      'bogus', 'metadata.nope', 'spec.containers[0].imagePolicy', 'spec.containers[0].env[0].valueFrom.fieldRef.extra'
    ])
  })
})

describe('merge semantics read from the schemas', () => {
  it('gives associative keys (with schema defaults), sets, atomic lists and atomic objects', () => {
    const pod = mergeSemanticsFor('', 'v1', 'Pod')
    expect(pod.list(['spec', 'containers'])).toEqual({ type: 'associative', keys: ['name'], defaults: {} })
    expect(pod.list(['spec', 'containers', 'ports'])).toEqual({ type: 'associative', keys: ['containerPort', 'protocol'], defaults: { protocol: 'TCP' } })
    expect(pod.list(['metadata', 'finalizers'])).toEqual({ type: 'set' })
    expect(pod.list(['spec', 'containers', 'command'])).toEqual({ type: 'atomic' })
    expect(pod.list(['spec', 'affinity', 'nodeAffinity', 'terms'])).toEqual({ type: 'atomic' })
    expect(pod.atomicObject(['spec', 'nodeSelector'])).toBe(true)
    expect(pod.atomicObject(['metadata', 'ownerReferences'])).toBe(true)
    expect(pod.atomicObject(['metadata', 'labels'])).toBe(false)
    const deploy = mergeSemanticsFor('apps', 'v1', 'Deployment')
    expect(deploy.atomicObject(['spec', 'selector'])).toBe(true)
    expect(deploy.list(['spec', 'template', 'spec', 'volumes'])).toMatchObject({ type: 'associative', keys: ['name'] })
    expect(mergeSemanticsFor('', 'v1', 'Service').list(['spec', 'ports'])).toEqual({ type: 'associative', keys: ['port', 'protocol'], defaults: { protocol: 'TCP' } })
    expect(mergeSemanticsFor('', 'v1', 'Endpoints').list(['subsets'])).toEqual({ type: 'atomic' })
    expect(mergeSemanticsFor('x', 'v1', 'Unknown').list(['spec', 'containers'])).toEqual({ type: 'atomic' })
  })
})
