// Suite service-proxy: HTTP GETs per second and their latency through Flotilla's service
// proxy, against the same server reached directly and through Docker Swarm, in the same run
// on the same Docker Engine. The server is busybox httpd (flotilla/busybox:test) serving a
// 100-byte file; it closes the connection after each answer, so every request is a new
// connection (what it supports). The main comparison has one replica, so every way in
// reaches the same kind of backend:
//   nodeport  Flotilla's proxy at the NodePort of the agent on the pod's node (its --node-ip)
//   clusterip Flotilla's proxy at the Service's cluster IP, from this machine
//   direct    the pod's hostPort, published by Docker (docker-proxy on loopback)
//   pod IP    the pod's own address on the bridge: no proxy at all (the floor; with 3
//             replicas each client takes the pod IPs in turn)
//   swarm     a swarm service of the same image and command, through the routing mesh (or,
//             where the mesh does not work, published in host mode: the report says which)
// at 1, 8 and 32 clients, each doing requests back to back. Then the same with 3 replicas
// (one per node) for the proxy and the pod IPs: a hostPort cannot be published 3 times on
// one machine, nor can Swarm's host mode (the only one that works here: no routing mesh).
// One 3-agent cluster and one swarm service serve every repetition; within a repetition
// each concurrency runs every mode, in an order rotated per repetition; medians over the
// repetitions are reported.

import { AgentCluster } from './agents.ts'
import { requireDockerImage } from './docker.ts'
import { runGetLoad, type GetRun, type GetTarget } from './get-load.ts'
import { hostInfo } from './host.ts'
import { withMachineLock } from './machine-lock.ts'
import { usingCluster } from './processes.ts'
import { median } from './stats.ts'
import { addressOf, BODY_BYTES, createNamespace, IMAGE, setUpApp, setUpSwarm, type SwarmTarget } from './service-proxy-setup.ts'
import { BenchSwarm } from './swarm.ts'
import type { BenchOptions, Row, Suite, SuiteResult, TargetCheck } from './types.ts'

type Mode = 'nodeport' | 'clusterip' | 'direct' | 'pod IP' | 'swarm'
const MODES: readonly Mode[] = ['nodeport', 'clusterip', 'direct', 'pod IP', 'swarm']
const CONCURRENCIES: readonly number[] = [1, 8, 32]
/** DESIGN.md: service proxy requests/s ≥ 0.8× direct, above Swarm's mesh; judged at the highest concurrency. */
const TARGET_RATIO = 0.8
/** Untimed load on every mode before the first repetition: the agents' JIT warms up (as api-writes does). */
const SYSTEM_WARMUP = { concurrency: 8, ms: 2_000 }

const DESCRIPTION = 'HTTP GETs (a connection each) to busybox httpd through the Flotilla proxy (NodePort, cluster IP) vs direct (hostPort, pod IP) vs Docker Swarm, 3 agents on Docker: req/s and latency at 1, 8, 32 clients'

export const serviceProxySuite: Suite = {
  name: 'service-proxy',
  description: DESCRIPTION,
  async run (opts: BenchOptions): Promise<SuiteResult> {
    return await withMachineLock(opts.log, async (lockNote) => await measure(opts, lockNote))
  }
}

interface Timing { readonly warmupMs: number, readonly durationMs: number, readonly repeats: number }

