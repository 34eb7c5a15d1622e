// End-to-end harness: clusters of real `flotilla agent` processes on loopback.
//
//   <root>/<name>/data        an agent's --data-dir
//   <root>/<name>/stderr.log  everything it wrote to stderr, all runs appended (stdout.log too)
//
// Agents join through one agent's p2p address with its join token, exactly as a user would.
// Everything waits by polling with a deadline. Processes are stopped by PID only: kill -9,
// SIGTERM, and cleanup kills every process a cluster started and removes its temp dir. A
// restart reuses the data dir and the ports the agent had, as a rebooted machine would.
//
// `e2eClusters()` wires this into a test file: the machine-wide e2e lock; after each test,
// cleanup, preceded by the tail of every agent's stderr if the test failed. An agent that
// exited without being told to, or logged an internal error, fails the test that saw it.

import { execFile } from 'node:child_process'
import { rmSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, type TestContext } from 'vitest'
import { removeClusterIPRoute } from '../../src/proxy/cluster-ip-route.ts'
import { defaultServiceCidr } from '../../src/store/bootstrap.ts'
import { AgentProcess, type ExitInfo } from './harness/agent-process.ts'
import { acquireLock, releaseLock } from './harness/e2e-lock.ts'
import { ApiClient, type ClusterStatus } from './harness/http.ts'
import { onProcessEnd } from './harness/process-end.ts'
import { delay, waitFor } from './harness/wait.ts'

export { AgentProcess, runAgentToExit, type ExitInfo, type RunResult } from './harness/agent-process.ts'
export { ApiClient, httpRequest, type ClusterStatus, type ConfigMapItem, type HttpResult, type MemberStatus } from './harness/http.ts'
export { DeadlineError, delay, waitFor, type WaitOptions } from './harness/wait.ts'
export { describeFailures, longestGap, seededRandom, startWriter, type WriteOutcome, type WriterOptions, type WriterStats } from './harness/writers.ts'

export interface JoinTokenFields {
  /** compact cluster key */
  k: string
  /** API token */
  t: string
  /** cluster id */
  c: string
}

export function decodeJoinToken (token: string): JoinTokenFields {
  return JSON.parse(Buffer.from(token.trim().slice('flotilla1.'.length), 'base64url').toString('utf8')) as JoinTokenFields
}

export function encodeJoinToken (fields: JoinTokenFields): string {
  return 'flotilla1.' + Buffer.from(JSON.stringify(fields)).toString('base64url')
}

/** Temp roots not cleaned up yet: removed if the test process exits first (its agents are killed then too). */
const ROOTS = new Set<string>()
onProcessEnd(() => {
  if (process.env.FLOTILLA_E2E_KEEP === '1') return
  for (const root of ROOTS) try { rmSync(root, { recursive: true, force: true }) } catch { /* a dying agent still writing */ }
})

export interface TestClusterOptions {
  /** The agents' container runtime. Default: fake (no containers). */
  runtime?: 'docker' | 'fake'
  /**
   * Give each agent its own loopback address as --node-ip (127.0.0.2, 127.0.0.3, … in the
   * order they are added), so that NodePorts do not collide. Default: all on 127.0.0.1.
   */
  nodeIps?: boolean
  /** More flags for every agent (e.g. --ingress-port). */
  agentArgs?: string[]
}

/** A set of agents that form one cluster, under one temp root. */
export class TestCluster {
  readonly agents = new Map<string, AgentProcess>()
  /** Contents of the first agent's DIR/join-token. */
  joinToken = ''
  /** The API bearer token. */
  apiToken = ''
  private closed = false

  private constructor (readonly root: string, readonly label: string, readonly options: TestClusterOptions) {}

  static async create (label: string, options: TestClusterOptions = {}): Promise<TestCluster> {
    const root = await mkdtemp(join(tmpdir(), `flotilla-e2e-${label}-`))
    ROOTS.add(root)
    return new TestCluster(root, label, options)
  }

  agent (name: string): AgentProcess {
    const a = this.agents.get(name)
    if (a === undefined) throw new Error(`no agent ${name} in cluster ${this.label}`)
    return a
  }

