// Docker Swarm in the same engine, as the yardstick of the workloads suite. The swarm is this
// run's own: it is initialised only if the engine is in no swarm, and left (with --force) at
// the end only then; an engine already in a swarm is not touched and the comparison is skipped.
// Services carry a label naming the run, on the service and on its containers, and are
// removed by name with their containers waited for (and removed by that label if they linger).

import { containersWith, docker, removeContainers, startedRange } from './docker.ts'
import { sleep, waitUntil } from './processes.ts'
import { onInterrupt } from './temp-dirs.ts'

/** Label on this run's services and their containers. */
export const SWARM_BENCH_LABEL = 'io.flotilla.bench'

export interface SwarmTimes {
  /** `docker service create` started → the service shows N/N replicas running, ms. */
  readonly runningMs: number
  /** How long `docker service create --detach` took to answer, ms. */
  readonly createMs: number
  /** `docker service create` started → Docker started the service's last container (its State.StartedAt), ms. */
  readonly lastStartedMs: number
}

export class BenchSwarm {
  private readonly services = new Set<string>()
  private unhook: () => void = () => {}

  private constructor (readonly runId: string) {}

  /** Initialise a swarm for this run, or say why not (the engine is already in one). */
  static async init (log: (line: string) => void): Promise<BenchSwarm | { missing: string }> {
    const state = (await docker(['info', '--format', '{{.Swarm.LocalNodeState}}'])).trim()
    if (state !== 'inactive') {
      return { missing: `Docker Swarm comparison skipped: the engine's swarm state is "${state}", and this benchmark only uses a swarm it creates itself (it never touches one it did not create)` }
    }
    await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1'])
    const swarm = new BenchSwarm(`${process.pid}-${Date.now()}`)
    swarm.unhook = onInterrupt(async () => { await swarm.leave() })
    log('swarm: initialised a single-node swarm on 127.0.0.1 for this run')
    return swarm
  }

  /**
   * Create a service of `replicas` tasks running `command` in `image` (the image given as is:
   * --no-resolve-image) and time it until all are running. `publish`: --publish values, e.g.
   * `published=30080,target=8080` (the routing mesh) or with `,mode=host` (the task's node only).
   */
  async run (name: string, replicas: number, image: string, command: readonly string[], timeoutMs: number, opts: { publish?: readonly string[] } = {}): Promise<SwarmTimes> {
    const label = `${SWARM_BENCH_LABEL}=${this.runId}`
    this.services.add(name)
    const wall0 = Date.now()
    const t0 = performance.now()
    await docker(['service', 'create', '--detach', '--no-resolve-image', '--replicas', String(replicas), '--name', name, '--label', label, '--container-label', label, ...(opts.publish ?? []).flatMap((p) => ['--publish', p]), image, ...command])
    const createMs = performance.now() - t0
    let seen = ''
    await waitUntil(`${replicas}/${replicas} tasks of swarm service ${name} running`, async () => {
      const out = await docker(['service', 'ls', '--filter', `name=${name}`, '--format', '{{.Name}} {{.Replicas}}'])
      seen = out.split('\n').find((l) => l.startsWith(`${name} `)) ?? out
      return seen === `${name} ${replicas}/${replicas}`
    }, timeoutMs, 100, () => seen)
    const runningMs = performance.now() - t0
    const running = await containersWith([`com.docker.swarm.service.name=${name}`], true)
    if (running.length !== replicas) throw new Error(`swarm service ${name} shows ${replicas}/${replicas} but Docker runs ${running.length} of its containers`)
    const started = await startedRange([`com.docker.swarm.service.name=${name}`])
    return { runningMs, createMs, lastStartedMs: started.last - wall0 }
  }

  /** Remove a service this run created and wait for its containers to be gone. */
  async remove (name: string): Promise<void> {
    if (!this.services.has(name)) throw new Error(`swarm service ${name} was not created by this run: not removing it`)
    await docker(['service', 'rm', name]).catch(() => {})
    const gone = await waitUntil(`the containers of swarm service ${name} to be removed`, async () => {
      return (await containersWith([`com.docker.swarm.service.name=${name}`])).length === 0
    }, 60_000, 250).then(() => true, () => false)
    if (!gone) await removeContainers([`${SWARM_BENCH_LABEL}=${this.runId}`, `com.docker.swarm.service.name=${name}`])
    this.services.delete(name)
  }

  /** Remove what is left of this run's services and leave the swarm this run created. */
  async leave (): Promise<void> {
    for (const name of [...this.services]) await this.remove(name).catch(() => {})
    await docker(['swarm', 'leave', '--force']).catch(() => {})
    // Swarm removes its task containers asynchronously; leave none of this run's behind.
    await sleep(500)
    await removeContainers([`${SWARM_BENCH_LABEL}=${this.runId}`]).catch(() => {})
    this.unhook()
  }
}
