// Suite failover: how long writes stop when the leader dies. One client writes continuously
// — sequential writes, each attempt with a short timeout, the next attempt going to the next
// member (round robin over all three, so a failed attempt is retried elsewhere) — and the
// leader gets SIGKILL. The figure is the time from the kill to the first acknowledged write
// whose attempt started after the kill (such a write can only have been committed by a new
// leader). Between trials the killed member is restarted on its data dir, and the next trial
// waits until it serves a linearizable read of a fresh write and the cluster is whole again.
//
// Same procedure for Flotilla (3 agents, ConfigMap creates through the API) and etcd 3.4
// (3 members, puts through the JSON gateway, restarted with --initial-cluster-state
// existing), each on a fresh cluster, with their default timing.

import { AgentCluster } from './agents.ts'
import { EtcdCluster, findEtcd, type EtcdInstall } from './etcd.ts'
import { hostInfo, load1 } from './host.ts'
import type { HttpClient } from './http-client.ts'
import { sleep, usingCluster, type ChildRun } from './processes.ts'
import { median } from './stats.ts'
import { withMachineLock } from './machine-lock.ts'
import type { BenchOptions, Row, Suite, SuiteResult, TargetCheck } from './types.ts'
import { etcdSystem, flotillaSystem, type SystemName, type WriteSystem } from './write-load.ts'

/** Per-attempt timeout of the writing client. */
const ATTEMPT_TIMEOUT_MS = 250
/** A trial in which no write is acknowledged this long after the kill counts as this long (and fails the target). */
const GIVE_UP_MS = 15_000
const TARGET_MEDIAN_MS = 500
const TARGET_MAX_MS = 1000

export interface FailoverTrial {
  /** Kill → first acknowledged write started after it, ms (GIVE_UP_MS if none). */
  readonly failoverMs: number
  /** Last acknowledgement before the kill → first after it, ms. */
  readonly gapMs: number
  readonly killed: string
  readonly newLeader: string
  /** Failed attempts between the kill and the first acknowledgement after it, by reason. */
  readonly failedAttempts: number
  readonly reasons: string
  readonly load1: number
  /** Members other than the killed leader that were found dead after the trial, with how they ended. */
  readonly crashed: readonly string[]
}

/** What a trial needs of a cluster besides writing to it. */
interface FailoverControl {
  readonly system: WriteSystem
  kill (member: string): Promise<void>
  restart (member: string): Promise<void>
  waitForRejoin (member: string): Promise<void>
  /** Members that are not running, other than `except`. */
  down (except: string): string[]
  /** How a member's last run ended: its exit status and the error line of its log, if any. */
  howItEnded (member: string): string
}

const DESCRIPTION = 'leader SIGKILL → next acknowledged write, one client writing continuously (sequential, short timeouts, retry elsewhere): 3 Flotilla agents vs 3 etcd 3.4 members'

export const failoverSuite: Suite = {
  name: 'failover',
  description: DESCRIPTION,
  async run (opts: BenchOptions): Promise<SuiteResult> {
    return await withMachineLock(opts.log, async (lockNote) => await measureFailover(opts, lockNote))
  }
}

