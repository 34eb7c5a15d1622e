// This agent's Node status, as its kubelet reports it: capacity and allocatable (cpu, memory
// in Ki, 110 pods), nodeInfo, addresses, and the Ready condition — True (KubeletReady) while
// the container runtime answers, False (KubeletNotReady, with the runtime's error and what to
// do) while it does not. Written only when something changes: liveness is not written to the
// log (the leader's node-lifecycle controller keeps it in memory and may set Ready=Unknown
// when this agent goes silent). Seeing its own Node without Ready=True while healthy, the
// kubelet writes Ready=True again.

import { readFileSync } from 'node:fs'
import { arch, cpus, release, totalmem } from 'node:os'
import type { ApiBackend } from '../api/backend.ts'
import { KUBERNETES_VERSION } from '../api/discovery.ts'
import type { CancelTimer, Clock } from '../controllers/clock.ts'
import { inform } from '../controllers/informer.ts'
import { deepEqual } from '../store/deep.ts'
import type { KObject } from '../store/types.ts'
import type { ContainerRuntime } from './runtime.ts'

interface NodeCondition {
  type: string
  status: 'True' | 'False' | 'Unknown'
  reason: string
  message: string
  lastHeartbeatTime?: string
  lastTransitionTime?: string
}

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' }

function osImage (): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))
    return m?.[1] ?? 'Linux'
  } catch {
    return 'Linux'
  }
}

/** Capacity as Kubernetes writes it: whole cpus, memory in Ki, 110 pods. */
export function nodeCapacity (): Record<string, string> {
  return { cpu: String(cpus().length), memory: `${Math.floor(totalmem() / 1024)}Ki`, pods: '110' }
}

export interface NodeStatusOptions {
  backend: ApiBackend
  runtime: ContainerRuntime
  clock: Clock
  nodeName: string
  nodeIp: string
  log: (line: string) => void
  /** How often the runtime is asked whether it answers. Default 5 s. */
  periodMs?: number
  /**
   * Records an Event about the Node, as Kubernetes' kubelet does: Starting once per start, then
   * each condition as it is first reported or changes (NodeHasSufficientMemory, NodeReady, …),
   * and NodeNotSchedulable / NodeSchedulable when the Node is cordoned or uncordoned.
   */
  event?: (node: KObject, type: 'Normal' | 'Warning', reason: string, message: string) => void
}

/** The Event reason for a Node condition's status, as the kubelet's node status setters name them. */
const CONDITION_EVENT: Record<string, { True: string, other: string }> = {
  MemoryPressure: { True: 'NodeHasInsufficientMemory', other: 'NodeHasSufficientMemory' },
  DiskPressure: { True: 'NodeHasDiskPressure', other: 'NodeHasNoDiskPressure' },
  PIDPressure: { True: 'NodeHasInsufficientPID', other: 'NodeHasSufficientPID' },
  Ready: { True: 'NodeReady', other: 'NodeNotReady' }
}

export class NodeStatusReporter {
  private readonly periodMs: number
  private readonly osImage = osImage()
  private stopWatch: (() => void) | undefined
  private cancelTimer: CancelTimer = () => {}
  private running = false
  private checking = false
  private again = false
  /** The runtime's answer at the last check: its version, or the error. */
  private health: { version: string } | { error: string } | undefined
  /** What the Events told so far this start: 'Starting', each condition's reason, and whether cordoned. */
  private announced = false
  private readonly toldConditions = new Map<string, string>()
  private toldUnschedulable = false

  constructor (private readonly o: NodeStatusOptions) {
    this.periodMs = o.periodMs ?? 5000
  }

  start (): void {
    this.running = true
    this.announced = false
    this.toldConditions.clear()
    this.toldUnschedulable = false
    this.stopWatch = inform(this.o.backend.reader, { group: '', kind: 'Node' }, () => { this.poke(false) }, { fieldSelector: `metadata.name=${this.o.nodeName}` })
    this.poke(true)
  }

  async stop (): Promise<void> {
    this.running = false
    this.stopWatch?.()
    this.cancelTimer()
  }

  /** Check now: ask the runtime again (`probe`), or only compare the Node with the last answer. */
  poke (probe = true): void {
    if (!this.running) return
    if (this.checking) {
      this.again ||= probe
      return
    }
    this.checking = true
    // Never write from inside the store's apply (informer callbacks run there): next job.
    queueMicrotask(() => { void this.check(probe || this.health === undefined) })
  }

