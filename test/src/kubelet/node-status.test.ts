// The Node's status as the kubelet writes it: capacity, nodeInfo and Ready=True while the
// runtime answers; Ready=False (KubeletNotReady, naming the error) while it does not, recovering
// when it is back; Ready=True written again when someone else (the node-lifecycle controller)
// marked it Unknown; and nothing written while nothing changes.

import Docker from 'dockerode'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DockerRuntime } from '../../../src/kubelet/docker-runtime.ts'
import type { KObject } from '../../../src/store/types.ts'
import { harness, type Harness } from './helpers.ts'

let h: Harness
afterEach(async () => { await h.close() })

interface Condition { type: string, status: string, reason: string, message: string }

function node (h: Harness): KObject {
  return h.backend.reader.get({ group: '', kind: 'Node', namespace: '', name: 'n1' }) as KObject
}

function ready (h: Harness): Condition | undefined {
  return ((node(h).status as { conditions?: Condition[] }).conditions ?? []).find((c) => c.type === 'Ready')
}

describe('Node status from the kubelet', () => {
  it('reports capacity, nodeInfo, addresses and Ready=True, and writes nothing more while nothing changes', async () => {
    h = await harness()
    h.kubelet.start()
    await h.advance(0)
    const status = node(h).status as Record<string, unknown>
    expect(ready(h)).toMatchObject({ status: 'True', reason: 'KubeletReady' })
    expect(status.capacity).toMatchObject({ pods: '110', cpu: expect.stringMatching(/^\d+$/), memory: expect.stringMatching(/^\d+Ki$/) })
    expect(status.allocatable).toEqual(status.capacity)
    expect(status.nodeInfo).toMatchObject({ containerRuntimeVersion: 'fake://0.1.0', kubeletVersion: expect.stringMatching(/^v1\./), operatingSystem: 'linux' })
    expect(status.addresses).toEqual([{ type: 'InternalIP', address: '192.0.2.10' }, { type: 'Hostname', address: 'n1' }])
    await h.advance(200) // the start's Events go out
    const writes = h.backend.writes.length
    await h.advance(60_000, 5000)
    expect(h.backend.writes.length).toBe(writes)
  })

  it('turns NotReady with the runtime error while the runtime is down, and Ready again when it is back', async () => {
    h = await harness()
    h.kubelet.start()
    await h.advance(0)
    h.runtime.down = 'No Docker Engine answers at unix:///var/run/docker.sock (ECONNREFUSED): start dockerd'
    await h.advance(5000)
    expect(ready(h)).toMatchObject({ status: 'False', reason: 'KubeletNotReady' })
    expect(ready(h)?.message).toContain('start dockerd')
    h.runtime.down = undefined
    await h.advance(5000)
    expect(ready(h)).toMatchObject({ status: 'True', reason: 'KubeletReady' })
  })

  it('writes Ready=True again when the node-lifecycle controller marked it Unknown while the kubelet is healthy', async () => {
    h = await harness()
    h.kubelet.start()
    await h.advance(0)
    const n = structuredClone(node(h))
    const conds = (n.status as { conditions: Condition[] }).conditions
    const i = conds.findIndex((c) => c.type === 'Ready')
    conds[i] = { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' }
    await h.backend.write({ op: 'update', subresource: 'status', object: n })
    await h.settle()
    expect(ready(h)).toMatchObject({ status: 'True', reason: 'KubeletReady' })
  })

  it('turns NotReady when the Docker socket accepts connections but never answers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hung-docker-'))
    const socketPath = join(dir, 'docker.sock')
    const sockets: Socket[] = []
    const hung = createServer((socket) => { sockets.push(socket) })
    await new Promise<void>((resolve) => { hung.listen(socketPath, resolve) })
    try {
      h = await harness({ runtime: new DockerRuntime(new Docker({ socketPath }), { nodeName: 'n1', clusterId: 'c1', answerTimeoutMs: 50 }) })
      h.kubelet.start()
      await h.advance(0)
      for (let i = 0; i < 50 && ready(h) === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 10))
      expect(ready(h)).toMatchObject({ status: 'False', reason: 'KubeletNotReady' })
      expect(ready(h)?.message).toContain('accepts connections but did not answer within 50 ms')
    } finally {
      for (const s of sockets) s.destroy()
      hung.close()
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('says what to do when no Docker Engine answers (a socket that does not exist)', async () => {
    h = await harness({ runtime: new DockerRuntime(new Docker({ socketPath: '/nonexistent/docker.sock' }), { nodeName: 'n1', clusterId: 'c1' }) })
    h.kubelet.start()
    await h.advance(0)
    for (let i = 0; i < 20 && ready(h) === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(ready(h)).toMatchObject({ status: 'False', reason: 'KubeletNotReady' })
    expect(ready(h)?.message).toMatch(/No Docker Engine answers at .*: start dockerd \(or set DOCKER_HOST\), or run this agent with --runtime fake/)
  })

  it('records the kubelet\'s Node Events: Starting, each condition once, NodeNotReady/NodeReady, NodeNotSchedulable/NodeSchedulable', async () => {
    h = await harness()
    const events = (): string[] => h.backend.reader.list('', 'Event', 'default').items
      .filter((e) => (e.involvedObject as { kind?: string }).kind === 'Node')
      .map((e) => `${String(e.reason)} x${String(e.count)}: ${String(e.message)}`)
      .sort()
    h.kubelet.start()
    await h.advance(0)
    await h.advance(200)
    expect(events()).toEqual([
      'NodeAllocatableEnforced x1: Updated Node Allocatable limit across pods',
      'NodeHasNoDiskPressure x1: Node n1 status is now: NodeHasNoDiskPressure',
      'NodeHasSufficientMemory x1: Node n1 status is now: NodeHasSufficientMemory',
      'NodeHasSufficientPID x1: Node n1 status is now: NodeHasSufficientPID',
      'NodeReady x1: Node n1 status is now: NodeReady',
      'Starting x1: Starting kubelet.'
    ])
    // kubectl describe node finds them by the node's name as uid, as the Kubernetes kubelet writes them.
    const starting = h.backend.reader.list('', 'Event', 'default').items.find((e) => e.reason === 'Starting')
    expect(starting?.involvedObject).toEqual({ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'n1' })
    expect(starting?.source).toEqual({ component: 'kubelet', host: 'n1' })

    h.runtime.down = 'No Docker Engine answers'
    await h.advance(5000)
    await h.advance(200)
    h.runtime.down = undefined
    await h.advance(5000)
    await h.advance(200)
    expect(events()).toContain('NodeNotReady x1: Node n1 status is now: NodeNotReady')
    expect(events()).toContain('NodeReady x2: Node n1 status is now: NodeReady')

    const cordoned = structuredClone(node(h))
    cordoned.spec = { ...(cordoned.spec as object), unschedulable: true }
    expect((await h.backend.write({ op: 'update', object: cordoned })).ok).toBe(true)
    await h.advance(0)
    await h.advance(200)
    expect(events()).toContain('NodeNotSchedulable x1: Node n1 status is now: NodeNotSchedulable')
    const uncordoned = structuredClone(node(h))
    uncordoned.spec = {}
    expect((await h.backend.write({ op: 'update', object: uncordoned })).ok).toBe(true)
    await h.advance(0)
    await h.advance(200)
    expect(events()).toContain('NodeSchedulable x1: Node n1 status is now: NodeSchedulable')
    expect(events().filter((e) => e.startsWith('Starting') || e.startsWith('NodeHasSufficientMemory'))).toEqual([
      'NodeHasSufficientMemory x1: Node n1 status is now: NodeHasSufficientMemory',
      'Starting x1: Starting kubelet.'
    ])
  })
})