async function measure (opts: BenchOptions, lockNote: string | null): Promise<SuiteResult> {
  const timing: Timing = opts.quick ? { warmupMs: 500, durationMs: 2_000, repeats: 1 } : { warmupMs: 1_500, durationMs: 5_000, repeats: 3 }
  await requireDockerImage(IMAGE)
  const notes: string[] = lockNote === null ? [] : [lockNote]
  const runs = new Map<string, GetRun[]>()
  const runId = `${process.pid}-${Date.now().toString(36)}`
  let describe = ''
  let swarmMode: SwarmTarget['mode'] | 'none' = 'none'
  const swarm = await BenchSwarm.init(opts.log)
  if ('missing' in swarm) {
    notes.push(swarm.missing)
    opts.log(`service-proxy: ${swarm.missing}`)
  }
  try {
    await usingCluster(await AgentCluster.start(3, opts.log, { runtime: 'docker', nodeIps: true }), async (cluster) => {
      const namespace = await createNamespace(cluster, runId)
      const one = await setUpApp(cluster, namespace, 'web', 1, true, opts.log)
      const three = await setUpApp(cluster, namespace, 'web3', 3, false, opts.log)
      const s = 'missing' in swarm ? null : await setUpSwarm(swarm, opts.log)
      if (s?.note != null) notes.push(s.note)
      swarmMode = s?.mode ?? 'none'
      const phases = new Map<number, Map<Mode, GetTarget>>([
        [1, new Map<Mode, GetTarget>([['nodeport', one.nodePort], ['clusterip', one.clusterIP], ['direct', one.hostPort as GetTarget], ['pod IP', one.podIPs], ...(s !== null ? [['swarm', s.target] as [Mode, GetTarget]] : [])])],
        [3, new Map<Mode, GetTarget>([['nodeport', three.nodePort], ['clusterip', three.clusterIP], ['pod IP', three.podIPs]])]
      ])
      describe = `namespace ${namespace}; ${one.describe}; ${three.describe}; swarm ${s === null ? 'not measured' : `${s.mode === 'mesh' ? 'routing mesh' : 'mode=host'} ${addressOf(s.target)}`}`
      const pids = cluster.running.map((a) => a.pid)
      for (const targets of phases.values()) {
        for (const t of targets.values()) await runGetLoad(t, { concurrency: SYSTEM_WARMUP.concurrency, warmupMs: 0, durationMs: opts.quick ? SYSTEM_WARMUP.ms / 2 : SYSTEM_WARMUP.ms })
      }
      for (let rep = 1; rep <= timing.repeats; rep++) {
        for (const [replicas, targets] of phases) {
          const modes = rotate([...targets.keys()], rep - 1)
          for (const concurrency of CONCURRENCIES) {
            for (const mode of modes) {
              const run = await runGetLoad(targets.get(mode) as GetTarget, { concurrency, warmupMs: timing.warmupMs, durationMs: timing.durationMs, serverPids: pids })
              const key = `${replicas}/${concurrency}/${mode}`
              runs.set(key, [...runs.get(key) ?? [], run])
              opts.log(`service-proxy: run ${rep}/${timing.repeats} ${replicas} replica(s) ${mode} ×${concurrency}: ${Math.round(run.requestsPerSec)} req/s, p50 ${run.p50Ms.toFixed(2)} ms, p99 ${run.p99Ms.toFixed(2)} ms, errors ${run.errors}${run.errors > 0 ? ` (${run.errorReasons})` : ''}, agents ${Math.round(run.serverCpuPct)}% cpu, client ${Math.round(run.clientCpuPct)}% cpu (loop ${run.clientElu.toFixed(2)}), machine ${Math.round(run.machineCpuPct)}%, kernel RSTs sent ${run.kernel.outRsts} (abort on close ${run.kernel.abortOnClose}, on data ${run.kernel.abortOnData}), failed connects ${run.kernel.attemptFails}, load ${run.load1.toFixed(2)}`)
            }
          }
        }
      }
    })
  } finally {
    if (!('missing' in swarm)) await swarm.leave()
  }
  return report(runs, timing, describe, swarmMode, notes)
}

function rotate<T> (list: readonly T[], by: number): T[] {
  const k = by % list.length
  return [...list.slice(k), ...list.slice(0, k)]
}

