// A cluster of real `flotilla agent` processes on loopback for benchmarks (`node
// bin/flotilla.js agent …`, the fake container runtime unless `runtime: 'docker'` is asked
// for), each with its own data dir under one temp dir. Processes are stopped by PID; stop()
// kills them all, removes the cluster's Docker containers (by its io.flotilla.cluster label:
// agents leave theirs running so a restart can adopt them) and removes the temp dir.
// The compiled bundle (bin/build.js) is brought up to date once before the first agent starts,
// so no agent spends its start building it and agents that start together do not all build.
//
// With `nodeIps`, each agent gets its own loopback address as --node-ip (127.0.0.2, 127.0.0.3,
// … in order), so that their NodePorts do not collide; by default all listen on 127.0.0.1.
// Agents on Docker route the cluster's Service range to this machine (their proxies' cluster
// IPs); stop() removes that route again.
//
// FLOTILLA_BENCH_AGENT_NODE_ARGS, if set, adds node options to every agent's command line
// (space-separated, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`: Node 20 refuses --cpu-prof in
// NODE_OPTIONS); agents are then stopped with SIGTERM, so a profile gets written, instead of
// SIGKILL.

import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { mkdir } from 'node:fs/promises'
import { promisify } from 'node:util'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import YAML from 'yaml'
import { removeContainers } from './docker.ts'
import { requestOnce } from './http-client.ts'
import { spawnLogged, sleep, waitUntil, type ChildRun } from './processes.ts'
import { makeTempDir, onInterrupt, removeTempDir } from './temp-dirs.ts'
import { AGENT_NODE_ARGS, agentEnv } from '../../src/agent/agent-launch.ts'
import { decodeJoinToken } from '../../src/agent/cluster-files.ts'
import { LABEL_CLUSTER, LABEL_NODE } from '../../src/kubelet/docker-runtime.ts'
import { removeClusterIPRoute } from '../../src/proxy/cluster-ip-route.ts'
import { defaultServiceCidr } from '../../src/store/bootstrap.ts'

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const BIN = join(REPO, 'bin', 'flotilla.js')
const BUILD = join(REPO, 'bin', 'build.js')
/** Generous: on a busy 2-core machine, and if the bundle cannot be built, tsx compiles the sources at start. */
const START_TIMEOUT_MS = 60_000
const EXTRA_NODE_ARGS = (process.env.FLOTILLA_BENCH_AGENT_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')

export interface MemberStatus {
  readonly name: string
  readonly peerId: string
  readonly role: 'voter' | 'learner'
  readonly healthy: boolean
}

/** `fake`: pods report Running without containers (simulated nodes); `docker`: real containers. */
export type BenchRuntime = 'fake' | 'docker'

export interface ClusterStatus {
  readonly leader: string | null
  readonly term: number
  readonly commitIndex: number
  readonly members: readonly MemberStatus[]
}

export class BenchAgent {
  readonly dataDir: string
  readonly logPath: string
  apiUrl = ''
  apiPort = 0
  p2pPort = 0
  /** host:port of its p2p listener. */
  p2pAddress = ''
  run: ChildRun | null = null

  /** `nodeIp`: its --node-ip (where its API, p2p port and NodePorts listen); none: 127.0.0.1. */
  constructor (readonly name: string, root: string, readonly runtime: BenchRuntime = 'fake', readonly nodeIp?: string) {
    this.dataDir = join(root, name)
    this.logPath = join(root, `${name}.log`)
  }

  get running (): boolean { return this.run?.running === true }
  get pid (): number {
    if (this.run === null || !this.run.running) throw new Error(`agent ${this.name} is not running`)
    return this.run.pid
  }

  /** Start a run and wait for its "is up" block; kills it and throws (with its log tail) if it does not come up. */
  async start (args: readonly string[]): Promise<void> {
    if (this.running) throw new Error(`agent ${this.name} is already running`)
    await mkdir(this.dataDir, { recursive: true })
    let out = ''
    let onUp: () => void = () => {}
    const up = new Promise<void>((resolveUp) => { onUp = resolveUp })
    // The agent runs the compiled bundle (or registers tsx itself): do not pass on the loader
    // options of the benchmark's own tsx.
    const env = { ...process.env }
    delete env.NODE_OPTIONS
    const run = spawnLogged(process.execPath, [...AGENT_NODE_ARGS, ...EXTRA_NODE_ARGS, BIN, 'agent', '--data-dir', this.dataDir, '--name', this.name, '--runtime', this.runtime, ...(this.nodeIp !== undefined ? ['--node-ip', this.nodeIp] : []), ...args], {
      cwd: REPO,
      env: agentEnv(env),
      logPath: this.logPath,
      onStdout: (text) => {
        out += text
        if (this.parseUp(out)) onUp()
      }
    })
    this.run = run
    let timer: NodeJS.Timeout | undefined
    const outcome = await Promise.race([
      up.then(() => 'up' as const),
      run.exited.then(() => 'exited' as const),
      new Promise<'timeout'>((resolveTimeout) => { timer = setTimeout(() => { resolveTimeout('timeout') }, START_TIMEOUT_MS) })
    ])
    clearTimeout(timer)
    if (outcome === 'up') return
    await run.kill()
    const how = outcome === 'timeout' ? `no "is up" within ${START_TIMEOUT_MS} ms` : `exited (${JSON.stringify(run.exitStatus)})`
    throw new Error(`agent ${this.name} did not come up: ${how}; log ${this.logPath}:\n${run.tail(25)}`)
  }

  async kill (): Promise<void> { await this.run?.kill() }

  /** Stop for good: SIGTERM when profiling (the profile is written at exit), else SIGKILL. */
  async stop (): Promise<void> {
    if (this.run === null) return
    if (EXTRA_NODE_ARGS.length > 0) await this.run.terminate(15_000)
    else await this.run.kill()
  }

  private parseUp (text: string): boolean {
    const api = /^ {2}API: +(http:\/\/\S+:(\d+))$/m.exec(text)
    const p2p = /^ {2}p2p: +([^\s,]+:(\d+))/m.exec(text)
    if (!/^agent \S+ \(peer \S+\) is up$/m.test(text) || api === null || p2p === null || !/^ {2}kubeconfig: /m.test(text)) return false
    this.apiUrl = api[1] as string
    this.apiPort = Number(api[2])
    this.p2pAddress = p2p[1] as string
    this.p2pPort = Number(p2p[2])
    return true
  }
}

export class AgentCluster {
  private stopped = false
  /** The cluster's id (label io.flotilla.cluster on its containers); '' until the first agent is up. */
  clusterId = ''
  private unhookContainers: () => void = () => {}

  private constructor (readonly root: string, readonly agents: readonly BenchAgent[], private joinToken: string, readonly token: string, readonly runtime: BenchRuntime) {}

  /**
   * Start `size` agents: the first creates the cluster, the others join through its p2p
   * address; resolves once every agent reports the same leader and `size` healthy voters.
   */
  static async start (size: number, log: (line: string) => void, opts: { runtime?: BenchRuntime, nodeIps?: boolean } = {}): Promise<AgentCluster> {
    await buildIfStale(log)
    const runtime = opts.runtime ?? 'fake'
    const root = await makeTempDir('flotilla-bench-agents')
    const agents = Array.from({ length: size }, (_, i) => new BenchAgent(String.fromCharCode(97 + i), root, runtime, opts.nodeIps === true ? `127.0.0.${i + 2}` : undefined))
    const cluster = new AgentCluster(root, agents, '', '', runtime)
    try {
      const first = agents[0] as BenchAgent
      await first.start(['--api-port', '0', '--p2p-port', '0'])
      cluster.joinToken = (await readFile(join(first.dataDir, 'join-token'), 'utf8')).trim()
      cluster.clusterId = decodeJoinToken(cluster.joinToken).clusterId
      // Interrupted (Ctrl-C): the agents get SIGKILL from processes.ts, their containers go here.
      if (runtime === 'docker') cluster.unhookContainers = onInterrupt(async () => { await cluster.removeContainers(); await cluster.removeServiceRoute() })
      const kubeconfig = YAML.parse(await readFile(join(first.dataDir, 'kubeconfig'), 'utf8')) as { users?: Array<{ user?: { token?: string } }> }
      const token = kubeconfig.users?.[0]?.user?.token
      if (token === undefined) throw new Error(`no users[0].user.token in ${join(first.dataDir, 'kubeconfig')}`)
      ;(cluster as { token: string }).token = token
      await Promise.all(agents.slice(1).map(async (a) => {
        await a.start(['--api-port', '0', '--p2p-port', '0', '--join', first.p2pAddress, '--token', cluster.joinToken])
      }))
      await cluster.waitForVoters(size, 60_000)
      log(`agents: ${size}-agent cluster up (${agents.map((a) => `${a.name} pid ${a.pid}`).join(', ')})`)
      return cluster
    } catch (err) {
      await cluster.stop()
      throw err
    }
  }

  agent (name: string): BenchAgent {
    const a = this.agents.find((x) => x.name === name)
    if (a === undefined) throw new Error(`no agent ${name}`)
    return a
  }

  get running (): BenchAgent[] { return this.agents.filter((a) => a.running) }

  async status (agent: BenchAgent, timeoutMs = 2000): Promise<ClusterStatus> {
    const r = await requestOnce('GET', `${agent.apiUrl}/flotilla/v1/cluster/status`, { token: this.token, timeoutMs })
    if (r.status !== 200) throw new Error(`cluster status from ${agent.name}: HTTP ${r.status} ${r.text.slice(0, 200)}`)
    return JSON.parse(r.text) as ClusterStatus
  }

  /** The agent every running agent names as leader, once they agree. */
  async leader (timeoutMs = 10_000): Promise<BenchAgent> {
    const s = await this.agreement('a leader all agents agree on', () => true, timeoutMs)
    return this.agent(s.leader as string)
  }

  /** Wait until every running agent reports the same running leader and term and `voters` healthy voters. */
  async waitForVoters (voters: number, timeoutMs: number): Promise<ClusterStatus> {
    return await this.agreement(`${voters} healthy voters`, (s) => s.members.filter((m) => m.role === 'voter' && m.healthy).length === voters, timeoutMs)
  }

  /** Start a killed agent again on its data dir (its old ports if they are free, else new ones). */
  async restart (agent: BenchAgent): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const same = attempt < 5
      const ports = same ? ['--api-port', String(agent.apiPort), '--p2p-port', String(agent.p2pPort)] : ['--api-port', '0', '--p2p-port', '0']
      try {
        await agent.start(ports)
        return
      } catch (err) {
        if (!same || !/already in use|EADDRINUSE/.test((err as Error).message)) throw err
        await sleep(300)
      }
    }
  }

  /**
   * After a restart: the agent serves a linearizable read of an object written after it came
   * back (so it is connected to the leader and has applied the log up to then), and the
   * cluster has `voters` healthy voters again.
   */
  async waitForRejoin (agent: BenchAgent, voters: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    const name = `rejoin-${agent.name}-${Date.now()}`
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } }
    await waitUntil(`a marker write after ${agent.name} restarted`, async () => {
      const r = await requestOnce('POST', `${agent.apiUrl}/api/v1/namespaces/default/configmaps`, { token: this.token, body, timeoutMs: 2000 })
      return r.status === 201 || r.status === 409
    }, Math.max(1000, deadline - Date.now()), 100)
    await waitUntil(`${agent.name} to read the marker`, async () => {
      const r = await requestOnce('GET', `${agent.apiUrl}/api/v1/namespaces/default/configmaps/${name}`, { token: this.token, timeoutMs: 2000 })
      return r.status === 200
    }, Math.max(1000, deadline - Date.now()), 100)
    await this.waitForVoters(voters, Math.max(1000, deadline - Date.now()))
  }

  /** The last lines of every agent's log (all runs), for a failure report. */
  tails (lines = 15): string {
    return this.agents.map((a) => `  --- agent ${a.name} (${a.running ? `running, pid ${a.pid}` : `stopped: ${JSON.stringify(a.run?.exitStatus ?? null)}`}) ${a.logPath}\n${a.run?.tail(lines) ?? '(never started)'}`).join('\n')
  }

  /** PIDs of the running agents, by name. */
  pids (): Map<string, number> {
    return new Map(this.running.map((a) => [a.name, a.pid]))
  }

  /** Stop every agent (by PID), remove the cluster's containers and the temp dir (kept, with the logs, if `keep`). */
  async stop (keep = false): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    await Promise.all(this.agents.map(async (a) => { await a.stop() }))
    await this.removeContainers()
    await this.removeServiceRoute()
    this.unhookContainers()
    if (!keep) await removeTempDir(this.root)
  }

  /** `docker rm -f` this cluster's containers, and only this cluster's (by its label); nothing with the fake runtime. */
  async removeContainers (node?: string): Promise<number> {
    if (this.runtime !== 'docker' || this.clusterId === '') return 0
    return await removeContainers([`${LABEL_CLUSTER}=${this.clusterId}`, ...(node !== undefined ? [`${LABEL_NODE}=${node}`] : [])])
  }

  /** Agents on Docker made the cluster's Service range local to this machine: take the route away. */
  async removeServiceRoute (): Promise<void> {
    if (this.runtime !== 'docker' || this.clusterId === '') return
    await removeClusterIPRoute(defaultServiceCidr(this.clusterId))
  }

  private async agreement (what: string, accept: (s: ClusterStatus) => boolean, timeoutMs: number): Promise<ClusterStatus> {
    let seen: unknown = 'nothing'
    return await waitUntil(what, async () => {
      const running = this.running
      const all = await Promise.all(running.map(async (a) => await this.status(a).catch((err: Error) => err.message)))
      seen = Object.fromEntries(running.map((a, i) => [a.name, all[i]]))
      const first = all[0]
      if (first === undefined || typeof first === 'string' || first.leader === null || !this.agents.some((a) => a.name === first.leader && a.running)) return undefined
      const same = all.every((s) => typeof s !== 'string' && s.leader === first.leader && s.term === first.term)
      return same && accept(first) ? first : undefined
    }, timeoutMs, 100, () => seen)
  }
}

/** Rebuild dist/ if the sources changed; a failed build is left to bin/flotilla.js (it falls back to tsx and says so). */
async function buildIfStale (log: (line: string) => void): Promise<void> {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  try {
    await promisify(execFile)(process.execPath, [BUILD, '--if-stale'], { cwd: REPO, env })
  } catch (err) {
    log(`agents: could not build the bundle (${((err as { stderr?: string }).stderr ?? String(err)).trim()}); agents will run through tsx`)
  }
}
