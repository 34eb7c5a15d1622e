// Suite raft-commit: how many proposals per second a 3-node RaftNode cluster commits in one
// process, and how long each takes, with the level store (synced) and the memory store, at
// 1, 16 and 256 concurrent proposers. Each proposer loops: propose ~100 bytes on the leader,
// await, repeat. Latency is propose() call to resolve (committed and applied on the leader).
//
// Every cell runs on a fresh cluster, after a warm-up, and is repeated; the repetitions are
// interleaved across cells (so a burst of background load hits one run of several cells,
// not every run of one) and the median is reported. The fsync baseline (a synced 100-byte
// level put) is measured in the same run, and the load average is recorded beside each cell.

import { randomBytes } from 'node:crypto'
import type { RaftNode } from '../../raft/node.ts'
import { measureSyncedPut, type FsyncBaseline } from './fsync.ts'
import { hostInfo, load1 } from './host.ts'
import { startCluster, type StoreKind } from './raft-cluster.ts'
import { median, percentileSorted, Samples } from './stats.ts'
import type { BenchOptions, Row, Suite, SuiteResult, TargetCheck } from './types.ts'

const STORES: readonly StoreKind[] = ['level', 'memory']
const CONCURRENCY: readonly number[] = [1, 16, 256]
const PAYLOAD_BYTES = 100
/** DESIGN.md targets for this suite. */
const TARGET_COMMITS_PER_SEC = 20_000
const TARGET_P50_OVER_FSYNC_MS = 1

export interface Timing {
  readonly warmupMs: number
  readonly durationMs: number
  readonly repeats: number
}

export interface CellRun {
  readonly commitsPerSec: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly errors: number
  /** Commits per synced batch of the leader's store; null for the memory store. */
  readonly commitsPerLeaderFsync: number | null
  /** Synced batches per second, all three stores together. */
  readonly fsyncsPerSec: number
  readonly messagesPerCommit: number
  /** Process CPU time (all threads) over wall time, in percent. */
  readonly cpuPct: number
  /** Event-loop utilization of the main thread (1 = never idle). */
  readonly elu: number
  readonly load1: number
}

interface CellRuns {
  readonly store: StoreKind
  readonly concurrency: number
  readonly runs: CellRun[]
}

interface LatencyBudget {
  /** The fsync baseline of this run (both measurements pooled). */
  readonly fsyncMedianMs: number
  /** 1 ms + that fsync: the p50 target at 1 proposer. */
  readonly p50Budget: number
}

