// `flotilla cluster status`: who leads, at which term and commit index, and each member's
// Raft role and health, from the agent's /flotilla/v1/cluster/status endpoint.

import { CONNECTION_FLAGS, HELP_FLAG, formatHelp, parseArgs, type FlagSpec } from './args.ts'
import { ApiError } from './client.ts'
import { connect } from './connect.ts'
import { CliError, UsageError } from './errors.ts'
import type { ResolvedIO } from './io.ts'
import { toYAML } from './output.ts'
import { renderTable } from './table.ts'

export const CLUSTER_STATUS_PATH = '/flotilla/v1/cluster/status'

export interface ClusterMember {
  name: string
  peerId: string
  role: 'voter' | 'learner'
  healthy: boolean
}

export interface ClusterStatus {
  /** The leader's name; empty or absent while there is none. */
  leader?: string | null
  term: number
  commitIndex: number
  members: ClusterMember[]
}

const FLAGS: FlagSpec[] = [
  { name: 'output', short: 'o', type: 'string', valueName: 'FORMAT', description: 'json or yaml (default: a table)' },
  ...CONNECTION_FLAGS.filter(f => f.name !== 'namespace'),
  HELP_FLAG
]

export const help = formatHelp({
  summary: 'Show the cluster\'s Raft state: leader, term, commit index, and every member.',
  usage: ['flotilla cluster status [-o json|yaml] [flags]'],
  examples: ['flotilla cluster status', 'flotilla cluster status -o json --data-dir ./node-a'],
  flags: FLAGS
})

/** The human-readable page: a summary line block, then one row per member. */
export function formatClusterStatus (s: ClusterStatus): string {
  const leader = typeof s.leader === 'string' && s.leader !== '' ? s.leader : '<none>'
  const head = `Leader:        ${leader}\nTerm:          ${s.term}\nCommit index:  ${s.commitIndex}\n\n`
  const rows = [...s.members]
    .sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
    .map(m => [m.name, m.role, String(m.healthy), m.name === s.leader ? '*' : '', m.peerId])
  return head + renderTable(['NAME', 'ROLE', 'HEALTHY', 'LEADER', 'PEER ID'], rows)
}

export async function run (argv: string[], io: ResolvedIO): Promise<number> {
  const args = parseArgs(argv, FLAGS, 'cluster')
  const [sub, ...rest] = args.positionals
  if (sub !== 'status') throw new UsageError(sub === undefined ? 'missing subcommand: flotilla cluster status' : `unknown subcommand "${sub}": the only one is "status"`, 'cluster')
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`, 'cluster')
  const output = args.string('output')
  if (output !== undefined && output !== 'json' && output !== 'yaml') throw new UsageError(`unknown output format "${output}": use json or yaml`, 'cluster')

  const { client } = connect(args, io)
  let status: ClusterStatus
  try {
    status = await client.request('GET', CLUSTER_STATUS_PATH) as ClusterStatus
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) {
      throw new CliError(`${client.server} does not serve ${CLUSTER_STATUS_PATH}: is it a flotilla agent?`)
    }
    throw err
  }
  if (output === 'json') io.stdout.write(JSON.stringify(status, null, 2) + '\n')
  else if (output === 'yaml') io.stdout.write(toYAML(status))
  else io.stdout.write(formatClusterStatus({ ...status, members: Array.isArray(status.members) ? status.members : [] }))
  return 0
}
