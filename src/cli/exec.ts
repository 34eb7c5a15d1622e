// `flotilla exec POD [-c C] -- COMMAND [ARGS...]`: run a command in a container, through any
// agent (relayed to the pod's node), print its output and exit with its exit code. Not
// interactive: no stdin or TTY (for those, `kubectl exec -it`, served over WebSocket).

import { CONNECTION_FLAGS, HELP_FLAG, formatHelp, parseArgs, type FlagSpec } from './args.ts'
import { connect } from './connect.ts'
import { UsageError } from './errors.ts'
import type { ResolvedIO } from './io.ts'

const FLAGS: FlagSpec[] = [
  { name: 'container', short: 'c', type: 'string', valueName: 'NAME', description: 'the container (needed when the pod has more than one)' },
  ...CONNECTION_FLAGS,
  HELP_FLAG
]

export const help = formatHelp({
  summary: 'Run a command in a container (not interactive) and exit with its exit code.',
  usage: ['flotilla exec POD [-c CONTAINER] -- COMMAND [ARGS...] [flags]'],
  examples: ['flotilla exec web-0 -- cat /etc/hostname', 'flotilla exec web-0 -c sidecar -- sh -c "env | sort"'],
  flags: FLAGS
})

export async function run (argv: string[], io: ResolvedIO): Promise<number> {
  const args = parseArgs(argv, FLAGS, 'exec')
  const dash = argv.indexOf('--')
  const [podArg] = args.positionals
  const command = dash < 0 ? args.positionals.slice(1) : argv.slice(dash + 1)
  if (podArg === undefined || dash === 0 || command.length === 0) throw new UsageError('expected a pod and a command: flotilla exec POD [-c CONTAINER] -- COMMAND [ARGS...]', 'exec')
  const pod = podArg.startsWith('pod/') || podArg.startsWith('pods/') ? podArg.slice(podArg.indexOf('/') + 1) : podArg
  const { client, namespace } = connect(args, io)
  const q = new URLSearchParams()
  for (const c of command) q.append('command', c)
  const container = args.string('container')
  if (container !== undefined) q.set('container', container)
  const r = await client.request('POST', `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/exec?${q.toString()}`) as { exitCode?: number, output?: string }
  io.stdout.write(r.output ?? '')
  const code = r.exitCode ?? 1
  return code < 0 ? 1 : code
}