export const raftCommitSuite: Suite = {
  name: 'raft-commit',
  description: '3-node RaftNode cluster in one process (MemoryNetwork): commits/s and commit latency, level vs memory store, 1/16/256 proposers',
  async run (opts: BenchOptions): Promise<SuiteResult> {
    const timing: Timing = opts.quick
      ? { warmupMs: 250, durationMs: 1_000, repeats: 1 }
      : { warmupMs: 1_000, durationMs: 5_000, repeats: 3 }

    // The fsync baseline before and after the cells, so a change in the disk's mood shows.
    const fsyncSamples = opts.quick ? 50 : 300
    opts.log('raft-commit: fsync baseline (synced 100-byte level puts)')
    const fsyncBefore = { ...await measureSyncedPut(fsyncSamples), load1: load1() }

    const cells: CellRuns[] = STORES.flatMap((store) => CONCURRENCY.map((concurrency) => ({ store, concurrency, runs: [] })))
    for (let rep = 1; rep <= timing.repeats; rep++) {
      for (const cell of cells) {
        const run = await runCell(cell.store, cell.concurrency, timing)
        cell.runs.push(run)
        opts.log(`raft-commit: run ${rep}/${timing.repeats} ${cell.store} ×${cell.concurrency}: ${Math.round(run.commitsPerSec)} commits/s, p50 ${run.p50Ms.toFixed(2)} ms, p99 ${run.p99Ms.toFixed(2)} ms, load ${run.load1.toFixed(2)}`)
      }
    }

    opts.log('raft-commit: fsync baseline again')
    const fsyncAfter = { ...await measureSyncedPut(fsyncSamples), load1: load1() }
    const fsyncMedianMs = median([...fsyncBefore.sortedMs, ...fsyncAfter.sortedMs])
    const p50Budget = TARGET_P50_OVER_FSYNC_MS + fsyncMedianMs
    const targets: TargetCheck[] = []
    const rows = cells.map((cell) => summarize(cell, { p50Budget, fsyncMedianMs }, targets))

    const host = hostInfo()
    return {
      suite: 'raft-commit',
      description: this.description,
      tables: [{
        title: `raft-commit: medians of ${timing.repeats} run(s) × ${timing.durationMs / 1000} s (after ${timing.warmupMs / 1000} s warm-up), ${PAYLOAD_BYTES}-byte proposals`,
        columns: [
          { key: 'store', header: 'store' },
          { key: 'proposers', header: 'proposers' },
          { key: 'commitsPerSec', header: 'commits/s' },
          { key: 'range', header: 'runs min–max' },
          { key: 'p50Ms', header: 'p50 ms', digits: 3 },
          { key: 'p99Ms', header: 'p99 ms', digits: 3 },
          { key: 'commitsPerLeaderFsync', header: 'commits/leader fsync', digits: 1 },
          { key: 'fsyncsPerSec', header: 'fsyncs/s (3 nodes)' },
          { key: 'messagesPerCommit', header: 'msgs/commit', digits: 2 },
          { key: 'cpuPct', header: 'cpu %' },
          { key: 'elu', header: 'loop busy', digits: 2 },
          { key: 'load1', header: 'load1', digits: 2 },
          { key: 'errors', header: 'errors' },
          { key: 'target', header: 'target' }
        ],
        rows
      }, {
        title: 'fsync baseline: synced 100-byte level put, sequential, same run',
        columns: [
          { key: 'when', header: 'when' },
          { key: 'medianMs', header: 'median ms', digits: 3 },
          { key: 'p90Ms', header: 'p90 ms', digits: 3 },
          { key: 'samples', header: 'samples' },
          { key: 'load1', header: 'load1', digits: 2 }
        ],
        rows: [fsyncRow('before the cells', fsyncBefore), fsyncRow('after the cells', fsyncAfter)]
      }],
      targets,
      notes: [
        `host: ${host.cpus} × ${host.cpuModel}, ${host.memoryGiB} GiB, ${host.platform}, Node ${host.node}`,
        'load1 is the 1-minute load average at the end of each run; it includes this benchmark\'s own work (about 1 on an idle machine).',
        'cpu % is this process\'s CPU time (all threads, fsyncs included) over wall time; loop busy is the main thread\'s event-loop utilization (1.00 = never idle: CPU-bound on JavaScript, or, when cpu % is well below 100, starved by other processes).'
      ]
    }
  }
}

/** The medians of one cell's runs as a table row; adds the cell's target check, if it has one. */
function summarize ({ store, concurrency, runs }: CellRuns, { p50Budget, fsyncMedianMs }: LatencyBudget, targets: TargetCheck[]): Row {
  const commits = runs.map((r) => r.commitsPerSec)
  const row = {
    store,
    proposers: concurrency,
    commitsPerSec: median(commits),
    range: `${fmtInt(Math.min(...commits))}–${fmtInt(Math.max(...commits))}`,
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    commitsPerLeaderFsync: store === 'level' ? median(runs.map((r) => r.commitsPerLeaderFsync ?? Number.NaN)) : null,
    fsyncsPerSec: store === 'level' ? median(runs.map((r) => r.fsyncsPerSec)) : null,
    messagesPerCommit: median(runs.map((r) => r.messagesPerCommit)),
    cpuPct: median(runs.map((r) => r.cpuPct)),
    elu: median(runs.map((r) => r.elu)),
    load1: median(runs.map((r) => r.load1)),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    runsCommitsPerSec: commits,
    runsP50Ms: runs.map((r) => r.p50Ms),
    runsP99Ms: runs.map((r) => r.p99Ms),
    runsLoad1: runs.map((r) => r.load1),
    target: ''
  }
  if (store === 'level' && concurrency === 256) {
    const met = row.commitsPerSec >= TARGET_COMMITS_PER_SEC
    row.target = `≥ ${fmtInt(TARGET_COMMITS_PER_SEC)}/s ${met ? 'met' : 'MISSED'}`
    targets.push({ what: 'level store, 256 proposers: commits/s', target: `≥ ${fmtInt(TARGET_COMMITS_PER_SEC)}`, actual: fmtInt(row.commitsPerSec), met })
  }
  if (store === 'level' && concurrency === 1) {
    const met = row.p50Ms <= p50Budget
    row.target = `p50 ≤ ${p50Budget.toFixed(2)} ms ${met ? 'met' : 'MISSED'}`
    targets.push({ what: 'level store, 1 proposer: p50 commit latency', target: `≤ 1 ms + fsync (${fsyncMedianMs.toFixed(3)} ms, both baselines pooled) = ${p50Budget.toFixed(3)} ms`, actual: `${row.p50Ms.toFixed(3)} ms`, met })
  }
  return row
}

