// Suite api-writes: acknowledged writes per second and write latency through the Flotilla
// API — ConfigMap creates with unique names and ~100 bytes of data — on a 3-agent cluster of
// real processes, at 1, 16 and 64 concurrent clients; side by side, in the same run, etcd 3.4
// (3 members on loopback) taking puts through its JSON gateway at the same concurrency, from
// the same HTTP client code.
//
// Each client has one keep-alive connection to one member. Clients are spread over the
// members (follower, leader, follower, …), so at 16 and 64 clients about 2/3 of the writes
// are forwarded to the leader. A single client is measured twice: through a follower (the
// target's row: a client talking to "any agent" usually reaches a follower) and through the
// leader (no forwarding), to show what forwarding costs.
//
// Every repetition starts a fresh cluster of each system (alternating which goes first) and
// runs every cell on it after a warm-up; the medians over the repetitions are reported, with
// the load average and the CPU time the servers and the load generator used beside them.

import { AgentCluster } from './agents.ts'
import { EtcdCluster, findEtcd, type EtcdInstall } from './etcd.ts'
import { hostInfo } from './host.ts'
import { usingCluster } from './processes.ts'
import { median } from './stats.ts'
import { withMachineLock } from './machine-lock.ts'
import type { BenchOptions, Row, Suite, SuiteResult, TargetCheck } from './types.ts'
import { etcdSystem, flotillaSystem, followerFirstOrder, runLoad, type LoadRun, type SystemName, type WriteSystem } from './write-load.ts'

interface Cell {
  readonly key: string
  readonly concurrency: number
  /** 'follower' / 'leader': every client through that member; 'spread': follower, leader, follower, … */
  readonly via: 'follower' | 'leader' | 'spread'
}

const CELLS: readonly Cell[] = [
  { key: '1f', concurrency: 1, via: 'follower' },
  { key: '1l', concurrency: 1, via: 'leader' },
  { key: '16', concurrency: 16, via: 'spread' },
  { key: '64', concurrency: 64, via: 'spread' }
]
/** DESIGN.md: writes/s at 64 clients ≥ 2× etcd's; p50 at 1 client ≤ etcd's. */
const TARGET_THROUGHPUT_RATIO = 2

interface Timing {
  /** Untimed load on a fresh cluster before its first cell. */
  readonly systemWarmupMs: number
  readonly warmupMs: number
  readonly durationMs: number
  readonly repeats: number
}

const DESCRIPTION = 'ConfigMap creates through the API of a 3-agent cluster (real processes) vs etcd 3.4 puts through its JSON gateway: writes/s and latency at 1, 16, 64 clients'

export const apiWritesSuite: Suite = {
  name: 'api-writes',
  description: DESCRIPTION,
  async run (opts: BenchOptions): Promise<SuiteResult> {
    return await withMachineLock(opts.log, async (lockNote) => await measureApiWrites(opts, lockNote))
  }
}

