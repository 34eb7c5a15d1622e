// Suite scheduler: pods scheduled per second with 100 simulated nodes, the scheduler running
// as in production — the leader role of a real 3-agent cluster (separate processes, Raft over
// libp2p, `--runtime fake`), every binding proposed and committed through Raft.
//
// Per run, on a fresh cluster: 100 Node objects are created through the API (Ready,
// allocatable 32 cpu / 128 Gi / 110 pods, cordoned), then N pods (100m cpu, 128 Mi, a
// nodeSelector matching only the simulated nodes, one of 10 controller owners) through all
// three agents; the scheduler finds them unschedulable and says so on each pod. The clock
// starts when the nodes are uncordoned (100 concurrent PATCHes) and stops when a watch on a
// follower has seen every pod bound (and, second figure, every pod PodScheduled=True).

import { AgentCluster, type BenchAgent } from './agents.ts'
import { hostInfo, load1 } from './host.ts'
import { withMachineLock } from './machine-lock.ts'
import { PodWatch } from './pod-watch.ts'
import { cpuSecondsOf, usingCluster, waitUntil } from './processes.ts'
import { median } from './stats.ts'
import type { BenchOptions, Row, Suite, SuiteResult } from './types.ts'
import { api } from './workload-api.ts'

const NODES = 100
const NAMESPACE = 'sched-bench'
const OWNERS = 10
/** DESIGN.md: ≥ 2,000 pods/s with 100 simulated nodes; kube-scheduler 100–810 pods/s. */
const TARGET_PODS_PER_SEC = 2000
const SIM_LABEL = 'flotilla.io/bench-node'

const DESCRIPTION = `pods scheduled/s: a real 3-agent cluster (processes, --runtime fake), ${NODES} simulated Node objects made schedulable in one burst of PATCHes, N pending pods bound by the leader's scheduler through Raft; timed by a watch on a follower`

export const schedulerSuite: Suite = {
  name: 'scheduler',
  description: DESCRIPTION,
  async run (opts: BenchOptions): Promise<SuiteResult> {
    return await withMachineLock(opts.log, async (lockNote) => await measure(opts, lockNote))
  }
}

interface RunResult {
  pods: number
  podsPerSec: number
  boundSec: number
  /** From the first PATCH until all 100 PATCHes were answered, and until the first pod was seen bound. */
  uncordonSec: number
  firstBoundSec: number
  scheduledSec: number
  /** The leader or term changed during the timed window. */
  leaderChanged: boolean
  raftEntries: number
  leaderCpuPct: number
  /** Both followers together, and this benchmark process (the watch client). */
  followersCpuPct: number
  benchCpuPct: number
  minPerNode: number
  maxPerNode: number
  load1: number
}

/** Run `fn` over `items` with `concurrency` workers. */
async function inParallel<T> (items: readonly T[], concurrency: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      await fn(items[i] as T, i)
    }
  }))
}

function nodeName (i: number): string { return `sim-${String(i).padStart(3, '0')}` }

function simulatedNode (i: number): Record<string, unknown> {
  const name = nodeName(i)
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, [SIM_LABEL]: 'true' } },
    spec: { unschedulable: true },
    status: {
      capacity: { cpu: '32', memory: '128Gi', pods: '110' },
      allocatable: { cpu: '32', memory: '128Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'simulated node (benchmark)' }]
    }
  }
}

function pod (i: number, owners: ReadonlyArray<{ name: string, uid: string }>): Record<string, unknown> {
  const owner = owners[i % owners.length] as { name: string, uid: string }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `p-${String(i).padStart(5, '0')}`,
      labels: { app: 'bench', owner: owner.name },
      ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: owner.name, uid: owner.uid, controller: true }]
    },
    spec: {
      containers: [{ name: 'main', image: 'flotilla/busybox:test', command: ['sleep', '3600'], resources: { requests: { cpu: '100m', memory: '128Mi' } } }],
      nodeSelector: { [SIM_LABEL]: 'true' }
    }
  }
}

