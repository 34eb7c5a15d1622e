// The `flotilla` command: finds the verb, loads its module lazily (so a verb whose module is
// missing or broken fails only when used), prints help, runs it and turns errors into
// kubectl-style messages and exit codes (0 ok, 1 failed, 2 usage). Callable in-process:
// main(argv, io) takes the output streams and returns the exit code.

import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { CONNECTION_FLAGS } from './args.ts'
import { exitCodeFor, formatError } from './errors.ts'
import { resolveIO, writeLine, type CliIO, type ResolvedIO } from './io.ts'

/** What a verb's module exports. `help` is printed for `flotilla VERB --help` when present. */
export interface VerbModule {
  help?: string
  run: (args: string[], io: ResolvedIO) => Promise<number>
}

interface Verb {
  name: string
  group: 'Cluster' | 'Objects'
  summary: string
  /** The module file, relative to this one. */
  file: string
  load: () => Promise<VerbModule>
}

export const VERBS: Verb[] = [
  { name: 'agent', group: 'Cluster', summary: 'Run an agent: create a cluster or join one, and serve the API', file: './agent.ts', load: async () => await import('./agent.ts') },
  { name: 'up', group: 'Cluster', summary: 'Start a local cluster of agents in one command', file: './up.ts', load: async () => await import('./up.ts') },
  { name: 'cluster', group: 'Cluster', summary: 'Show the leader, term, commit index and members (cluster status)', file: './cluster.ts', load: async () => await import('./cluster.ts') },
  { name: 'apply', group: 'Objects', summary: 'Create or update resources from YAML/JSON manifests', file: './apply.ts', load: async () => await import('./apply.ts') },
  { name: 'get', group: 'Objects', summary: 'Display one or many resources', file: './get.ts', load: async () => await import('./get.ts') },
  { name: 'describe', group: 'Objects', summary: 'Show details of a resource, with its events', file: './describe.ts', load: async () => await import('./describe.ts') },
  { name: 'delete', group: 'Objects', summary: 'Delete resources by name, label selector or manifest', file: './delete.ts', load: async () => await import('./delete.ts') },
  { name: 'logs', group: 'Objects', summary: "Print a container's logs (-f to follow)", file: './logs.ts', load: async () => await import('./logs.ts') },
  { name: 'exec', group: 'Objects', summary: 'Run a command in a container (not interactive)', file: './exec.ts', load: async () => await import('./exec.ts') },
  { name: 'rollout', group: 'Objects', summary: 'Manage a Deployment rollout: status, history, undo, pause, resume, restart', file: './rollout.ts', load: async () => await import('./rollout.ts') },
  { name: 'scale', group: 'Objects', summary: 'Set a new size for a Deployment or ReplicaSet', file: './scale.ts', load: async () => await import('./scale.ts') },
  { name: 'cordon', group: 'Cluster', summary: 'Mark a node unschedulable', file: './cordon.ts', load: async () => (await import('./cordon.ts')).cordon },
  { name: 'uncordon', group: 'Cluster', summary: 'Mark a node schedulable again', file: './cordon.ts', load: async () => (await import('./cordon.ts')).uncordon },
  { name: 'drain', group: 'Cluster', summary: 'Cordon a node and delete its pods so they move elsewhere', file: './drain.ts', load: async () => await import('./drain.ts') }
]

export function usage (): string {
  const width = Math.max(...VERBS.map(v => v.name.length)) + 3
  const section = (g: Verb['group']): string[] => VERBS.filter(v => v.group === g).map(v => `  ${v.name.padEnd(width)}${v.summary}`)
  return [
    'flotilla: a peer-to-peer, Raft-replicated container orchestrator that speaks Kubernetes.',
    '',
    'Usage:',
    '  flotilla VERB [ARGS] [flags]',
    '',
    'Cluster:',
    ...section('Cluster'),
    '',
    'Objects:',
    ...section('Objects'),
    '',
    'Connection flags (every verb that talks to a cluster):',
    '  --kubeconfig PATH, --context NAME, --data-dir DIR, -s/--server URL, --token TOKEN, -n/--namespace NS',
    '  Without them: $KUBECONFIG, then ./.flotilla/kubeconfig, then ~/.flotilla/kubeconfig.',
    '',
    "Run 'flotilla VERB --help' for a verb's arguments and flags.",
    ''
  ].join('\n')
}

const VALUE_FLAGS = new Set(CONNECTION_FLAGS.filter(f => f.type === 'string').flatMap(f => [`--${f.name}`, ...(f.short !== undefined ? [`-${f.short}`] : [])]))

/** The verb and its index: the first argument that is neither a flag nor a global flag's value. */
export function findVerb (argv: string[]): { name: string, index: number } | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '--') return undefined
    if (!a.startsWith('-')) return { name: a, index: i }
    if (VALUE_FLAGS.has(a)) i++
  }
  return undefined
}

function wantsHelp (args: string[]): boolean {
  const end = args.indexOf('--')
  return (end < 0 ? args : args.slice(0, end)).some(a => a === '--help' || a === '-h')
}

async function load (verb: Verb): Promise<VerbModule> {
  try {
    return await verb.load()
  } catch (err) {
    // Only when the verb's own file is what is missing (a partial checkout run through tsx): in
    // the bundle (dist/) every verb is compiled in and import.meta.url is not src/cli/.
    const missing = (err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(`src/cli/${verb.file.slice(2)}`)
    if (missing && !existsSync(fileURLToPath(new URL(verb.file, import.meta.url)))) {
      throw new Error(`the "${verb.name}" command is not available in this build (src/cli/${verb.file.slice(2)} is missing)`)
    }
    throw err
  }
}

export async function main (argv: string[], io: CliIO): Promise<number> {
  const rio = resolveIO(io)
  try {
    const found = findVerb(argv)
    if (found === undefined) {
      if (argv.length === 0 || wantsHelp(argv)) { rio.stdout.write(usage()); return 0 }
      rio.stderr.write(`error: no command given\n\n${usage()}`)
      return 2
    }
    if (found.name === 'help') {
      const topic = argv[found.index + 1]
      const verb = VERBS.find(v => v.name === topic)
      if (verb === undefined) { rio.stdout.write(usage()); return 0 }
      const mod = await load(verb)
      rio.stdout.write(mod.help ?? `${verb.summary}\n`)
      return 0
    }
    const verb = VERBS.find(v => v.name === found.name)
    if (verb === undefined) {
      rio.stderr.write(`error: unknown command "${found.name}" for "flotilla"\n\n${usage()}`)
      return 2
    }
    const rest = [...argv.slice(0, found.index), ...argv.slice(found.index + 1)]
    const mod = await load(verb)
    if (mod.help !== undefined && wantsHelp(rest)) { rio.stdout.write(mod.help); return 0 }
    return await mod.run(rest, rio)
  } catch (err) {
    writeLine(rio.stderr, formatError(err))
    if (rio.env.FLOTILLA_DEBUG !== undefined && err instanceof Error && err.stack !== undefined) writeLine(rio.stderr, err.stack)
    return exitCodeFor(err)
  }
}