async function measureFailover (opts: BenchOptions, lockNote: string | null): Promise<SuiteResult> {
  const trials = opts.quick ? 2 : 5
  const etcd = await findEtcd()
  const notes: string[] = lockNote === null ? [] : [lockNote]
  if ('missing' in etcd) {
    notes.push(etcd.missing)
    opts.log(`failover: ${etcd.missing}`)
  }
  const systems: SystemName[] = 'missing' in etcd ? ['flotilla'] : ['flotilla', 'etcd']
  const results = new Map<SystemName, FailoverTrial[]>()
  for (const name of systems) {
    const list: FailoverTrial[] = []
    results.set(name, list)
    await withControl(name, etcd, opts.log, async (control) => {
      for (let t = 1; t <= trials; t++) {
        const measured = await runTrial(control, `f${t}`)
        // Another member dying along with the leader is a finding, not a harness failure:
        // record it, bring every dead member back, and go on.
        const down = control.down(measured.killed)
        const trial = { ...measured, crashed: down.map((m) => `${m}: ${control.howItEnded(m)}`) }
        list.push(trial)
        opts.log(`failover: ${name} trial ${t}/${trials}: killed ${trial.killed} → ${trial.failoverMs < GIVE_UP_MS ? `${Math.round(trial.failoverMs)} ms` : `nothing within ${GIVE_UP_MS / 1000} s`} (gap ${Math.round(trial.gapMs)} ms, new leader ${trial.newLeader}, ${trial.failedAttempts} failed attempts${trial.reasons !== '' ? `: ${trial.reasons}` : ''}), load ${trial.load1.toFixed(2)}`)
        for (const c of trial.crashed) opts.log(`failover: ${name} trial ${t}: ${c.split('\n')[0] ?? c} — a member that was NOT killed died`)
        for (const m of [trial.killed, ...down]) await control.restart(m)
        for (const m of [trial.killed, ...down]) await control.waitForRejoin(m)
      }
    })
  }

  const targets: TargetCheck[] = []
  const rows: Row[] = []
  for (const name of systems) {
    const list = results.get(name) ?? []
    const ms = list.map((t) => t.failoverMs)
    const med = median(ms)
    const max = Math.max(...ms)
    const row: Record<string, string | number | readonly number[]> = {
      system: name,
      trials: ms.map((x) => Math.round(x)),
      medianMs: med,
      maxMs: max,
      gapMedianMs: median(list.map((t) => t.gapMs).filter((g) => Number.isFinite(g))),
      failedAttempts: median(list.map((t) => t.failedAttempts)),
      crashes: list.reduce((n, t) => n + t.crashed.length, 0),
      crashDetails: list.flatMap((t) => t.crashed).join('; '),
      load1: median(list.map((t) => t.load1)),
      reasons: list.map((t) => t.reasons).filter((r) => r !== '').join('; '),
      target: ''
    }
    if (name === 'flotilla') {
      const medMet = med < TARGET_MEDIAN_MS
      const maxMet = max <= TARGET_MAX_MS
      row.target = `median < ${TARGET_MEDIAN_MS} ${medMet ? 'met' : 'MISSED'}, max ≤ ${TARGET_MAX_MS} ${maxMet ? 'met' : 'MISSED'}`
      targets.push({ what: `leader SIGKILL → next acknowledged write, median of ${ms.length}`, target: `< ${TARGET_MEDIAN_MS} ms`, actual: `${Math.round(med)} ms`, met: medMet })
      targets.push({ what: `leader SIGKILL → next acknowledged write, worst of ${ms.length}`, target: `≤ ${TARGET_MAX_MS} ms`, actual: `${Math.round(max)} ms`, met: maxMet })
      const crashes = list.flatMap((t) => t.crashed)
      targets.push({ what: 'members other than the killed leader stay up (DESIGN: SIGKILL of one agent loses nothing)', target: '0 other members die', actual: crashes.length === 0 ? '0' : `${crashes.length} died: ${crashes.map((c) => c.split('\n')[0] ?? c).join('; ')}`, met: crashes.length === 0 })
    }
    rows.push(row)
  }

  const host = hostInfo()
  return {
    suite: 'failover',
    description: DESCRIPTION,
    tables: [{
      title: `failover: ${trials} trial(s) per system, per-attempt timeout ${ATTEMPT_TIMEOUT_MS} ms, killed member restarted and caught up between trials`,
      columns: [
        { key: 'system', header: 'system' },
        { key: 'trials', header: 'trials ms' },
        { key: 'medianMs', header: 'median ms' },
        { key: 'maxMs', header: 'max ms' },
        { key: 'gapMedianMs', header: 'write gap ms (median)' },
        { key: 'failedAttempts', header: 'failed attempts (median)' },
        { key: 'crashes', header: 'other members died' },
        { key: 'load1', header: 'load1', digits: 2 },
        { key: 'target', header: 'target' }
      ],
      rows
    }],
    targets,
    notes: [
      ...notes,
      `host: ${host.cpus} × ${host.cpuModel}, ${host.memoryGiB} GiB, ${host.platform}, Node ${host.node}${'missing' in etcd ? '' : `, etcd ${etcd.version} (defaults: 100 ms heartbeat, 1 s election timeout)`}`,
      'The figure is kill → first acknowledged write whose attempt started after the kill; "write gap" is last acknowledgement before the kill → first after it.',
      `Flotilla writes are ConfigMap creates (201); etcd writes are puts (200). Each attempt times out after ${ATTEMPT_TIMEOUT_MS} ms and the retry goes to the next member in turn.`
    ]
  }
}

interface Attempt {
  readonly start: number
  readonly end: number
  readonly ok: boolean
  readonly reason: string
}

