// `flotilla describe`: a readable page per object — metadata, the fields that matter for its
// kind, and the events about it.

import { CONNECTION_FLAGS, HELP_FLAG, formatHelp, parseArgs, type FlagSpec } from './args.ts'
import { ApiError, isNotFound, type ApiClient, type KObject } from './client.ts'
import { connect } from './connect.ts'
import type { DescribeContext } from './describe-common.ts'
import { describeObject } from './describers.ts'
import type { ResourceInfo } from './discovery.ts'
import { CliError, UsageError, formatError } from './errors.ts'
import { writeLine, type ResolvedIO } from './io.ts'

const FLAGS: FlagSpec[] = [
  { name: 'selector', short: 'l', type: 'string', valueName: 'SELECTOR', description: 'describe every object of KIND matching this label selector' },
  ...CONNECTION_FLAGS,
  HELP_FLAG
]

export const help = formatHelp({
  summary: 'Show details of a resource: metadata, kind-specific spec and status, and events.',
  usage: ['flotilla describe KIND NAME... [flags]', 'flotilla describe KIND/NAME... [flags]', 'flotilla describe KIND [-l SELECTOR] [flags]'],
  examples: ['flotilla describe pod web-0', 'flotilla describe deploy/web -n demo', 'flotilla describe nodes'],
  flags: FLAGS
})

/** Events about `obj`, or undefined when the server has no events resource. */
async function eventsFor (client: ApiClient, obj: KObject, r: ResourceInfo): Promise<KObject[] | undefined> {
  let eventsResource: ResourceInfo
  try {
    eventsResource = await client.discovery.resolve('events')
  } catch (err) {
    if (err instanceof CliError) return undefined
    throw err
  }
  const name = obj.metadata?.name ?? ''
  const ns = r.namespaced ? obj.metadata?.namespace : undefined
  const selector = [`involvedObject.name=${name}`, ...(ns !== undefined ? [`involvedObject.namespace=${ns}`] : [])].join(',')
  let items: KObject[]
  try {
    items = (await client.list(eventsResource, ns, { fieldSelector: selector })).items
  } catch (err) {
    // A server that does not support these field selectors: filter here instead.
    if (!(err instanceof ApiError && err.code === 400)) return undefined
    items = (await client.list(eventsResource, ns)).items
  }
  const uid = obj.metadata?.uid
  return items.filter(e => {
    const io = (e.involvedObject ?? {}) as { name?: string, kind?: string, uid?: string }
    if (uid !== undefined && io.uid !== undefined) return io.uid === uid
    return io.name === name && (io.kind === undefined || io.kind === r.kind)
  })
}

async function describeOne (client: ApiClient, r: ResourceInfo, obj: KObject, now: number): Promise<string> {
  const ctx: DescribeContext = { now, events: await eventsFor(client, obj, r) }
  if (r.group === '' && r.kind === 'Service') {
    try {
      const ep = await client.discovery.resolve('endpoints')
      ctx.endpoints = await client.get(ep, obj.metadata?.namespace, obj.metadata?.name ?? '')
    } catch {
      ctx.endpoints = undefined
    }
  }
  return describeObject(r, obj, ctx)
}

export async function run (argv: string[], io: ResolvedIO): Promise<number> {
  const args = parseArgs(argv, FLAGS, 'describe')
  const [first, ...rest] = args.positionals
  if (first === undefined) throw new UsageError('You must specify the type of resource to describe, e.g. "flotilla describe pod NAME"', 'describe')
  const { client, namespace } = connect(args, io)

  const wanted: Array<{ r: ResourceInfo, name: string }> = []
  const pages: Array<{ r: ResourceInfo, obj: KObject }> = []
  if (first.includes('/')) {
    for (const p of args.positionals) {
      const [kind, name] = p.split('/')
      if (kind === undefined || name === undefined || name === '') throw new UsageError(`expected KIND/NAME, got "${p}"`, 'describe')
      wanted.push({ r: await client.discovery.resolve(kind), name })
    }
  } else {
    const r = await client.discovery.resolve(first)
    if (rest.length === 0) {
      const list = await client.list(r, r.namespaced ? namespace : undefined, { labelSelector: args.string('selector') })
      if (list.items.length === 0) {
        writeLine(io.stderr, r.namespaced ? `No resources found in ${namespace} namespace.` : 'No resources found')
        return 0
      }
      pages.push(...list.items.map(obj => ({ r, obj })))
    }
    for (const name of rest) wanted.push({ r, name })
  }

  let failed = false
  for (const w of wanted) {
    try {
      pages.push({ r: w.r, obj: await client.get(w.r, w.r.namespaced ? namespace : undefined, w.name) })
    } catch (err) {
      if (!isNotFound(err)) throw err
      writeLine(io.stderr, formatError(err))
      failed = true
    }
  }
  const texts: string[] = []
  for (const p of pages) texts.push(await describeOne(client, p.r, p.obj, io.now()))
  io.stdout.write(texts.join('\n\n'))
  return failed ? 1 : 0
}
