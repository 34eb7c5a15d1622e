// `flotilla apply -f`: make the cluster match manifests. Each object is created when missing,
// updated when the file differs, and left alone otherwise; one line per object says which.
// A failing object is reported and the rest still applied; the exit code is then 1.

import { applyObject } from './apply-object.ts'
import { CONNECTION_FLAGS, HELP_FLAG, formatHelp, parseArgs, type FlagSpec } from './args.ts'
import { connect } from './connect.ts'
import { qualifiedKind } from './discovery.ts'
import { ApiError, CliError, UsageError, formatError } from './errors.ts'
import { writeLine, type ResolvedIO } from './io.ts'
import { readManifests } from './manifests.ts'
import { parseOutputFormat } from './output.ts'

const FLAGS: FlagSpec[] = [
  { name: 'filename', short: 'f', type: 'string', multiple: true, valueName: 'PATH', description: 'file, directory (*.yaml, *.yml, *.json) or - for stdin; repeatable' },
  { name: 'recursive', short: 'R', type: 'boolean', description: 'with a directory, also read its subdirectories' },
  { name: 'output', short: 'o', type: 'string', valueName: 'FORMAT', description: 'name: print only kind/name of each object' },
  ...CONNECTION_FLAGS,
  HELP_FLAG
]

export const help = formatHelp({
  summary: 'Create or update resources from manifests (YAML or JSON, any number of documents).',
  usage: ['flotilla apply -f FILE|DIR|- [flags]'],
  details: 'Prints "KIND/NAME created", "configured" or "unchanged" for each object. Objects without\na namespace go to -n (or the kubeconfig context\'s namespace, else "default").',
  examples: ['flotilla apply -f app.yaml', 'flotilla apply -f manifests/ -n demo', 'cat app.json | flotilla apply -f -'],
  flags: FLAGS
})

export async function run (argv: string[], io: ResolvedIO): Promise<number> {
  const args = parseArgs(argv, FLAGS, 'apply')
  const files = args.strings('filename')
  if (files.length === 0) throw new UsageError('must specify one of -f or --filename', 'apply')
  if (args.positionals.length > 0) throw new UsageError(`unexpected arguments: ${args.positionals.join(' ')}`, 'apply')
  const format = parseOutputFormat(args.string('output'), 'apply', ['name'])
  const manifests = await readManifests(files, io, args.bool('recursive'))
  const { client, namespace, namespaceExplicit } = connect(args, io)

  let failed = false
  for (const m of manifests) {
    try {
      const res = await applyObject(client, m.object, { namespace, namespaceExplicit })
      const id = `${qualifiedKind(res.resource)}/${res.name}`
      writeLine(io.stdout, format === 'name' ? id : `${id} ${res.outcome}`)
    } catch (err) {
      failed = true
      writeLine(io.stderr, formatError(inContext(err, m.source, m.object.kind, m.object.metadata?.name)))
    }
  }
  return failed ? 1 : 0
}

/** The error with the file and object it concerns, the way kubectl words it. */
function inContext (err: unknown, source: string, kind: string | undefined, name: string | undefined): unknown {
  if (err instanceof ApiError) return new ApiError(err.code, err.reason, `error when applying "${source}": ${err.message}`, err.status)
  if (err instanceof CliError) {
    return new CliError(`unable to apply ${kind ?? '?'} "${name ?? ''}" from "${source}": ${err.message}`)
  }
  return err
}