/** One trial: write for a while, SIGKILL the leader, keep writing until a write started after the kill is acknowledged. */
async function runTrial (control: FailoverControl, prefix: string): Promise<FailoverTrial> {
  const { system } = control
  const members = system.members()
  const clients = new Map<string, HttpClient>(members.map((m) => [m, system.newClient()]))
  const attempts: Attempt[] = []
  let stopped = false
  let killAt = Number.POSITIVE_INFINITY
  let onAckAfterKill: () => void = () => {}
  const ackAfterKill = new Promise<void>((resolve) => { onAckAfterKill = resolve })

  const writer = async (): Promise<void> => {
    let next = 0
    for (let seq = 0; !stopped; seq++) {
      for (;;) {
        if (stopped) return
        const member = members[next++ % members.length] as string
        const start = performance.now()
        let outcome
        try {
          outcome = await system.write(clients.get(member) as HttpClient, system.endpoint(member), `${prefix}-${seq}`, ATTEMPT_TIMEOUT_MS)
        } catch (err) {
          outcome = { ok: false as const, reason: (err as Error).message }
        }
        const end = performance.now()
        attempts.push({ start, end, ok: outcome.ok, reason: outcome.ok ? '' : outcome.reason })
        if (outcome.ok) {
          if (start >= killAt) onAckAfterKill()
          break
        }
        // A 409 means an earlier attempt of this name was applied: move on to a new name.
        if (outcome.reason.startsWith('HTTP 409')) break
        // A refused connection fails at once; do not spin on it.
        await sleep(2)
      }
    }
  }

  try {
    const leader = await system.leader()
    const writing = writer()
    await sleep(700 + Math.random() * 600)
    killAt = performance.now()
    await control.kill(leader)
    let timer: NodeJS.Timeout | undefined
    await Promise.race([ackAfterKill, new Promise<void>((resolve) => { timer = setTimeout(resolve, GIVE_UP_MS) })])
    clearTimeout(timer)
    await sleep(200)
    stopped = true
    await writing
    const newLeader = await system.leader().catch(() => '?')

    const firstAck = attempts.find((a) => a.ok && a.start >= killAt)
    const lastBefore = [...attempts].reverse().find((a) => a.ok && a.end <= killAt)
    const failed = attempts.filter((a) => !a.ok && a.start >= killAt && (firstAck === undefined || a.start < firstAck.start))
    const reasons = new Map<string, number>()
    for (const a of failed) reasons.set(a.reason, (reasons.get(a.reason) ?? 0) + 1)
    return {
      crashed: [],
      failoverMs: firstAck === undefined ? GIVE_UP_MS : firstAck.end - killAt,
      gapMs: firstAck === undefined || lastBefore === undefined ? Number.NaN : firstAck.end - lastBefore.end,
      killed: leader,
      newLeader,
      failedAttempts: failed.length,
      reasons: [...reasons].map(([k, v]) => `${k} ×${v}`).join(', '),
      load1: load1()
    }
  } finally {
    stopped = true
    for (const c of clients.values()) c.close()
  }
}

async function withControl (name: SystemName, etcd: EtcdInstall | { missing: string }, log: (line: string) => void, fn: (control: FailoverControl) => Promise<void>): Promise<void> {
  if (name === 'flotilla') {
    await usingCluster(await AgentCluster.start(3, log), async (cluster) => {
      await fn({
        system: flotillaSystem(cluster),
        kill: async (member) => { await cluster.agent(member).kill() },
        restart: async (member) => { await cluster.restart(cluster.agent(member)) },
        waitForRejoin: async (member) => {
          await cluster.waitForRejoin(cluster.agent(member), 3, 60_000)
          await sleep(1000)
        },
        down: (except) => cluster.agents.filter((a) => a.name !== except && !a.running).map((a) => a.name),
        howItEnded: (member) => howItEnded(cluster.agent(member).run)
      })
    })
    return
  }
  if ('missing' in etcd) throw new Error(etcd.missing)
  await usingCluster(await EtcdCluster.start(etcd, 3, log), async (cluster) => {
    const member = (m: string): EtcdCluster['members'][number] => {
      const found = cluster.members.find((x) => x.name === m)
      if (found === undefined) throw new Error(`no etcd member ${m}`)
      return found
    }
    await fn({
      system: etcdSystem(cluster),
      kill: async (m) => { await member(m).run?.kill() },
      restart: async (m) => { await cluster.restart(member(m)) },
      waitForRejoin: async (m) => {
        await cluster.waitForRejoin(member(m), 60_000)
        await sleep(1000)
      },
      down: (except) => cluster.members.filter((m) => m.name !== except && !m.running).map((m) => m.name),
      howItEnded: (m) => howItEnded(member(m).run)
    })
  })
}

/** "exit code 1: PeerUnreachableError: Cannot reach peer …" from a finished run and its log. */
function howItEnded (run: ChildRun | null): string {
  if (run === null) return 'never started'
  const status = run.exitStatus
  const how = status === null ? 'still running' : status.signal !== null ? `killed by ${status.signal}` : `exit code ${String(status.code)}`
  const lines = run.tail(200).split('\n').map((l) => l.trim())
  const lastRun = lines.slice(lines.findLastIndex((l) => l.startsWith('--- ')) + 1)
  const errorLine = lastRun.find((l) => /^[A-Za-z]*Error\b.*:/.test(l) || /^panic:/.test(l))
  return errorLine === undefined ? how : `${how}: ${errorLine.slice(0, 300)}`
}