async function measureApiWrites (opts: BenchOptions, lockNote: string | null): Promise<SuiteResult> {
  const timing: Timing = opts.quick
    ? { systemWarmupMs: 2_000, warmupMs: 500, durationMs: 2_000, repeats: 1 }
    : { systemWarmupMs: 5_000, warmupMs: 1_500, durationMs: 5_000, repeats: 3 }
  const etcd = await findEtcd()
  const notes: string[] = lockNote === null ? [] : [lockNote]
  if ('missing' in etcd) {
    notes.push(etcd.missing)
    opts.log(`api-writes: ${etcd.missing}`)
  }
  const systems: SystemName[] = 'missing' in etcd ? ['flotilla'] : ['flotilla', 'etcd']
  const runs = new Map<string, LoadRun[]>()

  for (let rep = 1; rep <= timing.repeats; rep++) {
    const order = rep % 2 === 1 ? systems : [...systems].reverse()
    for (const name of order) {
      await withSystem(name, etcd, opts.log, async (system) => {
        // Steady state, not start-up: a JIT runtime (Node) compiles its hot paths during the
        // first seconds of load, a Go binary does not need to. Both systems get the same
        // untimed load first.
        await runLoad(system, { concurrency: 16, order: await followerFirstOrder(system), warmupMs: 0, durationMs: timing.systemWarmupMs, prefix: `w${rep}-warm` })
        for (const cell of CELLS) {
          const leader = await system.leader()
          const members = cell.via === 'spread' ? await followerFirstOrder(system) : cell.via === 'leader' ? [leader] : [system.members().find((m) => m !== leader) as string]
          const run = await runLoad(system, {
            concurrency: cell.concurrency,
            order: members,
            warmupMs: timing.warmupMs,
            durationMs: timing.durationMs,
            prefix: `w${rep}-${cell.key}`
          })
          const key = `${cell.key}/${name}`
          runs.set(key, [...runs.get(key) ?? [], run])
          opts.log(`api-writes: run ${rep}/${timing.repeats} ${name} ${label(cell)}: ${Math.round(run.writesPerSec)} writes/s, p50 ${run.p50Ms.toFixed(2)} ms, p99 ${run.p99Ms.toFixed(2)} ms, servers ${Math.round(run.serverCpuPct)}% cpu, client ${Math.round(run.clientCpuPct)}% cpu, errors ${run.errors}${run.errors > 0 ? ` (${run.errorReasons})` : ''}, load ${run.load1.toFixed(2)}`)
        }
      })
    }
  }

  const targets: TargetCheck[] = []
  const rows: Row[] = []
  for (const cell of CELLS) {
    const etcdRuns = runs.get(`${cell.key}/etcd`)
    const etcdWps = etcdRuns === undefined ? Number.NaN : median(etcdRuns.map((r) => r.writesPerSec))
    const etcdP50 = etcdRuns === undefined ? Number.NaN : median(etcdRuns.map((r) => r.p50Ms))
    for (const name of systems) {
      const cellRuns = runs.get(`${cell.key}/${name}`) ?? []
      const wps = cellRuns.map((r) => r.writesPerSec)
      const row: Record<string, string | number | boolean | null | readonly number[]> = {
        clients: label(cell),
        system: name,
        writesPerSec: median(wps),
        range: `${fmtInt(Math.min(...wps))}–${fmtInt(Math.max(...wps))}`,
        vsEtcd: name === 'flotilla' && Number.isFinite(etcdWps) ? `${(median(wps) / etcdWps).toFixed(2)}×` : null,
        p50Ms: median(cellRuns.map((r) => r.p50Ms)),
        p99Ms: median(cellRuns.map((r) => r.p99Ms)),
        serverCpuPct: median(cellRuns.map((r) => r.serverCpuPct)),
        clientCpuPct: median(cellRuns.map((r) => r.clientCpuPct)),
        clientElu: median(cellRuns.map((r) => r.clientElu)),
        load1: median(cellRuns.map((r) => r.load1)),
        errors: cellRuns.reduce((n, r) => n + r.errors, 0),
        runsWritesPerSec: wps,
        runsP50Ms: cellRuns.map((r) => r.p50Ms),
        runsP99Ms: cellRuns.map((r) => r.p99Ms),
        runsLoad1: cellRuns.map((r) => r.load1),
        errorReasons: cellRuns.map((r) => r.errorReasons).filter((s) => s !== '').join('; '),
        target: ''
      }
      if (name === 'flotilla' && cell.key === '64' && Number.isFinite(etcdWps)) {
        const met = median(wps) >= TARGET_THROUGHPUT_RATIO * etcdWps
        row.target = `≥ ${TARGET_THROUGHPUT_RATIO}× etcd ${met ? 'met' : 'MISSED'}`
        targets.push({ what: 'writes/s at 64 clients, 3 agents', target: `≥ ${TARGET_THROUGHPUT_RATIO}× etcd in the same run (≥ ${fmtInt(TARGET_THROUGHPUT_RATIO * etcdWps)})`, actual: `${fmtInt(median(wps))} (${(median(wps) / etcdWps).toFixed(2)}× etcd's ${fmtInt(etcdWps)})`, met })
      }
      if (name === 'flotilla' && cell.key === '1f' && Number.isFinite(etcdP50)) {
        const p50 = row.p50Ms as number
        const met = p50 <= etcdP50
        row.target = `p50 ≤ etcd ${met ? 'met' : 'MISSED'}`
        targets.push({ what: 'write latency p50, 1 client (through a follower, as etcd)', target: `≤ etcd's p50 in the same run (${etcdP50.toFixed(3)} ms)`, actual: `${p50.toFixed(3)} ms`, met })
      }
      rows.push(row)
    }
  }
  if ('missing' in etcd) notes.push('The targets relative to etcd (writes/s at 64 clients ≥ 2× etcd; p50 at 1 client ≤ etcd) were not judged: no etcd figures.')

  const host = hostInfo()
  return {
    suite: 'api-writes',
    description: DESCRIPTION,
    tables: [{
      title: `api-writes: medians of ${timing.repeats} run(s) × ${timing.durationMs / 1000} s (after ${timing.warmupMs / 1000} s warm-up), fresh 3-member cluster per run and system, warmed by ${timing.systemWarmupMs / 1000} s of untimed 16-client load; ~100-byte values`,
      columns: [
        { key: 'clients', header: 'clients' },
        { key: 'system', header: 'system' },
        { key: 'writesPerSec', header: 'writes/s' },
        { key: 'range', header: 'runs min–max' },
        { key: 'vsEtcd', header: 'vs etcd' },
        { key: 'p50Ms', header: 'p50 ms', digits: 2 },
        { key: 'p99Ms', header: 'p99 ms', digits: 2 },
        { key: 'serverCpuPct', header: 'servers cpu %' },
        { key: 'clientCpuPct', header: 'client cpu %' },
        { key: 'clientElu', header: 'client loop busy', digits: 2 },
        { key: 'load1', header: 'load1', digits: 2 },
        { key: 'errors', header: 'errors' },
        { key: 'target', header: 'target' }
      ],
      rows
    }],
    targets,
    notes: [
      ...notes,
      `host: ${host.cpus} × ${host.cpuModel}, ${host.memoryGiB} GiB, ${host.platform}, Node ${host.node}${'missing' in etcd ? '' : `, etcd ${etcd.version}`}`,
      'Flotilla: POST /api/v1/namespaces/default/configmaps (201 = acknowledged: committed by a majority and applied on the agent that answered); etcd: POST /v3/kv/put on the JSON gateway (200). Same HTTP/1.1 client for both, one keep-alive connection per client.',
      '"1 → follower" / "1 → leader": one client through a follower / the leader; 16 and 64 clients are spread follower, leader, follower, … (about 2/3 forwarded).',
      'servers cpu % is the CPU time of the 3 server processes together over wall time (200% = both cores of a 2-core machine); client cpu % and client loop busy are the load generator\'s (this process): loop busy near 1.00 means the generator itself may be the limit.',
      'load1 is the 1-minute load average at the end of each run; it includes the benchmark\'s own processes.'
    ]
  }
}

function label (cell: Cell): string {
  return cell.via === 'spread' ? String(cell.concurrency) : `${cell.concurrency} → ${cell.via}`
}

/** Start a fresh cluster of `name`, hand it to `fn`, and stop it whatever happens. */
export async function withSystem (name: SystemName, etcd: EtcdInstall | { missing: string }, log: (line: string) => void, fn: (system: WriteSystem) => Promise<void>): Promise<void> {
  if (name === 'flotilla') {
    await usingCluster(await AgentCluster.start(3, log), async (cluster) => { await fn(flotillaSystem(cluster)) })
    return
  }
  if ('missing' in etcd) throw new Error(etcd.missing)
  await usingCluster(await EtcdCluster.start(etcd, 3, log), async (cluster) => { await fn(etcdSystem(cluster)) })
}

function fmtInt (n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—'
}
