// Write load against a 3-member system — the Flotilla API (ConfigMap creates) or etcd's JSON
// gateway (puts) — through the same HTTP client, so both pay the same client-side cost.
// Each client has one keep-alive connection to one member and writes unique keys one after
// the other; clients are spread over the members in the order given.

import { randomBytes } from 'node:crypto'
import type { AgentCluster } from './agents.ts'
import type { EtcdCluster } from './etcd.ts'
import { load1 } from './host.ts'
import { failureReason, HttpClient } from './http-client.ts'
import { cpuSecondsOf, sleep } from './processes.ts'
import { percentileSorted, Samples } from './stats.ts'

export type SystemName = 'flotilla' | 'etcd'

/** One member's write endpoint. */
export interface Endpoint {
  readonly member: string
  readonly url: URL
}

export type WriteOutcome = { readonly ok: true } | { readonly ok: false, readonly reason: string }

/** What a load generator needs of a system under test. */
export interface WriteSystem {
  readonly name: SystemName
  /** Member names, in a fixed order. */
  members (): string[]
  /** The current leader's member name (waits for one). */
  leader (): Promise<string>
  /** The write endpoint of a running member (its address may change across restarts). */
  endpoint (member: string): Endpoint
  /** A client with its own connection (and credentials). */
  newClient (): HttpClient
  /** Write `key` (a unique, DNS-label-safe name) with the ~100-byte payload. */
  write (client: HttpClient, endpoint: Endpoint, key: string, timeoutMs: number): Promise<WriteOutcome>
  /** PIDs of the running members. */
  pids (): number[]
}

/** The payload every write carries: 100 printable bytes. */
export const PAYLOAD = randomBytes(75).toString('base64')

