// `flotilla scale`: set the replica count of Deployments and ReplicaSets, as `kubectl scale`:
// `flotilla scale deploy/web --replicas 5` prints `deployment.apps/web scaled`.
// --current-replicas makes it a conditional change.

import { CONNECTION_FLAGS, HELP_FLAG, formatHelp, parseArgs, type FlagSpec } from './args.ts'
import { connect } from './connect.ts'
import { CliError, UsageError } from './errors.ts'
import { writeLine, type ResolvedIO } from './io.ts'
import { resolveTarget, specOf, updateObject } from './workload-target.ts'

const FLAGS: FlagSpec[] = [
  { name: 'replicas', type: 'string', valueName: 'N', description: 'the new number of replicas (required)' },
  { name: 'current-replicas', type: 'string', valueName: 'N', description: 'only scale if the current number of replicas is N' },
  ...CONNECTION_FLAGS,
  HELP_FLAG
]

export const help = formatHelp({
  summary: 'Set a new size for a Deployment or ReplicaSet.',
  usage: ['flotilla scale (deploy|rs)/NAME --replicas N [flags]', 'flotilla scale (deploy|rs) NAME --replicas N [flags]'],
  examples: ['flotilla scale deploy/web --replicas 5', 'flotilla scale rs web-7d9c5 --replicas 0 -n demo'],
  flags: FLAGS
})

function count (value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  if (!/^[0-9]+$/.test(value)) throw new UsageError(`invalid value for --${flag}: "${value}" (expected a non-negative integer)`, 'scale')
  return Number(value)
}

export async function run (argv: string[], io: ResolvedIO): Promise<number> {
  const args = parseArgs(argv, FLAGS, 'scale')
  const replicas = count(args.string('replicas'), 'replicas')
  if (replicas === undefined) throw new UsageError('--replicas=COUNT is required, and COUNT must be greater than or equal to 0', 'scale')
  const current = count(args.string('current-replicas'), 'current-replicas')
  const { client, namespace } = connect(args, io)
  const t = await resolveTarget(client, args.positionals, namespace, 'scale', ['Deployment', 'ReplicaSet'])
  await updateObject(client, t, (obj) => {
    const spec = specOf(obj)
    const now = typeof spec.replicas === 'number' ? spec.replicas : 1
    if (current !== undefined && now !== current) throw new CliError(`Expected replicas to be ${current}, was ${now}`)
    spec.replicas = replicas
    return true
  })
  writeLine(io.stdout, `${t.shown} scaled`)
  return 0
}
