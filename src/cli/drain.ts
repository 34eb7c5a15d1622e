// `flotilla drain NODE`: cordon the node, then delete its pods so that their controllers
// recreate them elsewhere, and wait until they are gone — as kubectl drain. Pods nothing would
// recreate, DaemonSet pods and pods with emptyDir data are refused unless a flag says otherwise
// (the node stays cordoned, nothing is deleted). Pods are deleted rather than evicted through
// the Eviction API, which Flotilla does not serve (so no PodDisruptionBudget is consulted).

import { CONNECTION_FLAGS, HELP_FLAG, formatHelp, parseArgs, type FlagSpec } from './args.ts'
import { isNotFound, type ApiClient, type KObject } from './client.ts'
import { connect } from './connect.ts'
import { resourcePath, type ResourceInfo } from './discovery.ts'
import { durationFlag } from './duration.ts'
import { UsageError, formatError } from './errors.ts'
import { writeLine, type ResolvedIO } from './io.ts'
import { planDrain, podGone, setUnschedulable } from './node-drain.ts'

const FLAGS: FlagSpec[] = [
  { name: 'force', type: 'boolean', description: 'also delete pods that declare no controller (nothing recreates them)' },
  { name: 'ignore-daemonsets', type: 'boolean', description: 'leave DaemonSet-managed pods alone instead of refusing' },
  { name: 'delete-emptydir-data', type: 'boolean', description: 'also delete pods with emptyDir volumes (their data is lost)' },
  { name: 'grace-period', type: 'string', valueName: 'SECONDS', description: 'seconds each pod has to terminate (default: -1, the pod\'s own terminationGracePeriodSeconds)' },
  { name: 'timeout', type: 'string', valueName: 'DURATION', description: 'give up after this long, e.g. 30s (default: 0s, wait for ever)' },
  ...CONNECTION_FLAGS,
  HELP_FLAG
]

export const help = formatHelp({
  summary: 'Drain a node for maintenance: cordon it, then delete its pods (their controllers recreate them elsewhere) and wait until they are gone.',
  usage: ['flotilla drain NODE [--force] [--ignore-daemonsets] [--delete-emptydir-data] [--grace-period N] [--timeout D] [flags]'],
  examples: ['flotilla drain node-b --ignore-daemonsets', 'flotilla drain node-b --force --timeout 2m', 'flotilla uncordon node-b   # afterwards'],
  flags: FLAGS
})

/** How often the pods being deleted are checked. */
const POLL_MS = 250

export async function run (argv: string[], io: ResolvedIO): Promise<number> {
  const args = parseArgs(argv, FLAGS, 'drain')
  if (args.positionals.length !== 1) throw new UsageError('exactly one node name is required: "flotilla drain NODE"', 'drain')
  const node = args.positionals[0] as string
  const grace = gracePeriod(args.string('grace-period'))
  const timeoutMs = durationFlag(args.string('timeout'), 'timeout', 'drain') ?? 0
  const { client } = connect(args, io)
  const nodes = await client.discovery.resolve('nodes')
  const pods = await client.discovery.resolve('pods')

  const changed = await setUnschedulable(client, nodes, node, true)
  writeLine(io.stdout, `node/${node} ${changed ? '' : 'already '}cordoned`)
  const onNode = await client.list(pods, undefined, { fieldSelector: `spec.nodeName=${node}` })
  const plan = planDrain(onNode.items, { force: args.bool('force'), ignoreDaemonSets: args.bool('ignore-daemonsets'), deleteEmptyDirData: args.bool('delete-emptydir-data') })
  if (plan.errors.length > 0) {
    writeLine(io.stderr, `error: unable to drain node "${node}" due to error: ${plan.errors.join(', ')}, continuing command...`)
    writeLine(io.stderr, `There are pending nodes to be drained:\n ${node}`)
    for (const e of plan.errors) writeLine(io.stderr, e)
    return 1
  }
  for (const w of plan.warnings) writeLine(io.stderr, `Warning: ${w}`)

  const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity
  let pending: KObject[] = []
  for (const pod of plan.evict) {
    writeLine(io.stdout, `evicting pod ${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`)
    if (await deletePod(client, pods, pod, grace)) pending.push(pod)
    else writeLine(io.stdout, `pod/${pod.metadata?.name ?? ''} evicted`)
  }
  while (pending.length > 0) {
    const still: KObject[] = []
    for (const pod of pending) {
      if (await podGone(client, pods, pod)) writeLine(io.stdout, `pod/${pod.metadata?.name ?? ''} evicted`)
      else still.push(pod)
    }
    pending = still
    if (pending.length === 0) break
    if (Date.now() >= deadline) {
      const names = pending.map((p) => `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`).join(', ')
      writeLine(io.stderr, `error: unable to drain node "${node}": global timeout reached: ${args.string('timeout') ?? ''}; pods still terminating: ${names}`)
      writeLine(io.stderr, `There are pending nodes to be drained:\n ${node}`)
      return 1
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, Math.max(0, deadline - Date.now()))))
  }
  writeLine(io.stdout, `node/${node} drained`)
  return 0
}

function gracePeriod (value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (value.trim() === '' || !Number.isInteger(n)) throw new UsageError(`invalid value "${value}" for --grace-period: give whole seconds, or -1 for the pod's own`, 'drain')
  return n < 0 ? undefined : n
}

/** Delete one pod; false when it was already gone. */
async function deletePod (client: ApiClient, pods: ResourceInfo, pod: KObject, grace: number | undefined): Promise<boolean> {
  const options = grace === undefined ? undefined : { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: grace }
  try {
    await client.request('DELETE', resourcePath(pods, pod.metadata?.namespace, pod.metadata?.name), options)
    return true
  } catch (err) {
    if (isNotFound(err)) return false
    throw new Error(`cannot delete pod ${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}: ${formatError(err).replace(/^error: /, '')}`)
  }
}
