// `flotilla up`: a local multi-node cluster in one command. Starts N agents as processes,
// optionally applies manifests, prints where the kubeconfig is, and stays in the foreground;
// Ctrl-C stops every agent cleanly.

import { resolve } from 'node:path'
import { LocalCluster } from '../agent/local-cluster.ts'
import { HELP_FLAG, formatHelp, parseArgs, type FlagSpec } from './args.ts'
import { dockerProblem } from './docker-check.ts'
import { CliError, UsageError } from './errors.ts'
import type { ResolvedIO } from './io.ts'

const FLAGS: FlagSpec[] = [
  { name: 'nodes', type: 'string', valueName: 'N', description: 'number of agents (default: 3)' },
  { name: 'dir', type: 'string', valueName: 'DIR', description: 'parent of the agents\' data dirs (default: ./.flotilla-up); reused on the next up' },
  { name: 'apply', short: 'f', type: 'string', multiple: true, valueName: 'PATH', description: 'manifests to apply once the cluster is up' },
  { name: 'runtime', type: 'string', valueName: 'docker|fake', description: 'container runtime of the agents (default: docker; fake runs no containers)' },
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
  try {
    await cluster.start(interrupted.signal)
    io.stdout.write(`${nodes} agents are up. kubeconfig: ${cluster.kubeconfig}\n`)
    io.stdout.write(`  try: flotilla get nodes --kubeconfig ${cluster.kubeconfig}\n`)
    io.stdout.write(`       flotilla cluster status --kubeconfig ${cluster.kubeconfig}\n`)
    const manifests = args.strings('apply')
    if (manifests.length > 0) {
      const apply = await import('./apply.ts')
      const code = await apply.run([...manifests.flatMap((f) => ['-f', resolve(io.cwd, f)]), '--kubeconfig', cluster.kubeconfig], io)
      if (code !== 0) io.stderr.write('some manifests did not apply (see above); the cluster keeps running\n')
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
    io.stderr.write('stopping the agents\n')
    await cluster.stop()
  }
}