export function flotillaSystem (cluster: AgentCluster): WriteSystem {
  return {
    name: 'flotilla',
    members: () => cluster.agents.map((a) => a.name),
    leader: async () => (await cluster.leader()).name,
    endpoint: (member) => ({ member, url: new URL(`${cluster.agent(member).apiUrl}/api/v1/namespaces/default/configmaps`) }),
    newClient: () => new HttpClient(cluster.token),
    async write (client, endpoint, key, timeoutMs) {
      const body = Buffer.from(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${key}"},"data":{"k":"${PAYLOAD}"}}`)
      try {
        const r = await client.send('POST', endpoint.url, body, timeoutMs)
        if (r.status === 201 || r.status === 200) return { ok: true }
        return { ok: false, reason: `HTTP ${r.status}${reasonOf(r.text)}` }
      } catch (err) {
        return { ok: false, reason: failureReason(err) }
      }
    },
    pids: () => cluster.running.map((a) => a.pid)
  }
}

export function etcdSystem (cluster: EtcdCluster): WriteSystem {
  const value = Buffer.from(PAYLOAD).toString('base64')
  return {
    name: 'etcd',
    members: () => cluster.members.map((m) => m.name),
    leader: async () => (await cluster.leader()).name,
    endpoint: (member) => {
      const m = cluster.members.find((x) => x.name === member)
      if (m === undefined) throw new Error(`no etcd member ${member}`)
      return { member, url: new URL(`${m.clientUrl}/v3/kv/put`) }
    },
    newClient: () => new HttpClient(),
    async write (client, endpoint, key, timeoutMs) {
      const body = Buffer.from(`{"key":"${Buffer.from(key).toString('base64')}","value":"${value}"}`)
      try {
        const r = await client.send('POST', endpoint.url, body, timeoutMs)
        if (r.status === 200) return { ok: true }
        return { ok: false, reason: `HTTP ${r.status}${reasonOf(r.text)}` }
      } catch (err) {
        return { ok: false, reason: failureReason(err) }
      }
    },
    pids: () => cluster.running.map((m) => m.pid)
  }
}

/** The Status reason (Flotilla) or error text (etcd gateway) of an error answer, briefly. */
function reasonOf (text: string): string {
  try {
    const body = JSON.parse(text) as { reason?: string, error?: string, message?: string }
    const why = body.reason ?? body.error ?? body.message
    return why === undefined ? '' : ` ${why.slice(0, 60)}`
  } catch {
    return ''
  }
}

/**
 * Members in the order clients are assigned to them (client i → order[i % 3]): a follower,
 * the leader, the other follower. So 1 client writes through a follower, and at 16 or 64
 * clients about 2/3 of the writes go through a follower (forwarded to the leader).
 */
export async function followerFirstOrder (system: WriteSystem): Promise<string[]> {
  const leader = await system.leader()
  const followers = system.members().filter((m) => m !== leader)
  return [followers[0] as string, leader, ...followers.slice(1)]
}

export interface LoadRun {
  readonly writesPerSec: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly acked: number
  readonly errors: number
  /** Failed writes by reason, e.g. "HTTP 503 ServiceUnavailable ×3". */
  readonly errorReasons: string
  /** The system's processes' CPU time over wall time, all members together, in % of one core. */
  readonly serverCpuPct: number
  /** The load generator's CPU time over wall time (this process), in % of one core. */
  readonly clientCpuPct: number
  /** The load generator's event-loop utilization (1.00: it may be the bottleneck). */
  readonly clientElu: number
  readonly load1: number
  readonly seconds: number
}

export interface LoadShape {
  readonly concurrency: number
  /** Member names; client i writes through order[i % order.length]. */
  readonly order: readonly string[]
  /** Unmeasured writes first, then the measured window. */
  readonly warmupMs: number
  /** Measure for this long … */
  readonly durationMs?: number
  /** … or until this many writes were acknowledged in the window. */
  readonly count?: number
  /** Unique per run: the keys are `${prefix}-${client}-${seq}`. */
  readonly prefix: string
  /** Per-request timeout. Default 10 s. */
  readonly timeoutMs?: number
  /** With `count`: give up (throw) if the count is not reached within this long. Default 10 min. */
  readonly maxMs?: number
}

/** Run `shape.concurrency` writers against `system` and measure the window after the warm-up. */
export async function runLoad (system: WriteSystem, shape: LoadShape): Promise<LoadRun> {
  if (shape.durationMs === undefined && shape.count === undefined) throw new Error('runLoad needs durationMs or count')
  const latencies = new Samples()
  const reasons = new Map<string, number>()
  let recording = false
  let stopped = false
  let errors = 0
  let acked = 0
  let onCount: () => void = () => {}
  const countReached = new Promise<void>((resolve) => { onCount = resolve })
  const timeoutMs = shape.timeoutMs ?? 10_000

  const clients = Array.from({ length: shape.concurrency }, () => system.newClient())
  const writer = async (i: number): Promise<void> => {
    const client = clients[i] as HttpClient
    const endpoint = system.endpoint(shape.order[i % shape.order.length] as string)
    for (let seq = 0; !stopped; seq++) {
      const t0 = performance.now()
      const outcome = await system.write(client, endpoint, `${shape.prefix}-${i}-${seq}`, timeoutMs)
      if (outcome.ok) {
        if (!recording) continue
        latencies.push(performance.now() - t0)
        acked++
        if (shape.count !== undefined && acked >= shape.count) onCount()
      } else {
        if (recording) {
          errors++
          reasons.set(outcome.reason, (reasons.get(outcome.reason) ?? 0) + 1)
        }
        // A refused connection fails at once: do not spin on it.
        await sleep(10)
      }
    }
  }

  const pids = system.pids()
  try {
    const workers = Array.from({ length: shape.concurrency }, async (_, i) => { await writer(i) })
    await sleep(shape.warmupMs)
    const serverBefore = await Promise.all(pids.map(cpuSecondsOf))
    const cpuBefore = process.cpuUsage()
    const eluBefore = performance.eventLoopUtilization()
    const t0 = performance.now()
    recording = true
    if (shape.count !== undefined) {
      const maxMs = shape.maxMs ?? 600_000
      let timer: NodeJS.Timeout | undefined
      const reached = await Promise.race([countReached.then(() => true), new Promise<false>((resolve) => { timer = setTimeout(() => { resolve(false) }, maxMs) })])
      clearTimeout(timer)
      if (!reached) throw new Error(`${system.name}: only ${acked} of ${shape.count} writes acknowledged within ${maxMs / 1000} s (errors: ${[...reasons].map(([k, v]) => `${k} ×${v}`).join(', ') || 'none'})`)
    } else {
      await sleep(shape.durationMs as number)
    }
    recording = false
    const seconds = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpuBefore)
    const elu = performance.eventLoopUtilization(eluBefore).utilization
    const serverAfter = await Promise.all(pids.map(cpuSecondsOf))
    const loadAtEnd = load1()
    stopped = true
    await Promise.all(workers)
    const serverSeconds = serverAfter.reduce((sum, s, i) => sum + s - (serverBefore[i] ?? Number.NaN), 0)
    const sorted = latencies.sorted()
    return {
      writesPerSec: latencies.length / seconds,
      p50Ms: percentileSorted(sorted, 50),
      p99Ms: percentileSorted(sorted, 99),
      acked: latencies.length,
      errors,
      errorReasons: [...reasons].map(([k, v]) => `${k} ×${v}`).join(', '),
      serverCpuPct: serverSeconds / seconds * 100,
      clientCpuPct: (cpu.user + cpu.system) / 1e3 / (seconds * 1000) * 100,
      clientElu: elu,
      load1: loadAtEnd,
      seconds
    }
  } finally {
    stopped = true
    for (const c of clients) c.close()
  }
}
