// Probe workers, one per probe of each running container, on the injected Clock. A worker
// waits initialDelaySeconds, then probes every periodSeconds; its result flips only after
// successThreshold successes or failureThreshold failures in a row. Liveness and readiness
// wait until the startup probe (if any) has succeeded. Results start as Kubernetes': not
// ready, not started, alive. Every flip calls onChange(podUid) so the pod is synced: readiness
// changes its status; a failed liveness or startup probe makes the sync restart the container.

import type { Probe } from '../objects/pod-spec.ts'
import type { CancelTimer, Clock } from '../controllers/clock.ts'
import type { Prober, ProbeTarget } from './prober.ts'

export type ProbeKind = 'startup' | 'liveness' | 'readiness'

interface Worker {
  kind: ProbeKind
  probe: Probe
  result: boolean
  successes: number
  failures: number
  cancel: CancelTimer
  stopped: boolean
}

interface ContainerProbes {
  podUid: string
  target: ProbeTarget
  workers: Worker[]
  lastFailure: string
}

export class ProbeManager {
  private readonly containers = new Map<string, ContainerProbes>()

  constructor (
    private readonly clock: Clock,
    private readonly prober: Prober,
    private readonly onChange: (podUid: string) => void,
    /** Told of each failed probe (the kubelet's Unhealthy Event). */
    private readonly onFailure: (podUid: string, kind: ProbeKind, message: string) => void = () => {}
  ) {}

  /** Probe these running containers of the pod; stop probing its other containers. */
  sync (podUid: string, running: ProbeTarget[]): void {
    const keep = new Set(running.map((t) => t.containerId))
    for (const [id, c] of this.containers) if (c.podUid === podUid && !keep.has(id)) this.drop(id)
    for (const target of running) if (!this.containers.has(target.containerId)) this.add(podUid, target)
  }

  /** Stop probing every container of the pod. */
  forget (podUid: string): void {
    for (const [id, c] of this.containers) if (c.podUid === podUid) this.drop(id)
  }

  stop (): void {
    for (const id of [...this.containers.keys()]) this.drop(id)
  }

  /** Started: the startup probe succeeded, or there is none. */
  started (containerId: string): boolean {
    return this.result(containerId, 'startup') ?? true
  }

  /** Ready: started and the readiness probe succeeds (or there is none). */
  ready (containerId: string): boolean {
    return this.started(containerId) && (this.result(containerId, 'readiness') ?? true)
  }

  /** Why the container must be restarted (a failed liveness or startup probe), or undefined. */
  restartReason (containerId: string): string | undefined {
    const c = this.containers.get(containerId)
    if (c === undefined) return undefined
    const dead = c.workers.find((w) => (w.kind === 'liveness' && !w.result) || (w.kind === 'startup' && w.failures >= (w.probe.failureThreshold ?? 3)))
    return dead === undefined ? undefined : `Container ${c.target.container.name} failed ${dead.kind} probe, will be restarted: ${c.lastFailure}`
  }

  private result (containerId: string, kind: ProbeKind): boolean | undefined {
    return this.containers.get(containerId)?.workers.find((w) => w.kind === kind)?.result
  }

  private add (podUid: string, target: ProbeTarget): void {
    const c: ContainerProbes = { podUid, target, workers: [], lastFailure: '' }
    const spec = target.container
    const probes: Array<[ProbeKind, Probe | undefined]> = [['startup', spec.startupProbe], ['liveness', spec.livenessProbe], ['readiness', spec.readinessProbe]]
    for (const [kind, probe] of probes) {
      if (probe === undefined) continue
      const w: Worker = { kind, probe, result: kind === 'liveness', successes: 0, failures: 0, cancel: () => {}, stopped: false }
      c.workers.push(w)
      this.schedule(c, w, (probe.initialDelaySeconds ?? 0) * 1000)
    }
    this.containers.set(target.containerId, c)
  }

  private drop (containerId: string): void {
    const c = this.containers.get(containerId)
    if (c === undefined) return
    for (const w of c.workers) {
      w.stopped = true
      w.cancel()
    }
    this.containers.delete(containerId)
  }

  private schedule (c: ContainerProbes, w: Worker, ms: number): void {
    w.cancel = this.clock.setTimeout(() => { void this.run(c, w) }, ms)
  }

  private async run (c: ContainerProbes, w: Worker): Promise<void> {
    const period = (w.probe.periodSeconds ?? 10) * 1000
    const startup = c.workers.find((x) => x.kind === 'startup')
    if (w.kind !== 'startup' && startup !== undefined && !startup.result) {
      this.schedule(c, w, period)
      return
    }
    if (w.kind === 'startup' && w.result) return // startup probes stop once they succeed
    let outcome: { ok: boolean, message: string }
    try {
      outcome = await this.prober(c.target, w.probe)
    } catch (err) {
      outcome = { ok: false, message: (err as Error).message }
    }
    if (w.stopped) return
    const before = w.result
    if (outcome.ok) {
      w.failures = 0
      w.successes++
      if (w.successes >= (w.probe.successThreshold ?? 1)) w.result = true
    } else {
      c.lastFailure = outcome.message
      this.onFailure(c.podUid, w.kind, outcome.message)
      w.successes = 0
      w.failures++
      if (w.failures >= (w.probe.failureThreshold ?? 3)) w.result = false
    }
    const startupGaveUp = w.kind === 'startup' && w.failures === (w.probe.failureThreshold ?? 3)
    if (before !== w.result || startupGaveUp) this.onChange(c.podUid)
    this.schedule(c, w, period)
  }
}