  private async check (probe: boolean): Promise<void> {
    try {
      if (probe) {
        this.cancelTimer()
        try {
          this.health = { version: (await this.o.runtime.info()).version }
        } catch (err) {
          this.health = { error: (err as Error).message }
        }
        if (this.running) this.cancelTimer = this.o.clock.setTimeout(() => { this.poke(true) }, this.periodMs)
      }
      if (this.running) await this.write()
    } catch (err) {
      this.o.log(`kubelet: node status not written (will retry): ${(err as Error).message}`)
    } finally {
      this.checking = false
    }
    if (this.again) {
      this.again = false
      this.poke(true)
    }
  }

  private desired (node: KObject): Record<string, unknown> {
    const current = (node.status ?? {}) as Record<string, unknown>
    const now = this.o.backend.now()
    const h = this.health
    const ready: NodeCondition = h !== undefined && 'version' in h
      ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }
      : { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: `container runtime is down: ${h?.error ?? 'not checked yet'}` }
    const wanted: NodeCondition[] = [
      { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
      { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
      { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
      ready
    ]
    const before = Array.isArray(current.conditions) ? current.conditions as NodeCondition[] : []
    const conditions = wanted.map((c) => {
      const old = before.find((b) => b.type === c.type)
      if (old !== undefined && old.status === c.status && old.reason === c.reason && old.message === c.message) return old
      return { ...c, lastHeartbeatTime: now, lastTransitionTime: old?.status === c.status ? old.lastTransitionTime ?? now : now }
    })
    const capacity = nodeCapacity()
    const oldInfo = (current.nodeInfo ?? {}) as Record<string, string>
    return {
      ...current,
      capacity,
      allocatable: capacity,
      conditions,
      addresses: [{ type: 'InternalIP', address: this.o.nodeIp }, { type: 'Hostname', address: this.o.nodeName }],
      nodeInfo: {
        kubeletVersion: KUBERNETES_VERSION.gitVersion,
        kubeProxyVersion: KUBERNETES_VERSION.gitVersion,
        containerRuntimeVersion: h !== undefined && 'version' in h ? h.version : oldInfo.containerRuntimeVersion ?? '',
        osImage: this.osImage,
        operatingSystem: 'linux',
        architecture: ARCH[arch()] ?? arch(),
        kernelVersion: release(),
        machineID: '',
        systemUUID: '',
        bootID: ''
      },
      daemonEndpoints: { kubeletEndpoint: { Port: 0 } }
    }
  }

  private async write (): Promise<void> {
    const node = this.o.backend.reader.get({ group: '', kind: 'Node', namespace: '', name: this.o.nodeName })
    if (node === undefined) return // not registered yet: the informer pokes again when it is
    const status = this.desired(node)
    this.recordEvents(node, status)
    if (deepEqual(node.status, status)) return
    const r = await this.o.backend.write({ op: 'update', subresource: 'status', object: { ...node, status } })
    if ('error' in r && r.error.reason !== 'Conflict') throw new Error(r.error.message)
    // A Conflict means the Node changed under us: the informer's event checks again.
  }

  /**
   * Events about this Node for what changed since they last told (everything, the first time
   * after a start). As the Kubernetes kubelet, the involved object's uid is the node name.
   */
  private recordEvents (node: KObject, status: Record<string, unknown>): void {
    const record = this.o.event
    if (record === undefined) return
    const name = this.o.nodeName
    const ref: KObject = { apiVersion: 'v1', kind: 'Node', metadata: { name, uid: name } }
    if (!this.announced) {
      this.announced = true
      record(ref, 'Normal', 'Starting', 'Starting kubelet.')
      record(ref, 'Normal', 'NodeAllocatableEnforced', 'Updated Node Allocatable limit across pods')
    }
    // A Ready condition not checked yet is not news.
    if (this.health === undefined) return
    for (const c of status.conditions as NodeCondition[]) {
      const names = CONDITION_EVENT[c.type]
      if (names === undefined) continue
      const reason = c.status === 'True' ? names.True : names.other
      if (this.toldConditions.get(c.type) === reason) continue
      this.toldConditions.set(c.type, reason)
      record(ref, 'Normal', reason, `Node ${name} status is now: ${reason}`)
    }
    const unschedulable = (node.spec as { unschedulable?: boolean } | undefined)?.unschedulable === true
    if (unschedulable !== this.toldUnschedulable) {
      this.toldUnschedulable = unschedulable
      const reason = unschedulable ? 'NodeNotSchedulable' : 'NodeSchedulable'
      record(ref, 'Normal', reason, `Node ${name} status is now: ${reason}`)
    }
  }
}