  get names (): string[] { return [...this.agents.keys()] }
  get running (): AgentProcess[] { return [...this.agents.values()].filter((a) => a.running) }

  /**
   * Start `names[0]` as a new cluster, then the others in parallel, all joining through the
   * first agent's p2p address (the one join address they are given).
   */
  async form (names: string[]): Promise<void> {
    const [first, ...rest] = names
    if (first === undefined) throw new Error('form needs at least one name')
    await this.startFirst(first)
    await Promise.all(rest.map(async (n) => { await this.join(n, first) }))
  }

  /** Start a new cluster with this agent; reads its join token and API token. */
  async startFirst (name: string): Promise<AgentProcess> {
    const a = this.add(name)
    await a.start(['--api-port', '0', '--p2p-port', '0'])
    this.joinToken = (await readFile(join(a.dataDir, 'join-token'), 'utf8')).trim()
    this.apiToken = decodeJoinToken(this.joinToken).t
    return a
  }

  /** Start a new agent that joins through `via`'s p2p address. */
  async join (name: string, via: string): Promise<AgentProcess> {
    const a = this.add(name)
    await a.start(['--api-port', '0', '--p2p-port', '0', '--join', this.agent(via).p2pAddress, '--token', this.joinToken])
    return a
  }

  /**
   * Start a stopped agent again on its data dir, on the ports it had (as a rebooted machine
   * would). If a port is taken meanwhile (say, by some connection's ephemeral port), retry
   * until `timeoutMs`.
   */
  async restart (name: string, timeoutMs = 15_000): Promise<AgentProcess> {
    this.assertOpen()
    const a = this.agent(name)
    const deadline = Date.now() + timeoutMs
    for (;;) {
      try {
        await a.start(['--api-port', String(a.apiPort), '--p2p-port', String(a.p2pPort)])
        return a
      } catch (err) {
        if (!/already in use/.test((err as Error).message) || this.closed || Date.now() > deadline) throw err
        await delay(250)
      }
    }
  }

  /** Start a stopped agent again on its data dir, on other (free) ports: as if it moved. */
  async restartOnNewPorts (name: string, timeoutMs = 15_000): Promise<AgentProcess> {
    this.assertOpen()
    const a = this.agent(name)
    const deadline = Date.now() + timeoutMs
    for (;;) {
      try {
        await a.start(['--api-port', String(await freePort()), '--p2p-port', String(await freePort())])
        return a
      } catch (err) {
        if (!/already in use/.test((err as Error).message) || this.closed || Date.now() > deadline) throw err
      }
    }
  }

  async kill (name: string): Promise<void> { await this.agent(name).kill() }

  async terminate (name: string): Promise<ExitInfo> { return await this.agent(name).terminate() }

  api (name: string): ApiClient {
    const a = this.agent(name)
    return new ApiClient(() => a.apiUrl, this.apiToken)
  }

  /** The leader's name as `via` (default: every running agent in turn) reports it; undefined if none. */
  async leader (via?: string): Promise<string | undefined> {
    for (const a of via === undefined ? this.running : [this.agent(via)]) {
      try {
        const s = await this.api(a.name).status()
        if (s.leader !== null && this.agents.get(s.leader)?.running === true) return s.leader
      } catch { /* try the next one */ }
    }
    return undefined
  }

  /**
   * Wait until every running agent reports the same leader (a running agent), the same term,
   * and a status for which `accept` holds. Returns the leader's status.
   */
  async waitForAgreement (what: string, accept: (s: ClusterStatus) => boolean, timeoutMs: number): Promise<ClusterStatus> {
    let seen: unknown = 'nothing'
    return await waitFor(what, async () => {
      const running = this.running
      const statuses = await Promise.all(running.map(async (a) => await this.api(a.name).status().catch((err: Error) => err)))
      const crashed = this.unexpectedExits().map((e) => e.split('\n')[0])
      seen = { ...(crashed.length > 0 ? { crashed } : {}), ...Object.fromEntries(running.map((a, i) => [a.name, statuses[i] instanceof Error ? (statuses[i] as Error).message : statuses[i]])) }
      const first = statuses[0]
      if (first === undefined || first instanceof Error || first.leader === null || this.agents.get(first.leader)?.running !== true) return undefined
      const agree = statuses.every((s) => !(s instanceof Error) && s.leader === first.leader && s.term === first.term && sameMembers(s, first))
      return agree && accept(first) ? first : undefined
    }, { timeoutMs, intervalMs: 200, lastSeen: () => seen })
  }

