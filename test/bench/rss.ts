// Suite agent-rss: resident memory of each agent of a 3-agent cluster, fresh (idle after
// start) and idle after a load run (a fixed number of ConfigMap creates at 64 clients, in two
// stages), read from /proc/PID/status (VmRSS; VmHWM is the peak). The same for the members of
// a 3-member etcd 3.4 cluster given the same number of puts, for comparison.
//
// "Idle after a load run" is sampled twice: SHORT_IDLE_MS after the load ends, and LONG_IDLE_MS
// after. V8 gives memory back only once it sees the process idle (its memory reducer runs
// memory-reducing collections and shrinks the young generation): measured here 15–45 s after
// the load on followers and 50–60 s on the leader, whose heartbeats keep its allocation rate
// near V8's idle threshold. 5 s after a load the heap still holds that load's garbage. The
// target is judged on the later sample, the earlier one is shown beside it. Units: MiB = 2^20 bytes; the target, 150 MB, is 150 × 10^6 bytes
// (143.05 MiB).

import { findEtcd } from './etcd.ts'
import { hostInfo, load1 } from './host.ts'
import { memoryOf, sleep } from './processes.ts'
import { withMachineLock } from './machine-lock.ts'
import type { BenchOptions, Row, Suite, SuiteResult, TargetCheck } from './types.ts'
import { withSystem } from './api-writes.ts'
import { followerFirstOrder, runLoad, type SystemName } from './write-load.ts'

/** Fresh: sampled this long after the cluster is up. Idle after a stage: first sample. */
const SHORT_IDLE_MS = 5_000
/** Idle after a stage: the sample the target is judged on. */
const LONG_IDLE_MS = 60_000
/** DESIGN.md: agent RSS idle after a load run < 150 MB (decimal megabytes). */
const TARGET_RSS_BYTES = 150e6
const MIB = 2 ** 20
const TARGET_RSS_MIB = TARGET_RSS_BYTES / MIB

const DESCRIPTION = 'resident memory (VmRSS) of each agent, fresh and idle (5 s and 60 s) after load runs of ConfigMap creates at 64 clients; etcd 3.4 members after the same number of puts'

interface Sample { rssMiB: number, peakMiB: number }

export const agentRssSuite: Suite = {
  name: 'agent-rss',
  description: DESCRIPTION,
  async run (opts: BenchOptions): Promise<SuiteResult> {
    return await withMachineLock(opts.log, async (lockNote) => await measureRss(opts, lockNote))
  }
}

/** "123.4 MiB (129.4 MB)". */
function both (mib: number): string {
  return `${mib.toFixed(1)} MiB (${(mib * MIB / 1e6).toFixed(1)} MB)`
}

function judge (what: string, s: Sample | null, detail: string): TargetCheck | null {
  if (s === null) return null
  return { what, target: `< 150 MB (${TARGET_RSS_MIB.toFixed(1)} MiB)`, actual: `${both(s.rssMiB)}${detail}`, met: s.rssMiB * MIB < TARGET_RSS_BYTES }
}

