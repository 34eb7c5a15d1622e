// The kubelet on the real Docker Engine: a Kubelet role with the DockerRuntime over an
// in-process store (StoreBackend) and real time. Skipped, saying so, only when no Docker
// Engine answers (CI installs one, so CI never skips). Needs the local image
// flotilla/busybox:test (.ci/busybox-image.sh). Everything is labelled with this run's node
// name and removed by that label afterwards.

import Docker from 'dockerode'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { realClock } from '../../src/controllers/clock.ts'
import { DockerRuntime, LABEL_CLUSTER, LABEL_NODE } from '../../src/kubelet/docker-runtime.ts'
import { Kubelet, type KubeletOptions } from '../../src/kubelet/kubelet.ts'
import { podKind, type Pod } from '../../src/objects/pod.ts'
import type { KObject } from '../../src/store/types.ts'
import { StoreBackend } from '../src/store-backend.ts'
import { acquireLock, releaseLock } from './harness/e2e-lock.ts'
import { waitFor } from './harness/wait.ts'

const IMAGE = 'flotilla/busybox:test'
const NODE = `kubelet-it-${process.pid}`
const CLUSTER = `kubelet-it-cluster-${process.pid}`
const docker = new Docker()
const dockerUp = await docker.ping().then(() => true, () => false)
if (!dockerUp) console.warn('kubelet-docker.test.ts: SKIPPED — no Docker Engine answers at /var/run/docker.sock (start dockerd to run these tests)')

let backend: StoreBackend
let dataDir: string
let runtime: DockerRuntime
let kubelet: Kubelet

function startKubelet (extra: Partial<KubeletOptions> = {}): Kubelet {
  const k = new Kubelet({
    backend, runtime, clock: realClock, nodeName: NODE, nodeIp: '127.0.0.1', dataDir, log: () => {},
    crashBackoff: { baseMs: 1000, maxMs: 4000 }, pullBackoff: { baseMs: 1000, maxMs: 4000 }, relistMs: 250, ...extra
  })
  k.start()
  return k
}

async function create (obj: KObject): Promise<KObject> {
  if (obj.kind === 'Pod') podKind.defaults(obj)
  const r = await backend.write({ op: 'create', object: { ...obj, metadata: { namespace: 'default', uid: backend.newUid(), creationTimestamp: backend.now(), ...obj.metadata } } })
  if (!('object' in r)) throw new Error(JSON.stringify(r))
  return r.object
}

function pod (name: string): Pod | undefined {
  return backend.reader.get({ group: '', kind: 'Pod', namespace: 'default', name }) as Pod | undefined
}

function podSpec (name: string, spec: Partial<Pod['spec']>): KObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: NODE, terminationGracePeriodSeconds: 2, containers: [], ...spec } }
}

async function until<T> (what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  return await waitFor(what, check, { timeoutMs, intervalMs: 100, lastSeen: () => JSON.stringify(pod(what.split(' ')[0] ?? '')?.status ?? null) })
}

async function execIn (podName: string, container: string, cmd: string[]): Promise<string> {
  const [held] = await runtime.listPods(pod(podName)?.metadata.uid)
  const c = held?.containers.find((x) => x.name === container && x.state === 'running')
  if (c === undefined) throw new Error(`${podName}/${container} is not running`)
  const r = await runtime.exec(c.id, cmd, 5000)
  return r.output
}

