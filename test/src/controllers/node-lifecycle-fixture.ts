// A small world for node lifecycle tests: a StoreBackend on a ManualClock, Nodes of agents
// (each with its flotilla.io/peer-id), pods bound to them, and a silence function the test
// drives — `pass(ms, { heard })` moves time on in small steps, with the named nodes' agents
// heard at every step (as Raft heartbeats would be) and the others silent.

import { NodeLifecycleController, type NodeLifecycleOptions } from '../../../src/controllers/node-lifecycle.ts'
import { PEER_ID_ANNOTATION } from '../../../src/agent/node-object.ts'
import type { RoleContext } from '../../../src/agent/roles.ts'
import type { NodeCondition, Taint } from '../../../src/objects/node.ts'
import type { KObject } from '../../../src/store/types.ts'
import { ManualClock } from '../manual-clock.ts'
import { StoreBackend } from '../store-backend.ts'

/** The agent that leads in these tests; its own node is never judged. */
export const LEADER = 'lead'
/** Milliseconds per step of `pass`: the precision of the timing assertions. */
export const STEP_MS = 50

export class LifecycleWorld {
  readonly lines: string[] = []
  /** PeerId → clock time its agent was last heard from (absent: never). */
  readonly lastHeard = new Map<string, number>()
  role: NodeLifecycleController

  private constructor (readonly clock: ManualClock, readonly backend: StoreBackend, private readonly opts: NodeLifecycleOptions) {
    this.role = this.newRole()
  }

  static async open (opts: NodeLifecycleOptions = {}): Promise<LifecycleWorld> {
    const clock = new ManualClock()
    const backend = await StoreBackend.open(() => clock.now())
    return new LifecycleWorld(clock, backend, opts)
  }

  get ctx (): RoleContext {
    return {
      backend: this.backend,
      nodeName: LEADER,
      clusterId: 'test-cluster',
      nodeIp: '127.0.0.1',
      dataDir: '',
      runtime: 'fake',
      clock: this.clock,
      silenceOf: (peer) => {
        const at = this.lastHeard.get(peer)
        return at === undefined ? undefined : this.clock.now() - at
      },
      log: (line) => { this.lines.push(line) }
    }
  }

  /** A fresh role on the same world (as a new leader would build). */
  newRole (): NodeLifecycleController {
    return new NodeLifecycleController(this.ctx, this.opts)
  }

  /** A Node of an agent (peer `peer-NAME`) with the given Ready status; `peer: null` for a Node without agent. */
  async addNode (name: string, opts: { ready?: NodeCondition['status'], taints?: Taint[], peer?: string | null } = {}): Promise<void> {
    const peer = opts.peer === undefined ? `peer-${name}` : opts.peer
    const status = opts.ready === undefined ? {} : { conditions: [{ type: 'Ready', status: opts.ready, reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: this.backend.now(), lastTransitionTime: this.backend.now() }] }
    const node: KObject = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, uid: `node-${name}`, ...(peer === null ? {} : { annotations: { [PEER_ID_ANNOTATION]: peer } }) },
      spec: opts.taints === undefined ? {} : { taints: opts.taints },
      status
    }
    const r = await this.backend.write({ op: 'create', object: node })
    if ('error' in r) throw new Error(r.error.message)
  }

  /** A pod bound to `nodeName`; `ready` gives it the Ready and ContainersReady conditions its kubelet would post. */
  async addPod (name: string, nodeName: string, tolerations?: unknown[], ready?: 'True' | 'False'): Promise<void> {
    const pod: KObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', uid: `pod-${name}` },
      spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }], ...(tolerations === undefined ? {} : { tolerations }) },
      ...(ready === undefined ? {} : { status: { phase: 'Running', conditions: [{ type: 'ContainersReady', status: ready }, { type: 'Ready', status: ready }] } })
    }
    const r = await this.backend.write({ op: 'create', object: pod })
    if ('error' in r) throw new Error(r.error.message)
  }

  /** Write a node's Ready status as its kubelet would. */
  async kubeletSays (name: string, ready: NodeCondition['status']): Promise<void> {
    const node = this.node(name)
    const r = await this.backend.write({ op: 'update', subresource: 'status', object: { ...node, status: { conditions: [{ type: 'Ready', status: ready, reason: ready === 'True' ? 'KubeletReady' : 'KubeletNotReady', lastTransitionTime: this.backend.now() }] } } })
    if ('error' in r) throw new Error(r.error.message)
  }

  node (name: string): KObject {
    const n = this.backend.store.get({ group: '', kind: 'Node', namespace: '', name })
    if (n === undefined) throw new Error(`no node ${name}`)
    return n
  }

  ready (name: string): NodeCondition | undefined {
    return ((this.node(name).status as { conditions?: NodeCondition[] }).conditions ?? []).find((c) => c.type === 'Ready')
  }

  taints (name: string): string[] {
    const taints = (this.node(name).spec as { taints?: unknown }).taints
    return Array.isArray(taints) ? (taints as Taint[]).map((t) => `${t.key}:${t.effect}`) : []
  }

  /** `type=status` of a pod's conditions. */
  podConditions (name: string): string[] {
    const pod = this.backend.store.get({ group: '', kind: 'Pod', namespace: 'default', name })
    return ((pod?.status as { conditions?: NodeCondition[] } | undefined)?.conditions ?? []).map((c) => `${c.type}=${c.status}`)
  }

  pods (): string[] {
    return this.backend.store.list('', 'Pod', undefined).items.map((p) => p.metadata.name).sort()
  }

  /** Let queued reconciles and their writes run (promise jobs only, no time passes). */
  async settle (): Promise<void> {
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
  }

  /** Move time on by `ms` in steps of STEP_MS; the agents of the nodes in `heard` are heard at every step. */
  async pass (ms: number, heard: string[] = []): Promise<void> {
    for (let left = ms; left > 0; left -= STEP_MS) {
      for (const name of heard) this.lastHeard.set(`peer-${name}`, this.clock.now())
      this.clock.advance(Math.min(STEP_MS, left))
      await this.settle()
    }
  }

  /** Move time on until `until` holds (checked every step), at most `maxMs`; returns the time it took. */
  async passUntil (until: () => boolean, maxMs: number, heard: string[] = []): Promise<number> {
    const start = this.clock.now()
    while (!until()) {
      if (this.clock.now() - start >= maxMs) throw new Error(`not within ${maxMs} ms`)
      await this.pass(STEP_MS, heard)
    }
    return this.clock.now() - start
  }
}