async function measureRss (opts: BenchOptions, lockNote: string | null): Promise<SuiteResult> {
  // Two stages, RSS read after each: how much the agent holds after a modest run, after a long
  // one, and so what each object costs.
  const stages: readonly [number, number] = opts.quick ? [1_000, 5_000] : [10_000, 100_000]
  const etcd = await findEtcd()
  const notes: string[] = lockNote === null ? [] : [lockNote]
  if ('missing' in etcd) {
    notes.push(etcd.missing)
    opts.log(`agent-rss: ${etcd.missing}`)
  }
  const systems: SystemName[] = 'missing' in etcd ? ['flotilla'] : ['flotilla', 'etcd']
  const rows: Row[] = []
  const targets: TargetCheck[] = []
  const fmt = (ms: ReadonlyArray<Sample | null>): string => ms.map((m) => m === null ? '?' : `${m.rssMiB.toFixed(1)} MiB`).join(', ')
  const k = (n: number): string => `${n / 1000}k`
  for (const name of systems) {
    await withSystem(name, etcd, opts.log, async (system) => {
      await sleep(SHORT_IDLE_MS)
      const members = system.members()
      const pids = system.pids()
      const order = await followerFirstOrder(system)
      const fresh = await Promise.all(pids.map(memoryOf))
      opts.log(`agent-rss: ${name} fresh: ${fmt(fresh)}`)
      const short: Array<Array<Sample | null>> = []
      const long: Array<Array<Sample | null>> = []
      let written = 0
      for (const [i, total] of stages.entries()) {
        const run = await runLoad(system, { concurrency: 64, order, warmupMs: 0, count: total - written, prefix: `rss${i}` })
        written += run.acked
        await sleep(SHORT_IDLE_MS)
        short.push(await Promise.all(pids.map(memoryOf)))
        await sleep(LONG_IDLE_MS - SHORT_IDLE_MS)
        long.push(await Promise.all(pids.map(memoryOf)))
        opts.log(`agent-rss: ${name} ${written.toLocaleString('en-US')} writes (this stage ${Math.round(run.writesPerSec)}/s, ${run.errors} errors), idle ${SHORT_IDLE_MS / 1000} s: ${fmt(short[i] ?? [])}; idle ${LONG_IDLE_MS / 1000} s: ${fmt(long[i] ?? [])}`)
      }
      const loadNow = load1()
      members.forEach((member, i) => {
        const f = fresh[i] ?? null
        const s1 = short[0]?.[i] ?? null
        const l1 = long[0]?.[i] ?? null
        const s2 = short[1]?.[i] ?? null
        const l2 = long[1]?.[i] ?? null
        const met = (s: Sample | null): string => s === null ? '?' : s.rssMiB * MIB < TARGET_RSS_BYTES ? 'met' : 'MISSED'
        rows.push({
          system: name,
          member,
          pid: pids[i] ?? null,
          freshMiB: f?.rssMiB ?? null,
          stage1ShortMiB: s1?.rssMiB ?? null,
          stage1MiB: l1?.rssMiB ?? null,
          stage2ShortMiB: s2?.rssMiB ?? null,
          stage2MiB: l2?.rssMiB ?? null,
          peakMiB: l2?.peakMiB ?? null,
          kibPerWrite: l1 !== null && l2 !== null ? (l2.rssMiB - l1.rssMiB) * 1024 / (stages[1] - stages[0]) : null,
          writes: written,
          load1: loadNow,
          target: name === 'flotilla' ? `fresh ${met(f)}, ${k(stages[0])} ${met(l1)}, ${k(stages[1])} ${met(l2)}` : ''
        })
        if (name !== 'flotilla') return
        const after = (stage: number, s: Sample | null): string => s === null ? '' : `; ${SHORT_IDLE_MS / 1000} s after the load: ${both(s.rssMiB)}${stage === 1 ? `, peak ${both(s.peakMiB)}` : ''}`
        for (const t of [
          judge(`agent ${member}: RSS fresh (${SHORT_IDLE_MS / 1000} s after start)`, f, ''),
          judge(`agent ${member}: RSS idle ${LONG_IDLE_MS / 1000} s after ${stages[0].toLocaleString('en-US')} writes`, l1, after(0, s1)),
          judge(`agent ${member}: RSS idle ${LONG_IDLE_MS / 1000} s after ${stages[1].toLocaleString('en-US')} writes`, l2, after(1, s2))
        ]) if (t !== null) targets.push(t)
      })
    })
  }
  const host = hostInfo()
  return {
    suite: 'agent-rss',
    description: DESCRIPTION,
    tables: [{
      title: `agent-rss: writes at 64 clients (unique keys, ~100-byte values); RSS in MiB ${SHORT_IDLE_MS / 1000} s after start, and ${SHORT_IDLE_MS / 1000} s and ${LONG_IDLE_MS / 1000} s after ${stages[0].toLocaleString('en-US')} and ${stages[1].toLocaleString('en-US')} writes; target < 150 MB = ${TARGET_RSS_MIB.toFixed(1)} MiB`,
      columns: [
        { key: 'system', header: 'system' },
        { key: 'member', header: 'member' },
        { key: 'freshMiB', header: 'fresh', digits: 1 },
        { key: 'stage1ShortMiB', header: `${k(stages[0])} +${SHORT_IDLE_MS / 1000}s`, digits: 1 },
        { key: 'stage1MiB', header: `${k(stages[0])} +${LONG_IDLE_MS / 1000}s`, digits: 1 },
        { key: 'stage2ShortMiB', header: `${k(stages[1])} +${SHORT_IDLE_MS / 1000}s`, digits: 1 },
        { key: 'stage2MiB', header: `${k(stages[1])} +${LONG_IDLE_MS / 1000}s`, digits: 1 },
        { key: 'peakMiB', header: 'peak', digits: 1 },
        { key: 'kibPerWrite', header: 'KiB/write', digits: 1 },
        { key: 'writes', header: 'writes' },
        { key: 'load1', header: 'load1', digits: 2 },
        { key: 'target', header: 'target < 150 MB' }
      ],
      rows
    }],
    targets,
    notes: [
      ...notes,
      `host: ${host.cpus} × ${host.cpuModel}, ${host.memoryGiB} GiB, ${host.platform}, Node ${host.node}${'missing' in etcd ? '' : `, etcd ${etcd.version}`}`,
      `RSS is VmRSS from /proc/PID/status (peak: VmHWM), in MiB (2^20 bytes); the target is 150 MB = 150 × 10^6 bytes = ${TARGET_RSS_MIB.toFixed(2)} MiB. KiB per write is the growth between the two stages (${LONG_IDLE_MS / 1000} s samples) divided by the writes in between. Each agent holds a full replica of every object in memory, so its RSS grows with the number of objects written.`,
      `Idle samples are taken ${SHORT_IDLE_MS / 1000} s and ${LONG_IDLE_MS / 1000} s after each stage's load ends; targets are judged on the ${LONG_IDLE_MS / 1000} s sample (V8 collects a load's garbage and shrinks its heap only after it has seen the process idle for a while).`,
      'Agents run as `node --max-semi-space-size=4 --expose-gc bin/flotilla.js agent` with MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 (src/agent/agent-launch.ts, as `flotilla up` starts them; the compiled bundle dist/flotilla.js, fake container runtime).'
    ]
  }
}