async function removeOurContainers (): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL_CLUSTER}=${CLUSTER}`, `${LABEL_NODE}=${NODE}`] } })
  await Promise.all(list.map(async (c) => { await docker.getContainer(c.Id).remove({ force: true }).catch(() => {}) }))
}

describe.skipIf(!dockerUp)('Kubelet on Docker', () => {
  beforeAll(async () => {
    await acquireLock()
    backend = await StoreBackend.open(() => Date.now() - Date.UTC(2024, 0, 1))
    dataDir = await mkdtemp(join(tmpdir(), 'kubelet-it-'))
    runtime = new DockerRuntime(docker, { nodeName: NODE, clusterId: CLUSTER })
    await backend.write({ op: 'create', object: { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE, uid: backend.newUid(), creationTimestamp: backend.now() }, spec: {}, status: {} } })
    kubelet = startKubelet()
  }, 300_000)

  afterAll(async () => {
    await kubelet?.stop()
    if (dockerUp) await removeOurContainers()
    await backend?.close()
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
    await releaseLock()
  })

  it('reports the Node Ready with the Docker version, capacity and nodeInfo', async () => {
    const node = await until('node Ready', () => {
      const n = backend.reader.get({ group: '', kind: 'Node', namespace: '', name: NODE })
      const ready = ((n?.status as { conditions?: Array<{ type: string, status: string }> })?.conditions ?? []).find((c) => c.type === 'Ready')
      return ready?.status === 'True' ? n : undefined
    })
    const status = node.status as Record<string, Record<string, string>>
    expect(status.nodeInfo?.containerRuntimeVersion).toMatch(/^docker:\/\/\d/)
    expect(status.capacity).toMatchObject({ pods: '110' })
    expect(status.allocatable?.memory).toMatch(/^\d+Ki$/)
  })

  it('runs an init container, then two containers sharing localhost, with env, envFrom and volumes visible inside', async () => {
    await create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config' }, data: { 'index.html': 'hello from a configmap\n', GREETING: 'hi' } })
    await create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'web-secret' }, type: 'Opaque', data: { password: Buffer.from('s3cret').toString('base64') } })
    await create(podSpec('web', {
      volumes: [{ name: 'www', configMap: { name: 'web-config' } }, { name: 'scratch', emptyDir: {} }, { name: 'creds', secret: { secretName: 'web-secret' } }],
      initContainers: [{ name: 'prepare', image: IMAGE, command: ['sh', '-c', 'echo prepared > /scratch/init'], volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] }],
      containers: [
        {
          name: 'server', image: IMAGE, command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
          ports: [{ containerPort: 8080 }],
          volumeMounts: [{ name: 'www', mountPath: '/www' }, { name: 'scratch', mountPath: '/scratch' }],
          readinessProbe: { httpGet: { path: '/index.html', port: 8080 }, periodSeconds: 1 },
          resources: { limits: { cpu: '500m', memory: '64Mi' } }
        },
        {
          name: 'client', image: IMAGE, command: ['sh', '-c', 'echo from-client > /scratch/note; exec sleep 3600'],
          workingDir: '/scratch',
          env: [
            { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'web-secret', key: 'password' } } },
            { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'MISSING', valueFrom: { configMapKeyRef: { name: 'nope', key: 'x', optional: true } } }
          ],
          envFrom: [{ configMapRef: { name: 'web-config' }, prefix: 'CM_' }],
          volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }, { name: 'creds', mountPath: '/creds', readOnly: true }]
        }
      ]
    }))
    const ready = await until('web Ready', () => pod('web')?.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True') !== undefined && pod('web'))
    expect(ready.status?.phase).toBe('Running')
    const ip = ready.status?.podIP ?? ''
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/)
    expect(ready.status?.containerStatuses?.map((c) => c.containerID)).toEqual([expect.stringMatching(/^docker:\/\//), expect.stringMatching(/^docker:\/\//)])
    expect(await execIn('web', 'client', ['wget', '-qO-', 'http://127.0.0.1:8080/index.html'])).toBe('hello from a configmap\n')
    const env = await execIn('web', 'client', ['env'])
    expect(env).toContain('PASSWORD=s3cret')
    expect(env).toContain(`POD_IP=${ip}`)
    expect(env).toContain('POD_NAME=web')
    expect(env).toContain('CM_GREETING=hi')
    expect(env).not.toContain('MISSING=')
    expect(await execIn('web', 'server', ['cat', '/scratch/note'])).toBe('from-client\n')
    expect(await execIn('web', 'server', ['cat', '/scratch/init'])).toBe('prepared\n')
    expect(ready.status?.initContainerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' })
    expect(await execIn('web', 'client', ['cat', '/creds/password'])).toBe('s3cret')
    // The port is published on the node IP, and limits reach Docker.
    const [held] = await runtime.listPods(ready.metadata.uid)
    const sandbox = await docker.getContainer(held?.sandbox?.id ?? '').inspect()
    const binding = sandbox.NetworkSettings.Ports['8080/tcp']?.[0]
    expect(binding?.HostIp).toBe('127.0.0.1')
    const res = await fetch(`http://127.0.0.1:${binding?.HostPort ?? ''}/index.html`)
    expect(await res.text()).toBe('hello from a configmap\n')
    const server = await docker.getContainer(held?.containers.find((c) => c.name === 'server')?.id ?? '').inspect()
    expect(server.HostConfig.NanoCpus).toBe(5e8)
    expect(server.HostConfig.Memory).toBe(64 * 2 ** 20)
  })

  it('runs a hostNetwork pod on the node network, with the node IP as pod IP', async () => {
    const port = 20_000 + (process.pid % 20_000)
    await create(podSpec('hostnet', { hostNetwork: true, containers: [{ name: 'web', image: IMAGE, command: ['httpd', '-f', '-p', `127.0.0.1:${port}`, '-h', '/bin'], readinessProbe: { tcpSocket: { port }, periodSeconds: 1 } }] }))
    const ready = await until('hostnet Ready', () => pod('hostnet')?.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True') !== undefined && pod('hostnet'))
    expect(ready.status?.podIP).toBe('127.0.0.1')
    expect((await fetch(`http://127.0.0.1:${port}/busybox`, { method: 'HEAD' })).status).toBe(200)
  })

  it('shows ErrImagePull with the engine message, then ImagePullBackOff, for a missing image', async () => {
    await create(podSpec('noimage', { containers: [{ name: 'app', image: 'flotilla/does-not-exist:1' }] }))
    const first = await until('noimage ErrImagePull', () => pod('noimage')?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull' && pod('noimage'))
    expect(first.status?.containerStatuses?.[0]?.state?.waiting?.message).toMatch(/Failed to pull image "flotilla\/does-not-exist:1": .+/)
    expect(first.status?.phase).toBe('Pending')
    await until('noimage ImagePullBackOff', () => pod('noimage')?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff')
  })

  it('restarts a crashing container with a growing delay (CrashLoopBackOff)', async () => {
    await create(podSpec('crash', { containers: [{ name: 'app', image: IMAGE, command: ['sh', '-c', 'echo crashing; exit 3'] }] }))
    await until('crash CrashLoopBackOff', () => pod('crash')?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff')
    const seen = await until('crash restartCount 3', () => (pod('crash')?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 3 && pod('crash'), 30_000)
    const cs = seen.status?.containerStatuses?.[0]
    expect(cs?.lastState?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' })
    const messages = new Set<string>()
    await until('crash back-off 4s', () => {
      const m = pod('crash')?.status?.containerStatuses?.[0]?.state?.waiting?.message
      if (m !== undefined) messages.add(m.replace(/ restarting.*/, ''))
      return messages.has('back-off 4s')
    }, 30_000)
  })

  it('serves logs (tail, follow, previous run) and exec of its containers', async () => {
    await create(podSpec('talker', { containers: [{ name: 'app', image: IMAGE, command: ['sh', '-c', 'i=0; while true; do echo line $i; i=$((i+1)); sleep 0.2; done'] }] }))
    await until('talker Running', () => pod('talker')?.status?.phase === 'Running')
    const ctl = new AbortController()
    let followed = ''
    for await (const chunk of kubelet.io.logs({ namespace: 'default', pod: 'talker', follow: true }, ctl.signal)) {
      followed += chunk
      if (followed.includes('line 3\n')) ctl.abort()
    }
    expect(followed.startsWith('line 0\nline 1\nline 2\nline 3\n')).toBe(true)
    let tail = ''
    for await (const chunk of kubelet.io.logs({ namespace: 'default', pod: 'talker', tailLines: 1 }, new AbortController().signal)) tail += chunk
    expect(tail).toMatch(/^line \d+\n$/)
    let previous = ''
    for await (const chunk of kubelet.io.logs({ namespace: 'default', pod: 'crash', previous: true }, new AbortController().signal)) previous += chunk
    expect(previous).toBe('crashing\n')
    const r = await kubelet.io.exec({ namespace: 'default', pod: 'talker', command: ['sh', '-c', 'echo out; exit 4'] }, new AbortController().signal)
    expect(r).toEqual({ exitCode: 4, output: 'out\n' })
  })

  it('restarts on a failing liveness probe, and a failing readiness probe only makes the pod NotReady', async () => {
    await create(podSpec('probed', {
      containers: [
        { name: 'live', image: IMAGE, command: ['sleep', '3600'], livenessProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 2 } },
        { name: 'unready', image: IMAGE, command: ['sleep', '3600'], readinessProbe: { tcpSocket: { port: 9999 }, periodSeconds: 1 } }
      ]
    }))
    await until('probed restarted', () => (pod('probed')?.status?.containerStatuses?.find((c) => c.name === 'live')?.restartCount ?? 0) >= 1, 20_000)
    const p = pod('probed')
    const unready = p?.status?.containerStatuses?.find((c) => c.name === 'unready')
    expect(unready).toMatchObject({ ready: false, restartCount: 0 })
    expect(unready?.state?.running).toBeDefined()
    expect(p?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False')
  })

  it('adopts its containers after a restart and removes orphans of pods gone meanwhile', async () => {
    await create(podSpec('stay', { containers: [{ name: 'app', image: IMAGE, command: ['sleep', '3600'] }] }))
    await create(podSpec('goner', { containers: [{ name: 'app', image: IMAGE, command: ['sleep', '3600'] }] }))
    await until('stay Running', () => pod('stay')?.status?.phase === 'Running' && pod('goner')?.status?.phase === 'Running')
    const before = pod('stay')?.status?.containerStatuses?.[0]?.containerID
    const goneUid = pod('goner')?.metadata.uid
    await kubelet.stop()
    // While the kubelet is away, the pod is deleted for good (as if replaced elsewhere).
    await backend.write({ op: 'delete', ref: { group: '', kind: 'Pod', namespace: 'default', name: 'goner' } })
    kubelet = startKubelet()
    await until('goner removed', async () => (await runtime.listPods(goneUid)).length === 0)
    expect(pod('stay')?.status?.containerStatuses?.[0]?.containerID).toBe(before)
    expect((await runtime.listPods(pod('stay')?.metadata.uid))[0]?.containers).toHaveLength(1)
  })

  it('deletes gracefully: SIGTERM reaches the container, then the pod object goes', async () => {
    await create(podSpec('bye', { terminationGracePeriodSeconds: 30, containers: [{ name: 'app', image: IMAGE, command: ['sleep', '3600'] }] }))
    await until('bye Running', () => pod('bye')?.status?.phase === 'Running')
    const uid = pod('bye')?.metadata.uid
    const t0 = Date.now()
    await backend.write({ op: 'delete', ref: { group: '', kind: 'Pod', namespace: 'default', name: 'bye' }, deletionTimestamp: backend.now(), gracePeriodSeconds: 30 })
    await until('bye gone', () => pod('bye') === undefined)
    expect(Date.now() - t0).toBeLessThan(10_000) // SIGTERM worked; not the 30 s grace
    expect(await runtime.listPods(uid)).toEqual([])
  })
})
