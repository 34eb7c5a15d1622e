// The kubelet's pod sync against the FakeRuntime on a ManualClock: pods bound here start and
// report Running/Ready; crashes restart with back-off (CrashLoopBackOff, 10 s doubling);
// restartPolicy is honoured; graceful deletion stops containers then removes the pod;
// orphans are removed; a missing image shows ErrImagePull then ImagePullBackOff.

import { afterEach, describe, expect, it } from 'vitest'
import { harness, podObject, type Harness } from './helpers.ts'
import { containerPath, formatPullDuration } from '../../../src/kubelet/pod-sync.ts'

let h: Harness
afterEach(async () => { await h.close() })

function state (h: Harness, name: string, container = 'app'): Record<string, unknown> | undefined {
  return h.pod(name)?.status?.containerStatuses?.find((c) => c.name === container)?.state as Record<string, unknown> | undefined
}

describe('Kubelet with the FakeRuntime', () => {
  it('starts a pod bound to its node and reports it Running and Ready, in one status write', async () => {
    h = await harness()
    h.kubelet.start()
    await h.create(podObject('web'))
    await h.create(podObject('elsewhere', {}, 'n2'))
    await h.settle()
    const pod = h.pod('web')
    expect(pod?.status?.phase).toBe('Running')
    expect(pod?.status?.podIP).toMatch(/^10\.88\./)
    expect(pod?.status?.hostIP).toBe('192.0.2.10')
    expect(pod?.status?.startTime).toBeDefined()
    expect(pod?.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual(['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True'])
    const cs = pod?.status?.containerStatuses?.[0]
    expect(cs).toMatchObject({ name: 'app', image: 'busybox:1', ready: true, started: true, restartCount: 0 })
    expect(cs?.containerID).toMatch(/^docker:\/\//)
    expect(h.pod('elsewhere')?.status?.containerStatuses).toBeUndefined()
    expect(h.runtime.calls).toEqual(['runSandbox default/web', 'runContainer default/web/app'])
    const statusWrites = h.backend.writes.filter((w) => JSON.stringify(w).includes('"subresource":"status"') && JSON.stringify(w).includes('"web"'))
    expect(statusWrites).toHaveLength(1)
    // The kubelet's Events go out together within 100 ms, as the Kubernetes kubelet records them.
    await h.advance(100)
    const events = h.backend.reader.list('', 'Event', 'default').items.filter((e) => (e.involvedObject as { kind?: string }).kind === 'Pod')
    expect(events.map((e) => [e.reason, e.message, (e.source as { host?: string }).host]).sort()).toEqual([['Created', 'Created container app', 'n1'], ['Pulled', 'Container image "busybox:1" already present on machine', 'n1'], ['Started', 'Started container app', 'n1']])
    // Each about the container, as involvedObject.fieldPath says (kubectl get events -o wide: SUBOBJECT).
    expect(events.map((e) => (e.involvedObject as { fieldPath?: string }).fieldPath)).toEqual(['spec.containers{app}', 'spec.containers{app}', 'spec.containers{app}'])
    // Nothing changes: nothing more is written.
    const before = h.backend.writes.length
    await h.advance(5000)
    expect(h.backend.writes.length).toBe(before)
    // A condition another role owns survives the kubelet's writes.
    const marked = structuredClone(h.pod('web') as NonNullable<ReturnType<Harness['pod']>>)
    marked.status?.conditions?.push({ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI' })
    await h.backend.write({ op: 'update', subresource: 'status', object: marked })
    await h.settle()
    expect(h.pod('web')?.status?.conditions?.map((c) => c.type)).toEqual(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled', 'DisruptionTarget'])
  })

  it('starts a pod once the scheduler binds it here, and batches the status writes of pods synced together', async () => {
    h = await harness()
    h.kubelet.start()
    const unbound = await h.create(podObject('later', {}, ''))
    await h.settle()
    expect(h.runtime.calls).toEqual([])
    const bound = structuredClone(unbound)
    ;(bound.spec as { nodeName: string }).nodeName = 'n1'
    const pods = [bound, podObject('b1'), podObject('b2')].map((p, i) => i === 0 ? { op: 'update' as const, object: p } : { op: 'create' as const, object: { ...p, metadata: { ...p.metadata, uid: h.backend.newUid() } } })
    await h.backend.write({ op: 'batch', commands: pods })
    await h.settle()
    for (const name of ['later', 'b1', 'b2']) expect(h.pod(name)?.status?.phase).toBe('Running')
    const statusWrites = h.backend.writes.filter((w) => JSON.stringify(w).includes('"subresource":"status"') && JSON.stringify(w).includes('"Pod"'))
    expect(statusWrites.map((w) => w.op)).toEqual(['batch'])
  })

  it('restarts a crashing container at once, then with back-off 10 s, 20 s (CrashLoopBackOff)', async () => {
    h = await harness()
    h.kubelet.start()
    const uid = (await h.create(podObject('crash'))).metadata.uid ?? ''
    await h.settle()
    h.runtime.exitContainer(uid, 'app', 1)
    await h.advance(1000)
    expect(h.pod('crash')?.status?.containerStatuses?.[0]?.restartCount).toBe(1)
    expect(h.pod('crash')?.status?.containerStatuses?.[0]?.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' })

    h.runtime.exitContainer(uid, 'app', 1)
    await h.advance(1000)
    expect(state(h, 'crash')?.waiting).toMatchObject({ reason: 'CrashLoopBackOff' })
    expect((state(h, 'crash')?.waiting as { message: string }).message).toContain('back-off 10s restarting failed container=app pod=crash_default')
    expect(h.pod('crash')?.status?.phase).toBe('Running')
    expect(h.pod('crash')?.status?.containerStatuses?.[0]?.restartCount).toBe(1)
    // The exit is noticed by a relist (every 1 s): the restart comes 10–11.5 s after it.
    await h.advance(8500)
    expect(h.pod('crash')?.status?.containerStatuses?.[0]?.restartCount).toBe(1)
    await h.advance(2500)
    expect(h.pod('crash')?.status?.containerStatuses?.[0]?.restartCount).toBe(2)
    expect(state(h, 'crash')?.running).toBeDefined()

    const backOff = h.backend.reader.list('', 'Event', 'default').items.find((e) => e.reason === 'BackOff')
    expect(backOff).toMatchObject({ type: 'Warning', message: `Back-off restarting failed container app in pod crash_default(${uid})` })

    h.runtime.exitContainer(uid, 'app', 1)
    await h.advance(1000)
    expect((state(h, 'crash')?.waiting as { message: string }).message).toContain('back-off 20s')
    await h.advance(18_500)
    expect(h.pod('crash')?.status?.containerStatuses?.[0]?.restartCount).toBe(2)
    await h.advance(2500)
    expect(h.pod('crash')?.status?.containerStatuses?.[0]?.restartCount).toBe(3)
  })

  it('shows CreateContainerError when a container cannot start, and retries with back-off', async () => {
    h = await harness()
    h.runtime.unstartable.set('bad:1', 'exec: "nope": executable file not found in $PATH')
    h.kubelet.start()
    await h.create(podObject('bad', { containers: [{ name: 'app', image: 'bad:1' }] }))
    await h.settle()
    expect(state(h, 'bad')?.waiting).toEqual({ reason: 'CreateContainerError', message: 'exec: "nope": executable file not found in $PATH' })
    const tries = (): number => h.runtime.calls.filter((c) => c.startsWith('runContainer failed')).length
    expect(tries()).toBe(1)
    await h.advance(9500)
    expect(tries()).toBe(1)
    await h.advance(1000)
    expect(tries()).toBe(2)
    await h.advance(19_000)
    expect(tries()).toBe(2)
    h.runtime.unstartable.delete('bad:1')
    await h.advance(2000)
    expect(state(h, 'bad')?.running).toBeDefined()
  })

  it('honours restartPolicy: Never ends Failed or Succeeded, OnFailure restarts only failures', async () => {
    h = await harness()
    h.kubelet.start()
    const never = (await h.create(podObject('never', { restartPolicy: 'Never' }))).metadata.uid ?? ''
    const ok = (await h.create(podObject('ok', { restartPolicy: 'OnFailure' }))).metadata.uid ?? ''
    const retry = (await h.create(podObject('retry', { restartPolicy: 'OnFailure' }))).metadata.uid ?? ''
    await h.settle()
    h.runtime.exitContainer(never, 'app', 2)
    h.runtime.exitContainer(ok, 'app', 0)
    h.runtime.exitContainer(retry, 'app', 3)
    await h.advance(2000)
    expect(h.pod('never')?.status?.phase).toBe('Failed')
    expect(state(h, 'never')?.terminated).toMatchObject({ exitCode: 2 })
    expect(h.pod('ok')?.status?.phase).toBe('Succeeded')
    expect(h.pod('ok')?.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' })
    expect(h.pod('retry')?.status?.phase).toBe('Running')
    expect(h.pod('retry')?.status?.containerStatuses?.[0]?.restartCount).toBe(1)
  })

  it('runs init containers one at a time, each to success, before the app containers', async () => {
    h = await harness()
    h.kubelet.start()
    const uid = (await h.create(podObject('init', { initContainers: [{ name: 'first', image: 'busybox:1' }, { name: 'second', image: 'busybox:1' }] }))).metadata.uid ?? ''
    await h.settle()
    const started = (): string[] => h.runtime.calls.filter((c) => c.startsWith('runContainer')).map((c) => c.split('/').at(-1) ?? '')
    expect(started()).toEqual(['first'])
    let pod = h.pod('init')
    expect(pod?.status?.phase).toBe('Pending')
    expect(pod?.status?.conditions?.find((c) => c.type === 'Initialized')).toMatchObject({ status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [first second]' })
    expect(pod?.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('PodInitializing')
    h.runtime.exitContainer(uid, 'first', 0)
    await h.advance(1000)
    expect(started()).toEqual(['first', 'second'])
    h.runtime.exitContainer(uid, 'second', 1)
    await h.advance(1000)
    expect(started()).toEqual(['first', 'second', 'second'])
    h.runtime.exitContainer(uid, 'second', 0)
    await h.advance(1000)
    expect(started()).toEqual(['first', 'second', 'second', 'app'])
    pod = h.pod('init')
    expect(pod?.status?.phase).toBe('Running')
    expect(pod?.status?.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('True')
    expect(pod?.status?.initContainerStatuses?.map((s) => [s.name, s.ready, s.restartCount, s.state?.terminated?.reason])).toEqual([['first', true, 0, 'Completed'], ['second', true, 1, 'Completed']])
  })

  it('fails a pod with restartPolicy Never whose init container fails', async () => {
    h = await harness()
    h.kubelet.start()
    const uid = (await h.create(podObject('init-fail', { restartPolicy: 'Never', initContainers: [{ name: 'setup', image: 'busybox:1' }] }))).metadata.uid ?? ''
    await h.settle()
    h.runtime.exitContainer(uid, 'setup', 2)
    await h.advance(1000)
    expect(h.pod('init-fail')?.status?.phase).toBe('Failed')
    expect(h.runtime.calls.filter((c) => c.startsWith('runContainer'))).toEqual(['runContainer default/init-fail/setup'])
  })

  it('deletes gracefully: stops the containers with the grace period, removes them, then the pod', async () => {
    h = await harness()
    h.kubelet.start()
    const pod = await h.create(podObject('bye'))
    await h.settle()
    await h.backend.write({ op: 'delete', ref: { group: '', kind: 'Pod', namespace: 'default', name: 'bye' }, deletionTimestamp: h.backend.now(), gracePeriodSeconds: 7 })
    expect(h.pod('bye')?.metadata.deletionTimestamp).toBeDefined()
    await h.settle()
    expect(h.pod('bye')).toBeUndefined()
    expect(h.runtime.calls).toContain('stopContainer app grace=7')
    expect(h.runtime.size).toBe(0)
    expect((await h.runtime.listPods(pod.metadata.uid)).length).toBe(0)
  })

  it('removes orphans: containers of pods no longer bound here (replaced while away)', async () => {
    h = await harness()
    await h.create(podObject('keep'))
    const sandbox = await h.runtime.runSandbox({ pod: { uid: 'gone-uid', namespace: 'default', name: 'old' }, hostname: 'old', ports: [], hostNetwork: false })
    await h.runtime.runContainer(sandbox, { pod: { uid: 'gone-uid', namespace: 'default', name: 'old' }, name: 'app', attempt: 0, image: 'busybox:1', env: [], mounts: [] })
    h.kubelet.start()
    await h.advance(1000)
    const pods = await h.runtime.listPods()
    expect(pods.map((p) => p.name)).toEqual(['keep'])
    expect(h.logs.some((l) => l.includes('orphaned containers of pod default/old'))).toBe(true)
  })

  it('removes no orphan before its replica has caught up with the cluster (a pod may only be late)', async () => {
    h = await harness()
    let release: () => void = () => {}
    h.backend.linearize = async () => { await new Promise<void>((resolve) => { release = resolve }) }
    const sandbox = await h.runtime.runSandbox({ pod: { uid: 'late-uid', namespace: 'default', name: 'late' }, hostname: 'late', ports: [], hostNetwork: false })
    await h.runtime.runContainer(sandbox, { pod: { uid: 'late-uid', namespace: 'default', name: 'late' }, name: 'app', attempt: 0, image: 'busybox:1', env: [], mounts: [] })
    h.kubelet.start()
    await h.advance(3000)
    expect(h.runtime.size).toBe(2)
    release()
    await h.advance(2000)
    expect(h.runtime.size).toBe(0)
  })

  it('adopts running containers after a restart of the kubelet instead of starting new ones', async () => {
    h = await harness()
    h.kubelet.start()
    await h.create(podObject('web'))
    await h.settle()
    await h.kubelet.stop()
    const { Kubelet } = await import('../../../src/kubelet/kubelet.ts')
    const again = new Kubelet({ backend: h.backend, runtime: h.runtime, clock: h.clock, nodeName: 'n1', nodeIp: '192.0.2.10', dataDir: h.dataDir, log: () => {} })
    again.start()
    h.clock.advance(1000)
    await again.idle()
    expect(h.runtime.calls.filter((c) => c.startsWith('run'))).toEqual(['runSandbox default/web', 'runContainer default/web/app'])
    await again.stop()
  })

  it('shows ErrImagePull with the engine message, then ImagePullBackOff, and starts once the image is there', async () => {
    h = await harness()
    h.runtime.unpullable.set('nope:1', 'pull access denied for nope, repository does not exist')
    h.kubelet.start()
    await h.create(podObject('img', { containers: [{ name: 'app', image: 'nope:1' }] }))
    await h.settle()
    expect(state(h, 'img')?.waiting).toEqual({ reason: 'ErrImagePull', message: 'pull access denied for nope, repository does not exist' })
    expect(h.pod('img')?.status?.phase).toBe('Pending')
    await h.advance(1000)
    expect(state(h, 'img')?.waiting).toMatchObject({ reason: 'ImagePullBackOff', message: 'Back-off pulling image "nope:1": pull access denied for nope, repository does not exist' })
    h.runtime.unpullable.delete('nope:1')
    await h.advance(10_000)
    expect(state(h, 'img')?.running).toBeDefined()
    const events = h.backend.reader.list('', 'Event', 'default').items.map((e) => `${String(e.type)} ${String(e.reason)}: ${String(e.message)}`)
    expect(events).toContain('Normal Pulling: Pulling image "nope:1"')
    expect(events).toContain('Warning Failed: Failed to pull image "nope:1": pull access denied for nope, repository does not exist')
    expect(events).toContain('Warning Failed: Error: ErrImagePull')
    // The fake runtime has every image it can pull: the start that follows finds it present.
    expect(events).toContain('Normal Pulled: Container image "nope:1" already present on machine')
    expect(events).toContain('Normal BackOff: Back-off pulling image "nope:1"')
    expect(events).toContain('Warning Failed: Error: ImagePullBackOff')
    expect(events).toContain('Normal Started: Started container app')
  })

  it('records Pulling and Pulled for an image it fetches (policy Always), ErrImageNeverPull for a missing one with policy Never', async () => {
    h = await harness()
    h.runtime.unpullable.set('absent:1', 'not here')
    h.kubelet.start()
    await h.create(podObject('latest', { containers: [{ name: 'app', image: 'busybox' }] }))
    await h.create(podObject('never', { containers: [{ name: 'app', image: 'absent:1', imagePullPolicy: 'Never' }] }))
    await h.settle()
    await h.advance(100)
    const events = h.backend.reader.list('', 'Event', 'default').items
      .map((e) => `${String((e.involvedObject as { name?: string }).name)} ${String(e.type)} ${String(e.reason)}: ${String(e.message)}`)
    expect(events).toContain('latest Normal Pulling: Pulling image "busybox"')
    expect(events.filter((e) => e.startsWith('latest Normal Pulled: Successfully pulled image "busybox" in '))).toHaveLength(1)
    expect(events).toContain('never Warning ErrImageNeverPull: Container image "absent:1" is not present with pull policy of Never')
    expect(events).toContain('never Warning Failed: Error: ErrImageNeverPull')
    expect(events.filter((e) => e.startsWith('never ') && /Pulling|Pulled/.test(e))).toEqual([])
    // It stays ErrImageNeverPull (no pull back-off: nothing is pulled), as in Kubernetes.
    for (const ms of [1000, 10_000]) {
      await h.advance(ms)
      expect(state(h, 'never')?.waiting).toMatchObject({ reason: 'ErrImageNeverPull', message: 'Container image "absent:1" is not present with pull policy of Never' })
    }
    const later = h.backend.reader.list('', 'Event', 'default').items.filter((e) => (e.involvedObject as { name?: string }).name === 'never').map((e) => String(e.reason))
    expect(later).not.toContain('BackOff')
  })
})

describe('formatPullDuration', () => {
  it('prints milliseconds below a second and seconds with up to three decimals above, as the kubelet', () => {
    expect([formatPullDuration(0), formatPullDuration(850), formatPullDuration(1234), formatPullDuration(2000)]).toEqual(['0ms', '850ms', '1.234s', '2s'])
  })
})

describe('containerPath', () => {
  it('names app and init containers as the Kubernetes kubelet does in its Events', () => {
    const pod = podObject('p', { initContainers: [{ name: 'setup', image: 'busybox:1' }], containers: [{ name: 'app', image: 'busybox:1' }] })
    expect(containerPath(pod, { name: 'app', image: 'busybox:1' })).toBe('spec.containers{app}')
    expect(containerPath(pod, { name: 'setup', image: 'busybox:1' })).toBe('spec.initContainers{setup}')
  })
})
