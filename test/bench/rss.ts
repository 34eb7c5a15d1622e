// Suite agent-rss: resident memory of each agent of a 3-agent cluster, fresh (idle after
// start) and idle after a load run (a fixed number of ConfigMap creates at 64 clients, then
// IDLE_MS without traffic), read from /proc/PID/status (VmRSS; VmHWM is the peak). The same
// for the members of a 3-member etcd 3.4 cluster given the same number of puts, for
// comparison.

import { findEtcd } from './etcd.ts'
import { hostInfo, load1 } from './host.ts'
import { memoryOf, sleep } from './processes.ts'
import { withMachineLock } from './machine-lock.ts'
import type { BenchOptions, Row, Suite, SuiteResult, TargetCheck } from './types.ts'
import { withSystem } from './api-writes.ts'
import { followerFirstOrder, runLoad, type SystemName } from './write-load.ts'

const IDLE_MS = 5_000
/** DESIGN.md: agent RSS idle after a load run < 150 MB (decimal megabytes). */
const TARGET_RSS_BYTES = 150e6
const TARGET_RSS_MIB = TARGET_RSS_BYTES / 2 ** 20

const DESCRIPTION = 'resident memory (VmRSS) of each agent, fresh and idle after a load run of ConfigMap creates at 64 clients; etcd 3.4 members after the same number of puts'

export const agentRssSuite: Suite = {
  name: 'agent-rss',
  description: DESCRIPTION,
  async run (opts: BenchOptions): Promise<SuiteResult> {
    return await withMachineLock(opts.log, async (lockNote) => await measureRss(opts, lockNote))
  }
}

async function measureRss (opts: BenchOptions, lockNote: string | null): Promise<SuiteResult> {
  // Two stages, RSS read after each (after IDLE_MS without traffic): how much the agent holds
  // after a modest run, after a long one, and so what each object costs.
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
  const fmt = (ms: ReadonlyArray<{ rssMiB: number } | null>): string => ms.map((m) => m === null ? '?' : `${m.rssMiB.toFixed(1)} MiB`).join(', ')
  for (const name of systems) {
    await withSystem(name, etcd, opts.log, async (system) => {
      await sleep(IDLE_MS)
      const members = system.members()
      const pids = system.pids()
      const order = await followerFirstOrder(system)
      const fresh = await Promise.all(pids.map(memoryOf))
      opts.log(`agent-rss: ${name} fresh: ${fmt(fresh)}`)
      const after: Array<Array<{ rssMiB: number, peakMiB: number } | null>> = []
      let written = 0
      for (const [i, total] of stages.entries()) {
        const run = await runLoad(system, { concurrency: 64, order, warmupMs: 0, count: total - written, prefix: `rss${i}` })
        written += run.acked
        await sleep(IDLE_MS)
        after.push(await Promise.all(pids.map(memoryOf)))
        opts.log(`agent-rss: ${name} ${written.toLocaleString('en-US')} writes (this stage ${Math.round(run.writesPerSec)}/s, ${run.errors} errors), ${IDLE_MS / 1000} s idle: ${fmt(after[i] ?? [])}`)
      }
      const loadNow = load1()
      members.forEach((member, i) => {
        const f = fresh[i] ?? null
        const s1 = after[0]?.[i] ?? null
        const s2 = after[1]?.[i] ?? null
        const row: Record<string, string | number | null> = {
          system: name,
          member,
          pid: pids[i] ?? null,
          freshMiB: f?.rssMiB ?? null,
          stage1MiB: s1?.rssMiB ?? null,
          stage2MiB: s2?.rssMiB ?? null,
          peakMiB: s2?.peakMiB ?? null,
          kibPerWrite: s1 !== null && s2 !== null ? (s2.rssMiB - s1.rssMiB) * 1024 / (stages[1] - stages[0]) : null,
          writes: written,
          load1: loadNow,
          target: ''
        }
        if (name === 'flotilla' && s2 !== null) {
          const met = s2.rssMiB * 2 ** 20 < TARGET_RSS_BYTES
          row.target = `< 150 MB ${met ? 'met' : 'MISSED'}`
          targets.push({ what: `agent ${member}: RSS idle after ${written.toLocaleString('en-US')} writes`, target: `< 150 MB (${TARGET_RSS_MIB.toFixed(1)} MiB)`, actual: `${s2.rssMiB.toFixed(1)} MiB (fresh ${f?.rssMiB.toFixed(1) ?? '?'} MiB, after ${stages[0].toLocaleString('en-US')} writes ${s1?.rssMiB.toFixed(1) ?? '?'} MiB, peak ${s2.peakMiB.toFixed(1)} MiB)`, met })
        }
        rows.push(row)
      })
    })
  }
  const host = hostInfo()
  return {
    suite: 'agent-rss',
    description: DESCRIPTION,
    tables: [{
      title: `agent-rss: writes at 64 clients (unique keys, ~100-byte values); RSS ${IDLE_MS / 1000} s after start and ${IDLE_MS / 1000} s after ${stages[0].toLocaleString('en-US')} and ${stages[1].toLocaleString('en-US')} writes`,
      columns: [
        { key: 'system', header: 'system' },
        { key: 'member', header: 'member' },
        { key: 'freshMiB', header: 'fresh MiB', digits: 1 },
        { key: 'stage1MiB', header: `idle after ${stages[0] / 1000}k MiB`, digits: 1 },
        { key: 'stage2MiB', header: `idle after ${stages[1] / 1000}k MiB`, digits: 1 },
        { key: 'peakMiB', header: 'peak MiB', digits: 1 },
        { key: 'kibPerWrite', header: 'KiB per write', digits: 1 },
        { key: 'writes', header: 'writes' },
        { key: 'load1', header: 'load1', digits: 2 },
        { key: 'target', header: 'target' }
      ],
      rows
    }],
    targets,
    notes: [
      ...notes,
      `host: ${host.cpus} × ${host.cpuModel}, ${host.memoryGiB} GiB, ${host.platform}, Node ${host.node}${'missing' in etcd ? '' : `, etcd ${etcd.version}`}`,
      'RSS is VmRSS from /proc/PID/status (peak: VmHWM); KiB per write is the growth between the two stages divided by the writes in between. Each agent holds a full replica of every object in memory, so its RSS grows with the number of objects written; the target is judged after the second stage.',
      'Agents run as `node bin/flotilla.js agent` (the compiled bundle dist/flotilla.js, fake container runtime).'
    ]
  }
}