  /** Each running agent's ConfigMaps from its own replica (resourceVersion=0): name → resourceVersion. */
  async localStates (): Promise<Map<string, Map<string, string>>> {
    const out = new Map<string, Map<string, string>>()
    await Promise.all(this.running.map(async (a) => {
      const items = await this.api(a.name).listConfigMaps({ local: true })
      out.set(a.name, new Map(items.map((i) => [i.metadata.name, i.metadata.resourceVersion])))
    }))
    return out
  }

  /** Every run of an agent of this cluster that ended without the test asking it to. */
  unexpectedExits (): string[] {
    return [...this.agents.values()].flatMap((a) => a.unexpectedExits)
  }

  /** Internal errors the agents of this cluster logged and survived. */
  internalErrors (): string[] {
    return [...this.agents.values()].flatMap((a) => a.internalErrors())
  }

  /** Tails of every agent's stderr, for a failure report. */
  tails (lines = 30): string {
    return [...this.agents.values()].map((a) => `--- ${this.label}/${a.name} (pid ${String(a.pid)}, ${a.running ? 'running' : 'stopped'}) ${a.stderrPath}\n${a.tail(lines)}`).join('\n')
  }

  /** Kill every process of this cluster (by PID) and remove its temp dir. No more starts after this. */
  async cleanup (keep = false): Promise<void> {
    this.closed = true
    await Promise.all([...this.agents.values()].map(async (a) => { await a.kill() }))
    // Agents leave their containers running (a restarted agent adopts them): remove this
    // cluster's, and only this cluster's, by its label.
    if (this.options.runtime === 'docker' && this.joinToken !== '') {
      const clusterId = decodeJoinToken(this.joinToken).c
      await removeContainersOf(clusterId)
      // The agents' proxies routed the cluster's Service range to this machine: take it away.
      await removeClusterIPRoute(defaultServiceCidr(clusterId))
    }
    if (!keep) await rm(this.root, { recursive: true, force: true })
    ROOTS.delete(this.root)
  }

  private add (name: string): AgentProcess {
    this.assertOpen()
    if (this.agents.has(name)) throw new Error(`agent ${name} already exists in cluster ${this.label}`)
    const nodeIp = this.options.nodeIps === true ? `127.0.0.${this.agents.size + 2}` : undefined
    const a = new AgentProcess(name, this.root, this.options.runtime ?? 'fake', nodeIp, this.options.agentArgs ?? [])
    this.agents.set(name, a)
    return a
  }

  private assertOpen (): void {
    if (this.closed) throw new Error(`cluster ${this.label} was cleaned up`)
  }
}

/** `docker rm -f` every container of the cluster with this id (label io.flotilla.cluster). */
async function removeContainersOf (clusterId: string): Promise<void> {
  const docker = async (args: string[]): Promise<string> => await new Promise((resolveRun) => {
    execFile('docker', args, (err, stdout) => { resolveRun(err === null ? stdout : '') })
  })
  const ids = (await docker(['ps', '-aq', '--filter', `label=io.flotilla.cluster=${clusterId}`])).split('\n').filter((id) => id !== '')
  if (ids.length > 0) await docker(['rm', '-f', ...ids])
}

/** A port nothing listens on right now (it may be taken again before it is used: callers retry). */
async function freePort (): Promise<number> {
  return await new Promise<number>((resolvePort, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      server.close(() => { resolvePort(port) })
    })
  })
}

function sameMembers (a: ClusterStatus, b: ClusterStatus): boolean {
  const key = (s: ClusterStatus): string => s.members.map((m) => `${m.name}/${m.peerId}/${m.role}/${String(m.healthy)}`).sort().join(',')
  return key(a) === key(b)
}

