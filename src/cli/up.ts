// `flotilla up`: a local multi-node cluster in one command. Starts N agents as processes,
// optionally applies manifests, prints where the kubeconfig is, and stays in the foreground;
// Ctrl-C stops every agent cleanly.

import { resolve } from 'node:path'
import { LocalCluster } from '../agent/local-cluster.ts'
import { removeClusterIPRoute } from '../proxy/cluster-ip-route.ts'
import { defaultServiceCidr } from '../store/bootstrap.ts'
import { HELP_FLAG, formatHelp, parseArgs, type FlagSpec } from './args.ts'
import { readClusterSecrets } from '../agent/cluster-files.ts'
import { ApiClient } from './client.ts'
import { dockerProblem, removeClusterContainers } from './docker-check.ts'
import { loadConnection } from './kubeconfig.ts'
import { CliError, UsageError } from './errors.ts'
import type { ResolvedIO } from './io.ts'

const FLAGS: FlagSpec[] = [
  { name: 'nodes', type: 'string', valueName: 'N', description: 'number of agents (default: 3)' },
  { name: 'dir', type: 'string', valueName: 'DIR', description: 'parent of the agents\' data dirs (default: ./.flotilla-up); reused on the next up' },
  { name: 'apply', short: 'f', type: 'string', multiple: true, valueName: 'PATH', description: 'manifests to apply once the cluster is up' },
  { name: 'runtime', type: 'string', valueName: 'docker|fake', description: 'container runtime of the agents (default: docker; fake runs no containers)' },
  { name: 'keep-containers', type: 'boolean', description: 'leave the pods\' containers running when the cluster stops (the next up on the same --dir adopts them)' },
  { name: 'detach-after', type: 'string', valueName: 'SECONDS', description: 'stop the cluster after this many seconds (for demos and CI)' },
  HELP_FLAG
]

export const help = formatHelp({
  summary: 'Start a local cluster of agents (each its own process, data dir and ports) and keep it in the foreground.',
  usage: ['flotilla up [--nodes 3] [--dir DIR] [--runtime docker|fake] [-f MANIFEST ...]'],
  examples: ['flotilla up', 'flotilla up --nodes 5 -f examples/manifests/web.yaml', 'flotilla up --runtime fake   # no Docker: pods only pretend to run'],
  flags: FLAGS
})

export async function run (argv: string[], io: ResolvedIO): Promise<number> {
  const args = parseArgs(argv, FLAGS, 'up')
  const nodes = Number(args.string('nodes') ?? '3')
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 50) throw new UsageError('--nodes must be a whole number from 1 to 50', 'up')
  const dir = resolve(io.cwd, args.string('dir') ?? '.flotilla-up')
  const runtime = args.string('runtime') ?? 'docker'
  if (runtime !== 'docker' && runtime !== 'fake') throw new UsageError(`--runtime must be docker or fake, not "${runtime}"`, 'up')
  if (runtime === 'docker') {
    const problem = await dockerProblem()
    if (problem !== null) {
      throw new CliError(`${problem}.\nPods need a Docker Engine. Start one (on Debian as root: bash examples/setup-docker.sh, which also builds the example image), or try without containers: flotilla up --runtime fake`)
    }
  }
  const cluster = new LocalCluster({ nodes, dir, agentArgs: ['--runtime', runtime], log: (line) => { io.stderr.write(line + '\n') } })
  const interrupted = new AbortController()
  const onSignal = (): void => { interrupted.abort() }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  // Run from a terminal: a closed terminal (SIGHUP), or the npx that ran `up` killed (its
  // shell dies, `up` is reparented), stops the cluster as Ctrl-C does rather than leave it
  // running unowned. Not when detached on purpose (`nohup`, a service manager): stdin is then
  // no terminal.
  const attached = process.stdin.isTTY === true
  if (attached) process.once('SIGHUP', onSignal)
  const parent = process.ppid
  const parentWatch = attached ? setInterval(() => { if (process.ppid !== parent) onSignal() }, 1000).unref() : undefined
  try {
    await cluster.start(interrupted.signal)
    io.stdout.write(`${nodes} agents are up. kubeconfig: ${cluster.kubeconfig}\n`)
    // Pods applied before every kubelet has posted its Node Ready would all land on the first nodes.
    const ready = await waitForReadyNodes(cluster.kubeconfig, nodes, io, interrupted.signal)
    if (!ready) io.stderr.write(`not every node reported Ready within ${READY_WAIT_MS / 1000} s; going on (flotilla get nodes shows why)\n`)
    io.stdout.write(`  try: flotilla get nodes --kubeconfig ${cluster.kubeconfig}\n`)
    io.stdout.write(`       flotilla cluster status --kubeconfig ${cluster.kubeconfig}\n`)
    const manifests = args.strings('apply')
    if (manifests.length > 0) {
      const apply = await import('./apply.ts')
      const code = await apply.run([...manifests.flatMap((f) => ['-f', resolve(io.cwd, f)]), '--kubeconfig', cluster.kubeconfig], io)
      if (code !== 0) io.stderr.write('some manifests did not apply (see above); the cluster keeps running\n')
      await printNodePorts(cluster, io)
    }
    io.stdout.write('Ctrl-C stops the cluster.\n')
    const after = args.string('detach-after')
    await new Promise<void>((resolveWait) => {
      if (interrupted.signal.aborted) { resolveWait(); return }
      interrupted.signal.addEventListener('abort', () => { resolveWait() }, { once: true })
      if (after !== undefined) setTimeout(resolveWait, Number(after) * 1000)
    })
    return 0
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    process.off('SIGHUP', onSignal)
    clearInterval(parentWatch)
    io.stderr.write('stopping the agents\n')
    await cluster.stop()
    if (runtime === 'docker' && !args.bool('keep-containers')) await removeContainers(cluster, io)
    if (runtime === 'docker') await removeServiceRoute(cluster)
  }
}

