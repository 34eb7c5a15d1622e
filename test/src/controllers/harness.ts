// Test harness for the controllers: the real ObjectStore behind a StoreBackend, a
// ManualClock driving both timers and timestamps, a RoleContext, helpers that create
// objects as the API would (defaults, uid, timestamps) and write pod status (no kubelet
// runs here), and settle(): run the controllers until nothing is queued and nothing writes.

import type { RoleContext } from '../../../src/agent/roles.ts'
import { prepareCreate } from '../../../src/api/admission.ts'
import type { ControllerRole } from '../../../src/controllers/controller-role.ts'
import { kindFor } from '../../../src/objects/kinds.ts'
import { splitApiVersion } from '../../../src/objects/registry.ts'
import type { KObject, ObjectRef } from '../../../src/store/types.ts'
import { ManualClock } from '../manual-clock.ts'
import { StoreBackend } from '../store-backend.ts'

export interface ControllerHarness {
  clock: ManualClock
  backend: StoreBackend
  ctx: RoleContext
  logs: string[]
  create: (obj: KObject) => Promise<KObject>
  get: (group: string, kind: string, name: string, namespace?: string) => KObject | undefined
  list: (group: string, kind: string, namespace?: string) => KObject[]
  /** Run `roles` until idle and no write happens in a whole round. */
  settle: (...roles: ControllerRole[]) => Promise<void>
  /** Mark pods Running and Ready (since now), as a kubelet would. */
  makeReady: (pods: KObject[]) => Promise<void>
}

export async function controllerHarness (): Promise<ControllerHarness> {
  const clock = new ManualClock()
  const backend = await StoreBackend.open(() => clock.now())
  const logs: string[] = []
  const ctx: RoleContext = {
    backend,
    nodeName: 'node-a',
    clusterId: 'test-cluster',
    nodeIp: '127.0.0.1',
    dataDir: '/nonexistent',
    runtime: 'fake',
    clock,
    silenceOf: () => undefined,
    log: (line) => { logs.push(line) }
  }
  const create = async (obj: KObject): Promise<KObject> => {
    const kind = kindFor(splitApiVersion(obj.apiVersion).group, obj.kind)
    if (kind === undefined) throw new Error(`unknown kind ${obj.kind}`)
    const prepared = prepareCreate(structuredClone(obj), kind, { uid: backend.newUid(), creationTimestamp: backend.now() })
    const r = await backend.write({ op: 'create', object: prepared })
    if (!r.ok) throw new Error(r.error.message)
    return (r as { object: KObject }).object
  }
  const get = (group: string, kind: string, name: string, namespace = 'default'): KObject | undefined => {
    const ref: ObjectRef = { group, kind, namespace: kind === 'Namespace' ? '' : namespace, name }
    return backend.reader.get(ref)
  }
  const list = (group: string, kind: string, namespace?: string): KObject[] => backend.reader.list(group, kind, namespace).items
  const settle = async (...roles: ControllerRole[]): Promise<void> => {
    for (let round = 0; round < 200; round++) {
      const before = backend.store.appliedIndex
      for (const r of roles) await r.idle()
      await new Promise((resolve) => setImmediate(resolve))
      if (backend.store.appliedIndex === before && roles.every((r) => r.queued === 0)) return
    }
    throw new Error('controllers did not settle in 200 rounds')
  }
  const makeReady = async (pods: KObject[]): Promise<void> => {
    const now = backend.now()
    for (const pod of pods) {
      const status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] }
      const r = await backend.write({ op: 'update', object: { ...pod, status }, subresource: 'status' })
      if (!r.ok) throw new Error(r.error.message)
    }
  }
  return { clock, backend, ctx, logs, create, get, list, settle, makeReady }
}

function workload (kind: 'ReplicaSet' | 'Deployment', name: string, replicas: number, spec: Record<string, unknown>, image: string): KObject {
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
      ...spec
    }
  }
}

export function replicaSet (name: string, replicas: number, spec: Record<string, unknown> = {}): KObject {
  return workload('ReplicaSet', name, replicas, spec, 'busybox')
}

export function pod (name: string, labels: Record<string, string>, extra: Record<string, unknown> = {}): KObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels, ...extra }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }
}

export function deployment (name: string, replicas: number, spec: Record<string, unknown> = {}, image = 'busybox:1'): KObject {
  return workload('Deployment', name, replicas, spec, image)
}

/** A copy of `obj` with `spec` merged in (one level deep), as a client's update would send. */
export function withSpec (obj: KObject, spec: Record<string, unknown>): KObject {
  return { ...obj, spec: { ...(obj.spec as object), ...spec } }
}

/** `obj`'s template with the first container's image changed. */
export function withImage (obj: KObject, image: string): KObject {
  const spec = structuredClone(obj.spec) as { template: { spec: { containers: Array<{ image: string }> } } }
  ;(spec.template.spec.containers[0] as { image: string }).image = image
  return { ...obj, spec }
}
