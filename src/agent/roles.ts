// Roles: the duties an agent runs besides Raft and the API. Node roles (the kubelet, the
// proxy) run on every agent for its whole life; leader roles (scheduler, controllers, node
// lifecycle) run only while this agent leads. A role talks to the cluster through its
// RoleContext only — the local replica to read and watch, and writes through Raft — never to
// another role's internals (DESIGN.md).

import type { ApiBackend } from '../api/backend.ts'
import type { Clock } from '../controllers/clock.ts'
import type { NodeLifecycleOptions } from '../controllers/node-lifecycle.ts'

export interface Role {
  readonly name: string
  /** Begin work; may return before the first reconcile. */
  start (): Promise<void> | void
  /** Stop work and wait for what is running; the role may be started again later. */
  stop (): Promise<void>
}

/** What a role gets to work with. */
export interface RoleContext {
  /** Reads (`backend.reader`: the local replica) and writes (through Raft) of objects. */
  readonly backend: ApiBackend
  /** This agent's Node name. */
  readonly nodeName: string
  /**
   * The cluster's id. Several clusters may share one Docker Engine (and node names): anything
   * a role creates outside the cluster's own state carries it, and a role touches only what
   * carries its own.
   */
  readonly clusterId: string
  /** The address this node reports as InternalIP. */
  readonly nodeIp: string
  readonly dataDir: string
  /** Which container runtime this node's kubelet uses. */
  readonly runtime: 'docker' | 'fake'
  readonly clock: Clock
  /**
   * Milliseconds since this agent last heard from the agent with this PeerId over Raft
   * traffic (meaningful on the leader, which hears from every member every heartbeat);
   * undefined if it never has. Liveness without heartbeat writes to the log.
   */
  silenceOf (peerId: string): number | undefined
  /** Timings of the node lifecycle role (agent flags --node-grace-period, --pod-eviction-timeout). */
  readonly nodeLifecycle?: NodeLifecycleOptions
  /** Where this node serves Ingresses over HTTP (agent flag --ingress-port; 0: any free port); undefined: not at all. */
  readonly ingressPort?: number
  log (line: string): void
}

/**
 * Starts the leader roles when this agent becomes leader — once its replica has applied
 * everything committed before (a ReadIndex barrier), so a new leader never acts on stale
 * state — and stops them when it loses leadership. Transitions run one at a time.
 */
export class LeaderDuties {
  private leading = false
  private active = false
  private chain: Promise<void> = Promise.resolve()

  constructor (
    private readonly roles: readonly Role[],
    private readonly barrier: (signal: AbortSignal) => Promise<void>,
    private readonly log: (line: string) => void
  ) {}

  /** Tell it whether this agent leads now. */
  leadership (leading: boolean): void {
    this.leading = leading
    this.chain = this.chain.then(async () => { await this.settle() }).catch((err: unknown) => {
      this.log(`leader duties: ${(err as Error).message}`)
    })
  }

  /** Stop the roles for good (agent shutdown). */
  async stop (): Promise<void> {
    this.leading = false
    this.chain = this.chain.then(async () => { await this.settle() })
    await this.chain.catch(() => {})
  }

  private async settle (): Promise<void> {
    if (this.leading && !this.active) {
      try {
        await this.barrier(AbortSignal.timeout(10_000))
      } catch (err) {
        // Not leading any more, or no quorum yet: the next leadership change settles again.
        this.log(`leader duties wait: ${(err as Error).message}`)
        if (this.leading) setTimeout(() => { if (this.leading && !this.active) this.leadership(true) }, 200).unref()
        return
      }
      if (!this.leading) return
      this.active = true
      for (const role of this.roles) {
        try {
          await role.start()
        } catch (err) {
          this.log(`${role.name} did not start: ${(err as Error).message}`)
        }
      }
      this.log(`leading: started ${this.roles.map((r) => r.name).join(', ') || 'no roles'}`)
    } else if (!this.leading && this.active) {
      this.active = false
      for (const role of [...this.roles].reverse()) {
        try {
          await role.stop()
        } catch (err) {
          this.log(`${role.name} did not stop cleanly: ${(err as Error).message}`)
        }
      }
      this.log('no longer leading: leader roles stopped')
    }
  }
}

/** Start node roles in order; stop them in reverse. */
export async function startRoles (roles: readonly Role[], log: (line: string) => void): Promise<void> {
  for (const role of roles) {
    try {
      await role.start()
    } catch (err) {
      log(`${role.name} did not start: ${(err as Error).message}`)
    }
  }
}

export async function stopRoles (roles: readonly Role[], log: (line: string) => void): Promise<void> {
  for (const role of [...roles].reverse()) {
    try {
      await role.stop()
    } catch (err) {
      log(`${role.name} did not stop cleanly: ${(err as Error).message}`)
    }
  }
}