function report (runs: Map<string, GetRun[]>, timing: Timing, describe: string, swarmMode: SwarmTarget['mode'] | 'none', notes: readonly string[]): SuiteResult {
  const top = Math.max(...CONCURRENCIES)
  const rps = (replicas: number, concurrency: number, mode: Mode): number => median((runs.get(`${replicas}/${concurrency}/${mode}`) ?? []).map((r) => r.requestsPerSec))
  const rows: Row[] = []
  for (const replicas of [1, 3]) for (const concurrency of CONCURRENCIES) {
    const direct = rps(replicas, concurrency, 'direct')
    const podIP = rps(replicas, concurrency, 'pod IP')
    for (const mode of MODES) {
      const list = runs.get(`${replicas}/${concurrency}/${mode}`)
      if (list === undefined) continue
      const each = list.map((r) => r.requestsPerSec)
      rows.push({
        replicas,
        clients: concurrency,
        mode: mode === 'swarm' ? (swarmMode === 'mesh' ? 'swarm mesh' : 'swarm (mode=host)') : mode,
        requestsPerSec: median(each),
        range: `${fmtInt(Math.min(...each))}–${fmtInt(Math.max(...each))}`,
        vsDirect: Number.isNaN(direct) ? null : `${(median(each) / direct).toFixed(2)}×`,
        vsPodIP: `${(median(each) / podIP).toFixed(2)}×`,
        p50Ms: median(list.map((r) => r.p50Ms)),
        p99Ms: median(list.map((r) => r.p99Ms)),
        errors: list.reduce((n, r) => n + r.errors, 0),
        agentsCpuPct: median(list.map((r) => r.serverCpuPct)),
        clientCpuPct: median(list.map((r) => r.clientCpuPct)),
        clientElu: median(list.map((r) => r.clientElu)),
        machineCpuPct: median(list.map((r) => r.machineCpuPct)),
        load1: median(list.map((r) => r.load1)),
        runsRequestsPerSec: each,
        runsP50Ms: list.map((r) => r.p50Ms),
        runsP99Ms: list.map((r) => r.p99Ms),
        errorReasons: list.map((r) => r.errorReasons).filter((x) => x !== '').join('; '),
        runsKernelOutRsts: list.map((r) => r.kernel.outRsts),
        runsKernelAbortOnClose: list.map((r) => r.kernel.abortOnClose),
        runsKernelAbortOnData: list.map((r) => r.kernel.abortOnData),
        runsKernelAttemptFails: list.map((r) => r.kernel.attemptFails)
      })
    }
  }

  const targets: TargetCheck[] = []
  const direct = rps(1, top, 'direct')
  const swarm = rps(1, top, 'swarm')
  for (const mode of ['nodeport', 'clusterip'] as const) {
    const proxy = rps(1, top, mode)
    if (Number.isNaN(proxy) || Number.isNaN(direct)) continue
    targets.push({ what: `service proxy requests/s (${mode}) at ${top} clients, 1 replica`, target: `≥ ${TARGET_RATIO}× direct to the pod's published port in the same run (≥ ${fmtInt(TARGET_RATIO * direct)})`, actual: `${fmtInt(proxy)} (${(proxy / direct).toFixed(2)}× direct's ${fmtInt(direct)})`, met: proxy >= TARGET_RATIO * direct })
    if (swarmMode === 'mesh' && !Number.isNaN(swarm)) {
      targets.push({ what: `service proxy requests/s (${mode}) at ${top} clients vs Swarm's routing mesh`, target: `above Swarm's mesh in the same run (${fmtInt(swarm)})`, actual: `${fmtInt(proxy)} (${(proxy / swarm).toFixed(2)}× Swarm's)`, met: proxy > swarm })
    }
  }

  const host = hostInfo()
  return {
    suite: 'service-proxy',
    description: DESCRIPTION,
    tables: [{
      title: `service-proxy: medians of ${timing.repeats} run(s) × ${timing.durationMs / 1000} s (after ${timing.warmupMs / 1000} s warm-up each), GET of ${BODY_BYTES} bytes, a new connection per request`,
      columns: [
        { key: 'replicas', header: 'replicas' },
        { key: 'clients', header: 'clients' },
        { key: 'mode', header: 'mode' },
        { key: 'requestsPerSec', header: 'req/s' },
        { key: 'range', header: 'runs min–max' },
        { key: 'vsDirect', header: 'vs direct' },
        { key: 'vsPodIP', header: 'vs pod IP' },
        { key: 'p50Ms', header: 'p50 ms', digits: 2 },
        { key: 'p99Ms', header: 'p99 ms', digits: 2 },
        { key: 'errors', header: 'errors' },
        { key: 'agentsCpuPct', header: 'agents cpu %' },
        { key: 'clientCpuPct', header: 'client cpu %' },
        { key: 'clientElu', header: 'client loop busy', digits: 2 },
        { key: 'machineCpuPct', header: 'machine cpu %' },
        { key: 'load1', header: 'load1', digits: 2 }
      ],
      rows
    }],
    targets,
    notes: [
      ...notes,
      `host: ${host.cpus} × ${host.cpuModel}, ${host.memoryGiB} GiB, ${host.platform}, Node ${host.node}`,
      `setup: ${describe}.`,
      `Targets are judged with 1 replica at the highest concurrency (${top} clients) against "direct" (the pod's hostPort: what a client reaches without a Service); "vs pod IP" compares with no proxy at all. On loopback Docker's published port goes through docker-proxy (a userspace proxy of its own): iptables DNAT skips 127.0.0.0/8.`,
      '3 replicas: one pod per node; each client of "pod IP" takes the 3 pod IPs in turn. No direct row (a hostPort can be published only once on this one machine) and no swarm row (with no routing mesh, host mode can publish only one task per port and node).',
      'busybox httpd listens with a backlog of 9: at 32 clients its accept queue overflows now and then, the SYN is dropped and retransmitted after 1 s. Clients that reach it without a proxy, or through docker-proxy, wait that second (it shows in p99); so do clients of Flotilla\'s proxy, which passes over a backend after 1 s only while another is left to try and gives the last one 10 s. (A proxy that closed the client at 1 s would show as resets: the kernel counts TCPAbortOnClose, runsKernel* in the JSON, and the client sees ECONNRESET.)',
      'Each request: TCP connect, "GET /index.html HTTP/1.0", read until the server closes, check status 200 and the 100-byte body; errors count requests that failed (reasons in the JSON). The generator is this process on a raw socket.',
      'agents cpu % is the 3 agents\' CPU together (the proxy runs in them) over wall time; client cpu % and client loop busy are the load generator\'s (loop busy near 1.00: the generator may be the limit); machine cpu % is the whole machine (200% = both cores of 2), httpd, dockerd and docker-proxy included. load1 is the 1-minute load average at the end of each run.'
    ]
  }
}

function fmtInt (n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—'
}