function fsyncRow (when: string, f: FsyncBaseline & { load1: number }): Row {
  return { when, medianMs: f.medianMs, p90Ms: f.p90Ms, samples: f.samples, load1: f.load1 }
}

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

interface RunState {
  recording: boolean
  stopped: boolean
  errors: number
  readonly latencies: Samples
}

/** One cell, once: a fresh cluster, `concurrency` proposer loops, warm-up, then the measured window. Exported for profiling one cell alone. */
export async function runCell (store: StoreKind, concurrency: number, timing: Timing): Promise<CellRun> {
  const cluster = await startCluster({ store })
  try {
    await cluster.waitForLeader()
    const state: RunState = { recording: false, stopped: false, errors: 0, latencies: new Samples() }
    const workers = Array.from({ length: concurrency }, async () => { await proposer(cluster.leader, randomBytes(PAYLOAD_BYTES), state) })

    await sleep(timing.warmupMs)
    const leader = cluster.leader()
    const leaderIndex = leader === undefined ? -1 : cluster.nodes.indexOf(leader)
    const fsyncsBefore = cluster.syncedBatches()
    const deliveredBefore = cluster.net.delivered
    const cpuBefore = process.cpuUsage()
    const eluBefore = performance.eventLoopUtilization()
    const t0 = performance.now()
    state.recording = true

    await sleep(timing.durationMs)
    state.recording = false
    const seconds = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpuBefore)
    const elu = performance.eventLoopUtilization(eluBefore).utilization
    const fsyncsAfter = cluster.syncedBatches()
    const messages = cluster.net.delivered - deliveredBefore
    const loadAtEnd = load1()
    state.stopped = true
    await Promise.all(workers)

    const commits = state.latencies.length
    const fsyncs = fsyncsAfter.map((n, i) => n - (fsyncsBefore[i] ?? 0))
    const leaderFsyncs = fsyncs[leaderIndex] ?? 0
    const sorted = state.latencies.sorted()
    return {
      commitsPerSec: commits / seconds,
      p50Ms: percentileSorted(sorted, 50),
      p99Ms: percentileSorted(sorted, 99),
      errors: state.errors,
      commitsPerLeaderFsync: store === 'level' && leaderFsyncs > 0 ? commits / leaderFsyncs : null,
      fsyncsPerSec: fsyncs.reduce((a, b) => a + b, 0) / seconds,
      messagesPerCommit: commits > 0 ? messages / commits : Number.NaN,
      cpuPct: (cpu.user + cpu.system) / 1e3 / (seconds * 1000) * 100,
      elu,
      load1: loadAtEnd
    }
  } finally {
    await cluster.stop()
  }
}

/** Propose on whichever node leads, await, repeat; record the latency of commits inside the window. */
async function proposer (leaderOf: () => RaftNode | undefined, payload: Uint8Array, state: RunState): Promise<void> {
  while (!state.stopped) {
    const leader = leaderOf()
    if (leader === undefined) {
      await sleep(1)
      continue
    }
    const t0 = performance.now()
    try {
      await leader.propose(payload)
    } catch {
      // Leadership moved or a proposal timed out: count it and retry on the current leader.
      if (state.recording) state.errors++
      await sleep(1)
      continue
    }
    if (state.recording) state.latencies.push(performance.now() - t0)
  }
}

function fmtInt (n: number): string {
  return Math.round(n).toLocaleString('en-US')
}
