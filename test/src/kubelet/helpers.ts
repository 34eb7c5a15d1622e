// Shared setup for the kubelet's unit tests: a StoreBackend, a ManualClock, a FakeRuntime and a
// Kubelet for node "n1", plus helpers to create objects and let promise jobs settle.

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kubelet, type KubeletOptions } from '../../../src/kubelet/kubelet.ts'
import { FakeRuntime } from '../../../src/kubelet/fake-runtime.ts'
import { podKind, type Pod } from '../../../src/objects/pod.ts'
import type { KObject } from '../../../src/store/types.ts'
import { ManualClock } from '../manual-clock.ts'
import { StoreBackend } from '../store-backend.ts'

export interface Harness {
  backend: StoreBackend
  clock: ManualClock
  runtime: FakeRuntime
  kubelet: Kubelet
  dataDir: string
  logs: string[]
  /** Let queued syncs and status writes finish (no time passes). */
  settle: () => Promise<void>
  /** Advance the clock by `ms` in steps of `step`, settling after each. */
  advance: (ms: number, step?: number) => Promise<void>
  pod: (name: string) => Pod | undefined
  create: (obj: KObject) => Promise<KObject>
  close: () => Promise<void>
}

export async function harness (opts: Partial<KubeletOptions> = {}): Promise<Harness> {
  const clock = new ManualClock()
  const backend = await StoreBackend.open(() => clock.now())
  const runtime = new FakeRuntime(() => backend.now())
  const dataDir = await mkdtemp(join(tmpdir(), 'kubelet-test-'))
  const logs: string[] = []
  await backend.write({ op: 'create', object: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: backend.newUid(), creationTimestamp: backend.now() }, spec: {}, status: {} } })
  const kubelet = new Kubelet({ backend, runtime, clock, nodeName: 'n1', nodeIp: '192.0.2.10', dataDir, log: (l) => { logs.push(l) }, ...opts })
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setImmediate(resolve))
      await kubelet.idle()
    }
  }
  const h: Harness = {
    backend,
    clock,
    runtime,
    kubelet,
    dataDir,
    logs,
    settle,
    async advance (ms, step = 500) {
      let t = 0
      do {
        clock.advance(Math.min(step, ms - t))
        await settle()
        t += step
      } while (t < ms)
    },
    pod: (name) => backend.reader.get({ group: '', kind: 'Pod', namespace: 'default', name }) as Pod | undefined,
    async create (obj) {
      const r = await backend.write({ op: 'create', object: { ...obj, metadata: { uid: backend.newUid(), creationTimestamp: backend.now(), ...obj.metadata } } })
      if (!('object' in r)) throw new Error(JSON.stringify(r))
      return r.object
    },
    async close () {
      await kubelet.stop()
      await backend.close()
      await rm(dataDir, { recursive: true, force: true })
    }
  }
  return h
}

/** A defaulted pod bound to node n1 (or `nodeName`). */
export function podObject (name: string, spec: Partial<Pod['spec']> = {}, nodeName = 'n1'): Pod {
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName, containers: [{ name: 'app', image: 'busybox:1' }], ...spec }
  }
  podKind.defaults(pod)
  return pod
}
