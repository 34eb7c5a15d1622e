// `flotilla get`: list or fetch objects and print them as a table, JSON, YAML or names.

import { CONNECTION_FLAGS, HELP_FLAG, formatHelp, parseArgs, type FlagSpec } from './args.ts'
import { isNotFound, type ApiClient, type KObject } from './client.ts'
import { connect } from './connect.ts'
import type { ResourceInfo } from './discovery.ts'
import { UsageError, formatError } from './errors.ts'
import { writeLine, type ResolvedIO } from './io.ts'
import { formatObjects, formatResourceTable, parseOutputFormat } from './output.ts'

const FLAGS: FlagSpec[] = [
  { name: 'all-namespaces', short: 'A', type: 'boolean', description: 'list across all namespaces' },
  { name: 'selector', short: 'l', type: 'string', valueName: 'SELECTOR', description: 'label selector, e.g. app=web,tier!=db' },
  { name: 'field-selector', type: 'string', valueName: 'SELECTOR', description: 'field selector, e.g. status.phase=Running,spec.nodeName=n1' },
  { name: 'output', short: 'o', type: 'string', valueName: 'FORMAT', description: 'json, yaml, wide or name (default: a table)' },
  ...CONNECTION_FLAGS,
  HELP_FLAG
]

export const help = formatHelp({
  summary: 'Display one or many resources.',
  usage: ['flotilla get KIND[,KIND...] [NAME...] [flags]', 'flotilla get KIND/NAME... [flags]'],
  details: 'KIND is a plural, singular or short name (pods, pod, po, deploy, deployments.apps).',
  examples: [
    'flotilla get pods',
    'flotilla get deploy web -o yaml',
    'flotilla get pods -A -l app=web -o wide',
    'flotilla get nodes',
    'flotilla get pods,svc -n demo'
  ],
  flags: FLAGS
})

interface Request { r: ResourceInfo, names: string[] }

async function resolveRequests (client: ApiClient, positionals: string[]): Promise<Request[]> {
  const [first, ...rest] = positionals
  if (first === undefined) throw new UsageError('You must specify the type of resource to get, e.g. "flotilla get pods"', 'get')
  if (first.includes('/')) {
    const out: Request[] = []
    for (const p of positionals) {
      const [kind, name, extra] = p.split('/')
      if (kind === undefined || kind === '' || name === undefined || name === '' || extra !== undefined) {
        throw new UsageError(`arguments in resource/name form must have a single resource and name, got "${p}"`, 'get')
      }
      const r = await client.discovery.resolve(kind)
      const same = out.find(q => q.r === r)
      if (same !== undefined) same.names.push(name)
      else out.push({ r, names: [name] })
    }
    return out
  }
  const kinds = first.split(',').filter(k => k !== '')
  if (kinds.length > 1 && rest.length > 0) throw new UsageError('name a single kind when naming objects, or use KIND/NAME', 'get')
  const resources = await Promise.all(kinds.map(async k => await client.discovery.resolve(k)))
  return resources.map(r => ({ r, names: rest }))
}

export async function run (argv: string[], io: ResolvedIO): Promise<number> {
  const args = parseArgs(argv, FLAGS, 'get')
  const format = parseOutputFormat(args.string('output'), 'get')
  const allNamespaces = args.bool('all-namespaces')
  if (args.positionals.length === 0) throw new UsageError('You must specify the type of resource to get, e.g. "flotilla get pods"', 'get')
  const { client, namespace } = connect(args, io)
  const requests = await resolveRequests(client, args.positionals)
  const byName = requests.some(q => q.names.length > 0)
  if (byName && allNamespaces) throw new UsageError('a resource cannot be retrieved by name across all namespaces', 'get')

  let failed = false
  const found: Array<{ r: ResourceInfo, items: KObject[] }> = []
  for (const q of requests) {
    const ns = q.r.namespaced ? (allNamespaces ? undefined : namespace) : undefined
    if (q.names.length === 0) {
      const list = await client.list(q.r, ns, { labelSelector: args.string('selector'), fieldSelector: args.string('field-selector') })
      found.push({ r: q.r, items: list.items })
      continue
    }
    const items: KObject[] = []
    for (const name of q.names) {
      try {
        items.push(await client.get(q.r, ns, name))
      } catch (err) {
        if (!isNotFound(err)) throw err
        writeLine(io.stderr, formatError(err))
        failed = true
      }
    }
    found.push({ r: q.r, items })
  }

  const objects = found.flatMap(f => f.items.map(obj => ({ r: f.r, obj })))
  if (format === 'json' || format === 'yaml' || format === 'name') {
    const single = requests.length === 1 && requests[0]?.names.length === 1
    if (objects.length > 0 || !byName) io.stdout.write(formatObjects(format, objects, single))
    return failed ? 1 : 0
  }
  if (objects.length === 0) {
    if (!byName) {
      const namespaced = requests.some(q => q.r.namespaced)
      writeLine(io.stderr, namespaced && !allNamespaces ? `No resources found in ${namespace} namespace.` : 'No resources found')
    }
    return failed ? 1 : 0
  }
  const tables = found.filter(f => f.items.length > 0).map(f => formatResourceTable(f.r, f.items, {
    wide: format === 'wide',
    allNamespaces,
    withKind: requests.length > 1,
    now: io.now()
  }))
  io.stdout.write(tables.join('\n'))
  return failed ? 1 : 0
}
