// `flotilla delete`: delete objects named on the command line, selected by label, or
// described by manifests. Prints `KIND "NAME" deleted` per object; a missing object is an
// error (exit 1) unless --ignore-not-found, and does not stop the others.

import { CONNECTION_FLAGS, HELP_FLAG, formatHelp, parseArgs, type FlagSpec } from './args.ts'
import { isNotFound, type ApiClient } from './client.ts'
import { connect } from './connect.ts'
import { qualifiedKind, type ResourceInfo } from './discovery.ts'
import { CliError, UsageError, formatError } from './errors.ts'
import { writeLine, type ResolvedIO } from './io.ts'
import { readManifests } from './manifests.ts'

const FLAGS: FlagSpec[] = [
  { name: 'filename', short: 'f', type: 'string', multiple: true, valueName: 'PATH', description: 'delete the objects in this file, directory or - (stdin); repeatable' },
  { name: 'recursive', short: 'R', type: 'boolean', description: 'with a directory, also read its subdirectories' },
  { name: 'selector', short: 'l', type: 'string', valueName: 'SELECTOR', description: 'delete every object of KIND matching this label selector' },
  { name: 'all', type: 'boolean', description: 'delete every object of KIND in the namespace' },
  { name: 'ignore-not-found', type: 'boolean', description: 'treat a missing object as deleted' },
  { name: 'cascade', type: 'string', valueName: 'MODE', description: 'what happens to dependents: background (default), foreground (wait for them) or orphan (keep them)' },
  ...CONNECTION_FLAGS,
  HELP_FLAG
]

export const help = formatHelp({
  summary: 'Delete resources by name, by label selector, or as described in manifests.',
  usage: ['flotilla delete KIND NAME... [flags]', 'flotilla delete KIND/NAME... [flags]', 'flotilla delete KIND (--all | -l SELECTOR) [flags]', 'flotilla delete -f FILE|DIR|- [flags]'],
  examples: ['flotilla delete pod web-0', 'flotilla delete deploy/web svc/web -n demo', 'flotilla delete pods -l app=web', 'flotilla delete -f app.yaml'],
  flags: FLAGS
})

interface Target { r: ResourceInfo, namespace: string | undefined, name: string }

async function targetsFromArgs (client: ApiClient, positionals: string[], namespace: string, all: boolean, selector: string | undefined): Promise<Target[]> {
  const [first, ...rest] = positionals
  if (first === undefined) throw new UsageError('You must provide one or more resources by argument or filename, e.g. "flotilla delete pod NAME"', 'delete')
  const nsOf = (r: ResourceInfo): string | undefined => r.namespaced ? namespace : undefined
  if (first.includes('/')) {
    const out: Target[] = []
    for (const p of positionals) {
      const [kind, name, extra] = p.split('/')
      if (kind === undefined || kind === '' || name === undefined || name === '' || extra !== undefined) {
        throw new UsageError(`arguments in resource/name form must have a single resource and name, got "${p}"`, 'delete')
      }
      const r = await client.discovery.resolve(kind)
      out.push({ r, namespace: nsOf(r), name })
    }
    return out
  }
  const r = await client.discovery.resolve(first)
  if (all || selector !== undefined) {
    if (rest.length > 0) throw new UsageError('name objects or select them with --all / -l, not both', 'delete')
    const list = await client.list(r, nsOf(r), { labelSelector: selector })
    return list.items.map(obj => ({ r, namespace: r.namespaced ? obj.metadata?.namespace ?? namespace : undefined, name: obj.metadata?.name ?? '' }))
  }
  if (rest.length === 0) throw new UsageError(`resource(s) were provided, but no name was specified: "flotilla delete ${first} NAME"`, 'delete')
  return rest.map(name => ({ r, namespace: nsOf(r), name }))
}

async function targetsFromFiles (client: ApiClient, files: string[], recursive: boolean, namespace: string, io: ResolvedIO): Promise<Target[]> {
  const manifests = await readManifests(files, io, recursive)
  const out: Target[] = []
  for (const m of manifests) {
    const r = await client.discovery.forKind(m.object.apiVersion ?? '', m.object.kind ?? '')
    const name = m.object.metadata?.name
    if (name === undefined || name === '') throw new CliError(`${m.source}: a ${r.kind} without metadata.name cannot be deleted`)
    out.push({ r, namespace: r.namespaced ? m.object.metadata?.namespace ?? namespace : undefined, name })
  }
  return out
}

/** kubectl's --cascade values as DeleteOptions.propagationPolicy (`true`/`false`: the old spellings). */
const CASCADE: Record<string, string> = { background: 'Background', true: 'Background', foreground: 'Foreground', orphan: 'Orphan', false: 'Orphan' }

export async function run (argv: string[], io: ResolvedIO): Promise<number> {
  const args = parseArgs(argv, FLAGS, 'delete')
  const cascade = args.string('cascade')
  const propagationPolicy = cascade === undefined ? undefined : CASCADE[cascade]
  if (cascade !== undefined && propagationPolicy === undefined) throw new UsageError(`invalid --cascade value "${cascade}": use background, foreground or orphan`, 'delete')
  const files = args.strings('filename')
  if (files.length > 0 && args.positionals.length > 0) throw new UsageError('name objects or pass -f, not both', 'delete')
  if (files.length === 0 && args.positionals.length === 0) throw new UsageError('You must provide one or more resources by argument or filename, e.g. "flotilla delete pod NAME"', 'delete')
  if (files.length === 0 && args.positionals.length === 1 && !(args.positionals[0] as string).includes('/') && !args.bool('all') && !args.has('selector')) {
    throw new UsageError(`resource(s) were provided, but no name was specified: "flotilla delete ${args.positionals[0] as string} NAME"`, 'delete')
  }
  const { client, namespace } = connect(args, io)
  const targets = files.length > 0
    ? await targetsFromFiles(client, files, args.bool('recursive'), namespace, io)
    : await targetsFromArgs(client, args.positionals, namespace, args.bool('all'), args.string('selector'))

  if (targets.length === 0) {
    writeLine(io.stderr, `No resources found${args.positionals.length > 0 ? ` in ${namespace} namespace` : ''}.`)
    return 0
  }
  let failed = false
  for (const t of targets) {
    try {
      await client.remove(t.r, t.namespace, t.name, propagationPolicy === undefined ? undefined : { propagationPolicy })
      writeLine(io.stdout, `${qualifiedKind(t.r)} "${t.name}" deleted`)
    } catch (err) {
      if (isNotFound(err) && args.bool('ignore-not-found')) continue
      failed = true
      writeLine(io.stderr, formatError(err))
    }
  }
  return failed ? 1 : 0
}