/** Names of the voters / learners in a status. */
export function voters (s: ClusterStatus): string[] { return s.members.filter((m) => m.role === 'voter').map((m) => m.name).sort() }
export function learners (s: ClusterStatus): string[] { return s.members.filter((m) => m.role === 'learner').map((m) => m.name).sort() }

/**
 * Wait until every running agent's own replica (resourceVersion=0) holds every name in
 * `mustHave` and all replicas hold the same ConfigMaps at the same resourceVersions. Returns
 * the replicas (agent → name → resourceVersion); the deadline message says what differed.
 */
export async function waitForConvergence (c: TestCluster, mustHave: Iterable<string>, timeoutMs: number): Promise<Map<string, Map<string, string>>> {
  const need = [...mustHave]
  let seen = 'nothing yet'
  return await waitFor('every agent to hold every acknowledged write, at the same resourceVersions', async () => {
    const states = await c.localStates()
    const problems: string[] = []
    let reference: [string, Map<string, string>] | undefined
    for (const [agent, state] of states) {
      const missing = need.filter((n) => !state.has(n))
      if (missing.length > 0) problems.push(`${agent} lacks ${missing.length} (e.g. ${missing.slice(0, 3).join(', ')})`)
      if (reference === undefined) {
        reference = [agent, state]
      } else if (!sameState(reference[1], state)) {
        problems.push(`${agent} (${state.size} objects) differs from ${reference[0]} (${reference[1].size} objects)`)
      }
    }
    seen = problems.join('; ')
    return problems.length === 0 ? states : undefined
  }, { timeoutMs, intervalMs: 250, lastSeen: () => seen })
}

function sameState (a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false
  for (const [k, v] of a) if (b.get(k) !== v) return false
  return true
}

// ---------------------------------------------------------------------------------------------
// Test-file wiring

export interface E2eClusters {
  /** A new (empty) cluster, cleaned up after the current test. */
  create: (label: string, options?: TestClusterOptions) => Promise<TestCluster>
  /** A new cluster that lives until the end of the file (for a describe block's beforeAll). */
  createShared: (label: string, options?: TestClusterOptions) => Promise<TestCluster>
}

/**
 * Register the hooks of an e2e file: the machine-wide lock (beforeAll/afterAll), and after
 * each test: on failure the stderr tails of its clusters' agents, then their cleanup.
 * Set FLOTILLA_E2E_KEEP=1 to keep the temp dirs of failed tests.
 */
export function e2eClusters (): E2eClusters {
  const perTest: TestCluster[] = []
  const shared: TestCluster[] = []
  let keepShared = false
  beforeAll(async () => { await acquireLock() }, 10 * 60_000)
  const reported = new Set<string>()
  afterEach(async (ctx: TestContext) => {
    // An agent that died on its own, or logged an internal error, fails the test even if the
    // test did not notice.
    const crashes = [...perTest, ...shared].flatMap((c) => [...c.unexpectedExits(), ...c.internalErrors()]).filter((e) => !reported.has(e))
    for (const e of crashes) reported.add(e)
    const failed = ctx.task.result?.state === 'fail' || crashes.length > 0
    if (failed) for (const c of [...perTest, ...shared]) console.error(`[e2e] ${ctx.task.name} failed; agent logs (${c.root}):\n${c.tails()}`)
    const keep = failed && process.env.FLOTILLA_E2E_KEEP === '1'
    keepShared ||= keep
    await Promise.all(perTest.splice(0).map(async (c) => { await c.cleanup(keep) }))
    if (crashes.length > 0) throw new Error(`agents crashed or logged internal errors:\n${crashes.join('\n')}`)
  }, 60_000)
  afterAll(async () => {
    try {
      await Promise.all(shared.splice(0).map(async (c) => { await c.cleanup(keepShared) }))
    } finally {
      await releaseLock()
    }
  }, 60_000)
  return {
    create: async (label, options) => {
      const c = await TestCluster.create(label, options)
      perTest.push(c)
      return c
    },
    createShared: async (label, options) => {
      const c = await TestCluster.create(label, options)
      shared.push(c)
      return c
    }
  }
}