async function oneRun (opts: BenchOptions, pods: number): Promise<RunResult> {
  let result: RunResult | undefined
  await usingCluster(await AgentCluster.start(3, opts.log), async (cluster) => {
    const leader = await cluster.leader()
    const follower = cluster.agents.find((a) => a !== leader) as BenchAgent
    const agents = cluster.agents
    await api(cluster, leader, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } })
    const owners: Array<{ name: string, uid: string }> = []
    for (let i = 0; i < OWNERS; i++) {
      const cm = await api(cluster, leader, 'POST', `/api/v1/namespaces/${NAMESPACE}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `owner-${i}` } })
      owners.push({ name: `owner-${i}`, uid: String((cm.metadata as { uid: string }).uid) })
    }
    await inParallel(Array.from({ length: NODES }, (_, i) => i), 16, async (i) => {
      const agent = agents[i % agents.length] as BenchAgent
      await api(cluster, agent, 'POST', '/api/v1/nodes', simulatedNode(i))
      // Status is the kubelet's: written through the status subresource, as a kubelet would.
      const stored = await api(cluster, agent, 'GET', `/api/v1/nodes/${nodeName(i)}`)
      await api(cluster, agent, 'PUT', `/api/v1/nodes/${nodeName(i)}/status`, { ...stored, status: simulatedNode(i).status })
    })
    const createStart = performance.now()
    await inParallel(Array.from({ length: pods }, (_, i) => i), 64, async (i) => {
      await api(cluster, agents[i % agents.length] as BenchAgent, 'POST', `/api/v1/namespaces/${NAMESPACE}/pods`, pod(i, owners))
    })
    opts.log(`scheduler: ${pods} pods created in ${((performance.now() - createStart) / 1000).toFixed(1)} s; waiting for the scheduler to find them all unschedulable`)
    const listed = await waitUntil('every pod marked PodScheduled=False (nodes cordoned)', async () => {
      const list = await api(cluster, follower, 'GET', `/api/v1/namespaces/${NAMESPACE}/pods?resourceVersion=0`)
      const items = list.items as Array<{ status?: { conditions?: Array<{ type: string, status: string, message?: string }> } }>
      const marked = items.filter((p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False') === true)
      return marked.length === pods ? list : undefined
    }, 180_000, 500)
    const rv = String((listed.metadata as { resourceVersion: string }).resourceVersion)
    const watch = await PodWatch.open(follower.apiUrl, cluster.token, NAMESPACE, rv)
    try {
      const statusBefore = await cluster.status(leader)
      const before = statusBefore.commitIndex
      const cpuBefore = await cpuSecondsOf(leader.pid)
      const othersBefore = await Promise.all(agents.filter((a) => a !== leader).map(async (a) => await cpuSecondsOf(a.pid)))
      const benchBefore = process.cpuUsage()
      const t0 = performance.now()
      await inParallel(Array.from({ length: NODES }, (_, i) => i), 100, async (i) => {
        await api(cluster, agents[i % agents.length] as BenchAgent, 'PATCH', `/api/v1/nodes/${nodeName(i)}`, { spec: { unschedulable: false } }, 'application/merge-patch+json')
      })
      const uncordoned = performance.now()
      await watch.waitFor(pods, 300_000)
      const t1 = Math.max(...watch.boundAt.values())
      const cpuAfter = await cpuSecondsOf(leader.pid)
      const othersAfter = await Promise.all(agents.filter((a) => a !== leader).map(async (a) => await cpuSecondsOf(a.pid)))
      const bench = process.cpuUsage(benchBefore)
      await watch.waitFor(pods, 300_000, true)
      const t2 = Math.max(...watch.scheduledAt.values())
      const statusAfter = await cluster.status(leader)
      const after = statusAfter.commitIndex
      const perNode = [...watch.perNode.values()]
      result = {
        pods,
        podsPerSec: pods / ((t1 - t0) / 1000),
        boundSec: (t1 - t0) / 1000,
        uncordonSec: (uncordoned - t0) / 1000,
        firstBoundSec: (Math.min(...watch.boundAt.values()) - t0) / 1000,
        leaderChanged: statusAfter.leader !== statusBefore.leader || statusAfter.term !== statusBefore.term,
        scheduledSec: (t2 - t0) / 1000,
        raftEntries: after - before,
        leaderCpuPct: (cpuAfter - cpuBefore) / ((t1 - t0) / 1000) * 100,
        followersCpuPct: othersAfter.reduce((sum, c, i) => sum + c - (othersBefore[i] ?? 0), 0) / ((t1 - t0) / 1000) * 100,
        benchCpuPct: (bench.user + bench.system) / 1e6 / ((t1 - t0) / 1000) * 100,
        minPerNode: Math.min(...perNode),
        maxPerNode: Math.max(...perNode),
        load1: load1()
      }
    } finally {
      watch.close()
    }
  })
  if (result === undefined) throw new Error('the run gave no result')
  return result
}

async function measure (opts: BenchOptions, lockNote: string | null): Promise<SuiteResult> {
  const pods = opts.quick ? 1000 : 5000
  const repeats = opts.quick ? 1 : 3
  const runs: RunResult[] = []
  for (let rep = 1; rep <= repeats; rep++) {
    const r = await oneRun(opts, pods)
    runs.push(r)
    opts.log(`scheduler: run ${rep}/${repeats}: ${pods} pods bound in ${r.boundSec.toFixed(2)} s (${Math.round(r.podsPerSec)} pods/s; PATCHes answered after ${r.uncordonSec.toFixed(2)} s, first binding seen after ${r.firstBoundSec.toFixed(2)} s${r.leaderChanged ? ', LEADER CHANGED during the run' : ''}), PodScheduled=True on all after ${r.scheduledSec.toFixed(2)} s, ${r.raftEntries} Raft entries, cpu: leader ${Math.round(r.leaderCpuPct)}%, followers ${Math.round(r.followersCpuPct)}%, bench ${Math.round(r.benchCpuPct)}%, ${r.minPerNode}–${r.maxPerNode} pods per node, load ${r.load1.toFixed(2)}`)
  }
  const rate = median(runs.map((r) => r.podsPerSec))
  const met = rate >= TARGET_PODS_PER_SEC
  const row: Row = {
    pods,
    nodes: NODES,
    podsPerSec: rate,
    range: `${Math.round(Math.min(...runs.map((r) => r.podsPerSec))).toLocaleString('en-US')}–${Math.round(Math.max(...runs.map((r) => r.podsPerSec))).toLocaleString('en-US')}`,
    boundSec: median(runs.map((r) => r.boundSec)),
    uncordonSec: median(runs.map((r) => r.uncordonSec)),
    firstBoundSec: median(runs.map((r) => r.firstBoundSec)),
    leaderChanges: runs.filter((r) => r.leaderChanged).length,
    scheduledSec: median(runs.map((r) => r.scheduledSec)),
    raftEntries: median(runs.map((r) => r.raftEntries)),
    leaderCpuPct: median(runs.map((r) => r.leaderCpuPct)),
    followersCpuPct: median(runs.map((r) => r.followersCpuPct)),
    spread: `${Math.min(...runs.map((r) => r.minPerNode))}–${Math.max(...runs.map((r) => r.maxPerNode))}`,
    load1: median(runs.map((r) => r.load1)),
    runsPodsPerSec: runs.map((r) => r.podsPerSec),
    target: `≥ ${TARGET_PODS_PER_SEC.toLocaleString('en-US')} ${met ? 'met' : 'MISSED'}`
  }
  const host = hostInfo()
  return {
    suite: 'scheduler',
    description: DESCRIPTION,
    tables: [{
      title: `scheduler: medians of ${repeats} run(s), fresh 3-agent cluster per run, ${NODES} simulated nodes`,
      columns: [
        { key: 'pods', header: 'pods' },
        { key: 'nodes', header: 'nodes' },
        { key: 'podsPerSec', header: 'pods/s' },
        { key: 'range', header: 'runs min–max' },
        { key: 'uncordonSec', header: 'PATCHes s', digits: 2 },
        { key: 'firstBoundSec', header: 'first bound s', digits: 2 },
        { key: 'boundSec', header: 'all bound s', digits: 2 },
        { key: 'scheduledSec', header: 'all PodScheduled s', digits: 2 },
        { key: 'raftEntries', header: 'Raft entries' },
        { key: 'leaderCpuPct', header: 'leader cpu %' },
        { key: 'followersCpuPct', header: 'followers cpu %' },
        { key: 'spread', header: 'pods per node' },
        { key: 'leaderChanges', header: 'leader changes' },
        { key: 'load1', header: 'load1', digits: 2 },
        { key: 'target', header: 'target' }
      ],
      rows: [row]
    }],
    targets: [{
      what: `pods scheduled/s, ${NODES} simulated nodes, ${pods.toLocaleString('en-US')} pods`,
      target: `≥ ${TARGET_PODS_PER_SEC.toLocaleString('en-US')} pods/s (kube-scheduler: 100–810)`,
      actual: `${Math.round(rate).toLocaleString('en-US')} pods/s (median of ${repeats})`,
      met
    }],
    notes: [
      ...(lockNote === null ? [] : [lockNote]),
      `host: ${host.cpus} × ${host.cpuModel}, ${host.memoryGiB} GiB, ${host.platform}, Node ${host.node}`,
      'pods/s = pods / (time from the first uncordon PATCH to the watch event of the last binding). Every binding is an update of the pod with its resourceVersion as precondition, proposed in batches by the leader\'s scheduler and committed through Raft by a majority; the watch runs on a follower, so a binding counts once replicated and applied there.',
      '"PATCHes s": until all 100 uncordon PATCHes were answered; "first bound s": until the watch saw the first binding; "leader changes": runs in which the leader or term changed during the timed window.',
      '"all PodScheduled s" runs to the last PodScheduled=True (a second status write per pod, batched after the bindings). "Raft entries" counts every entry committed in the timed window (the 100 node PATCHes included). "leader cpu %" / "followers cpu %": CPU time of the leader / both followers together over the binding window (100% = one core of the 2).',
      '"pods per node" is the fewest–most over the nodes: the scheduler places pods as soon as the first nodes are uncordoned, so nodes opened first may take more (up to their 110-pod limit) — an even 50 each means every node was open before the first round.',
      'The machine is shared: figures swing with the background load (load1 column); compare runs only at similar load.',
      'Simulated nodes are Node objects only (no agent behind them); pods select them with a nodeSelector, so agents\' own Nodes take none. Agents run as `node bin/flotilla.js agent --runtime fake` with the launch settings of src/agent/agent-launch.ts.'
    ]
  }
}