/** Where the NodePort (and LoadBalancer) Services just applied answer: every agent's address. */
async function printNodePorts (cluster: LocalCluster, io: ResolvedIO): Promise<void> {
  const ips = cluster.agents.map((a) => a.nodeIp).filter((ip): ip is string => ip !== undefined)
  if (ips.length === 0) return
  try {
    const client = new ApiClient(loadConnection({ kubeconfig: cluster.kubeconfig }, io))
    const list = await client.request('GET', '/api/v1/services') as { items?: Array<{ metadata: { name: string, namespace?: string }, spec?: { type?: string, ports?: Array<{ nodePort?: number }> } }> }
    for (const svc of list.items ?? []) {
      if (svc.spec?.type !== 'NodePort' && svc.spec?.type !== 'LoadBalancer') continue
      for (const p of svc.spec.ports ?? []) {
        if (p.nodePort === undefined) continue
        io.stdout.write(`  service ${svc.metadata.namespace ?? 'default'}/${svc.metadata.name}: curl http://${ips[0] as string}:${p.nodePort}/  (the same port on every agent: ${ips.join(', ')})\n`)
      }
    }
  } catch (err) {
    io.stderr.write(`could not list the Services: ${(err as Error).message}\n`)
  }
}

/** The agents routed the cluster's Service range to this machine; with the cluster stopped, take the route away. */
async function removeServiceRoute (cluster: LocalCluster): Promise<void> {
  const first = cluster.agents[0]
  if (first === undefined) return
  const secrets = await readClusterSecrets(first.dataDir).catch(() => null)
  if (secrets !== null) await removeClusterIPRoute(defaultServiceCidr(secrets.clusterId))
}

const READY_WAIT_MS = 30_000

/** Wait (up to READY_WAIT_MS) until `count` Nodes report Ready=True. */
async function waitForReadyNodes (kubeconfig: string, count: number, io: ResolvedIO, signal: AbortSignal): Promise<boolean> {
  const client = new ApiClient(loadConnection({ kubeconfig }, io))
  const deadline = Date.now() + READY_WAIT_MS
  while (Date.now() < deadline && !signal.aborted) {
    try {
      const list = await client.request('GET', '/api/v1/nodes') as { items?: Array<{ status?: { conditions?: Array<{ type: string, status: string }> } }> }
      const ready = (list.items ?? []).filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true)
      if (ready.length >= count) return true
    } catch {
      // Not answering yet: try again.
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 250))
  }
  return false
}

/** The containers of this cluster's pods go with it (Docker keeps them otherwise). */
async function removeContainers (cluster: LocalCluster, io: ResolvedIO): Promise<void> {
  const first = cluster.agents[0]
  if (first === undefined) return
  try {
    const secrets = await readClusterSecrets(first.dataDir)
    if (secrets === null) return
    const n = await removeClusterContainers(secrets.clusterId)
    if (n > 0) io.stderr.write(`removed the pods' ${n} containers (--keep-containers leaves them)\n`)
  } catch (err) {
    io.stderr.write(`could not remove the pods' containers: ${(err as Error).message}\n`)
  }
}
