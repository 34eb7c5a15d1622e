// `flotilla logs POD [-c C] [-f] [--tail N] [-p]`: a container's output, through any agent
// (the agent relays to the pod's node), as `kubectl logs`. With -f it follows until the
// container ends or Ctrl-C.

import { CONNECTION_FLAGS, HELP_FLAG, formatHelp, parseArgs, type FlagSpec } from './args.ts'
import { ApiError, UsageError } from './errors.ts'
import { streamGet } from './http-stream.ts'
import type { ResolvedIO } from './io.ts'
import { loadConnection } from './kubeconfig.ts'

const FLAGS: FlagSpec[] = [
  { name: 'container', short: 'c', type: 'string', valueName: 'NAME', description: 'the container (needed when the pod has more than one)' },
  { name: 'follow', short: 'f', type: 'boolean', description: 'keep printing output as it comes' },
  { name: 'tail', type: 'string', valueName: 'N', description: 'only the last N lines' },
  { name: 'previous', short: 'p', type: 'boolean', description: 'the output of the previous run of the container (after a restart)' },
  ...CONNECTION_FLAGS,
  HELP_FLAG
]

export const help = formatHelp({
  summary: "Print a container's logs, from any agent.",
  usage: ['flotilla logs POD [-c CONTAINER] [-f] [--tail N] [-p] [flags]'],
  examples: ['flotilla logs web-0', 'flotilla logs web-0 -c sidecar -f', 'flotilla logs web-0 --tail 20 -p'],
  flags: FLAGS
})

/** The Status message of an error answer, or a plain one. */
export function statusError (status: number, body: string): ApiError {
  try {
    const s = JSON.parse(body) as { message?: string, reason?: string }
    return new ApiError(status, s.reason ?? 'Error', s.message ?? `the server responded with status ${status}`)
  } catch {
    return new ApiError(status, 'Error', body.trim() !== '' ? body.trim() : `the server responded with status ${status}`)
  }
}

export async function run (argv: string[], io: ResolvedIO): Promise<number> {
  const args = parseArgs(argv, FLAGS, 'logs')
  const [podArg, ...rest] = args.positionals
  if (podArg === undefined || rest.length > 0) throw new UsageError('expected exactly one pod: flotilla logs POD [-c CONTAINER]', 'logs')
  const pod = podArg.startsWith('pod/') || podArg.startsWith('pods/') ? podArg.slice(podArg.indexOf('/') + 1) : podArg
  const tail = args.string('tail')
  if (tail !== undefined && !/^\d+$/.test(tail)) throw new UsageError(`--tail takes a number of lines, not "${tail}"`, 'logs')
  const conn = loadConnection({
    kubeconfig: args.string('kubeconfig'), context: args.string('context'), dataDir: args.string('data-dir'), server: args.string('server'), token: args.string('token')
  }, io)
  const namespace = args.string('namespace') ?? conn.namespace ?? 'default'
  const url = new URL(`${conn.server}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`)
  const container = args.string('container')
  if (container !== undefined) url.searchParams.set('container', container)
  if (args.bool('follow')) url.searchParams.set('follow', 'true')
  if (args.bool('previous')) url.searchParams.set('previous', 'true')
  if (tail !== undefined) url.searchParams.set('tailLines', tail)
  const answer = await streamGet(conn, url, (text) => { io.stdout.write(text) })
  if (answer.status < 200 || answer.status >= 300) throw statusError(answer.status, answer.body)
  return 0
}
