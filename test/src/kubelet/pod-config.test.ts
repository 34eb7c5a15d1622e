// What a container is started with (env, envFrom, fieldRef, volumes as files, limits), what
// happens when a referenced ConfigMap is missing, and probes driving readiness and restarts —
// against the FakeRuntime on a ManualClock.

import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { harness, podObject, type Harness } from './helpers.ts'

let h: Harness
afterEach(async () => { await h.close() })

const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default' }, data: { MODE: 'fast', 'app.conf': 'x=1\n' } }
const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sec', namespace: 'default' }, data: { token: Buffer.from('t0k').toString('base64') } }

describe('Container config', () => {
  it('resolves env, envFrom and fieldRef, writes configMap and secret volumes as files, and passes limits', async () => {
    h = await harness()
    await h.create(configMap)
    await h.create(secret)
    h.kubelet.start()
    const uid = (await h.create(podObject('cfg-pod', {
      volumes: [{ name: 'conf', configMap: { name: 'cfg', items: [{ key: 'app.conf', path: 'sub/app.conf' }] } }, { name: 'sec', secret: { secretName: 'sec' } }, { name: 'tmp', emptyDir: {} }],
      containers: [{
        name: 'app',
        image: 'busybox:1',
        command: ['sh'],
        args: ['-c', 'run'],
        workingDir: '/w',
        env: [
          { name: 'A', value: 'a' },
          { name: 'B', value: '$(A)-b' },
          { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'sec', key: 'token' } } },
          { name: 'ME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }
        ],
        envFrom: [{ configMapRef: { name: 'cfg' } }],
        volumeMounts: [{ name: 'conf', mountPath: '/etc/app' }, { name: 'sec', mountPath: '/sec', readOnly: true }, { name: 'tmp', mountPath: '/tmp' }],
        resources: { limits: { cpu: '250m', memory: '128Mi' } }
      }]
    }))).metadata.uid ?? ''
    await h.settle()
    const config = h.runtime.configOf(uid, 'app')
    const env = Object.fromEntries((config?.env ?? []).map((e) => [e.name, e.value]))
    expect(env).toMatchObject({ A: 'a', B: 'a-b', TOKEN: 't0k', ME: 'cfg-pod', MODE: 'fast', 'app.conf': 'x=1\n' })
    expect(env.IP).toBe(h.pod('cfg-pod')?.status?.podIP)
    expect(config).toMatchObject({ command: ['sh'], args: ['-c', 'run'], workingDir: '/w', cpuLimit: 0.25, memoryLimit: 128 * 2 ** 20 })
    const mounts = config?.mounts ?? []
    expect(mounts.map((m) => [m.containerPath, m.readOnly])).toEqual([['/etc/app', false], ['/sec', true], ['/tmp', false]])
    const conf = mounts[0]?.hostPath ?? ''
    expect(conf.startsWith(join(h.dataDir, 'pods', uid, 'volumes'))).toBe(true)
    expect(await readFile(join(conf, 'sub/app.conf'), 'utf8')).toBe('x=1\n')
    expect(await readFile(join(mounts[1]?.hostPath ?? '', 'token'), 'utf8')).toBe('t0k')
  })

  it('waits with CreateContainerConfigError for a missing ConfigMap, and starts once it exists', async () => {
    h = await harness()
    h.kubelet.start()
    await h.create(podObject('needs-cfg', { containers: [{ name: 'app', image: 'busybox:1', env: [{ name: 'M', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'MODE' } } }] }] }))
    await h.settle()
    expect(h.pod('needs-cfg')?.status?.containerStatuses?.[0]?.state?.waiting).toEqual({ reason: 'CreateContainerConfigError', message: 'configmap "cfg" not found' })
    expect(h.pod('needs-cfg')?.status?.phase).toBe('Pending')
    await h.create(configMap)
    await h.advance(10_000)
    expect(h.pod('needs-cfg')?.status?.containerStatuses?.[0]?.state?.running).toBeDefined()
  })
})

describe('Probes', () => {
  it('keeps a container unready while its readiness probe fails, without restarting it', async () => {
    h = await harness()
    h.runtime.execExitCodes.set('check-ready', 1)
    h.kubelet.start()
    await h.create(podObject('rp', { containers: [{ name: 'app', image: 'busybox:1', readinessProbe: { exec: { command: ['check-ready'] }, periodSeconds: 2, failureThreshold: 1 } }] }))
    await h.advance(10_000)
    expect(h.pod('rp')?.status?.containerStatuses?.[0]).toMatchObject({ ready: false, restartCount: 0 })
    expect(h.pod('rp')?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False')
    h.runtime.execExitCodes.set('check-ready', 0)
    await h.advance(2000)
    expect(h.pod('rp')?.status?.containerStatuses?.[0]?.ready).toBe(true)
    expect(h.pod('rp')?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True')
  })

  it('restarts a container whose liveness probe fails failureThreshold times in a row', async () => {
    h = await harness()
    h.runtime.execExitCodes.set('alive', 1)
    h.kubelet.start()
    await h.create(podObject('lp', { containers: [{ name: 'app', image: 'busybox:1', livenessProbe: { exec: { command: ['alive'] }, initialDelaySeconds: 5, periodSeconds: 1, failureThreshold: 3 } }] }))
    await h.advance(6500)
    expect(h.pod('lp')?.status?.containerStatuses?.[0]?.restartCount).toBe(0)
    await h.advance(1000)
    expect(h.pod('lp')?.status?.containerStatuses?.[0]?.restartCount).toBe(1)
    expect(h.logs.some((l) => l.includes('failed liveness probe, will be restarted'))).toBe(true)
    await h.advance(200)
    const events = h.backend.reader.list('', 'Event', 'default').items
    const unhealthy = events.find((e) => e.reason === 'Unhealthy')
    expect(unhealthy).toMatchObject({ type: 'Warning' })
    expect(String(unhealthy?.message)).toMatch(/^Liveness probe failed: /)
    expect(unhealthy?.count).toBeGreaterThanOrEqual(3)
    expect(events.find((e) => e.reason === 'Killing')?.message).toMatch(/^Container app failed liveness probe, will be restarted/)
  })

  it('runs liveness and readiness only after the startup probe succeeded; started is false until then', async () => {
    h = await harness()
    h.runtime.execExitCodes.set('booted', 1)
    h.kubelet.start()
    await h.create(podObject('sp', {
      containers: [{
        name: 'app',
        image: 'busybox:1',
        startupProbe: { exec: { command: ['booted'] }, periodSeconds: 1, failureThreshold: 30 },
        livenessProbe: { exec: { command: ['never-ok'] }, periodSeconds: 1, failureThreshold: 1 }
      }]
    }))
    h.runtime.execExitCodes.set('never-ok', 1)
    await h.advance(5000)
    expect(h.pod('sp')?.status?.containerStatuses?.[0]).toMatchObject({ started: false, ready: false, restartCount: 0 })
    h.runtime.execExitCodes.set('booted', 0)
    h.runtime.execExitCodes.set('never-ok', 0)
    await h.advance(3000)
    expect(h.pod('sp')?.status?.containerStatuses?.[0]).toMatchObject({ started: true, ready: true, restartCount: 0 })
  })
})
