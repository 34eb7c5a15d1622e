// `flotilla rollout`: manage a Deployment's rollout, as `kubectl rollout`:
//   status   wait until it is rolled out (--timeout)
//   history  revisions and their change causes (--revision N: one revision's template)
//   undo     roll back to the previous revision (--to-revision N): its template is copied back
//   pause / resume   stop and restart rollouts (scaling still applies while paused)
//   restart  a new rollout of the same template (kubectl.kubernetes.io/restartedAt annotation)

import { CONNECTION_FLAGS, HELP_FLAG, formatHelp, parseArgs, type FlagSpec } from './args.ts'
import type { ApiClient } from './client.ts'
import { connect } from './connect.ts'
import { CliError, UsageError } from './errors.ts'
import { writeLine, type ResolvedIO } from './io.ts'
import { CHANGE_CAUSE, formatHistory, formatRevision, revisions, sameJson, templateForDeployment } from './rollout-history.ts'
import { parseDuration, waitForRollout } from './rollout-status.ts'
import { resolveTarget, specOf, updateObject, type WorkloadTarget } from './workload-target.ts'

const FLAGS: FlagSpec[] = [
  { name: 'timeout', type: 'string', valueName: 'DURATION', description: 'status: give up after this long (e.g. 30s, 5m); 0 waits forever (default)' },
  { name: 'revision', type: 'string', valueName: 'N', description: 'history: show the pod template of revision N' },
  { name: 'to-revision', type: 'string', valueName: 'N', description: 'undo: the revision to roll back to (default: the previous one)' },
  ...CONNECTION_FLAGS,
  HELP_FLAG
]

export const help = formatHelp({
  summary: 'Manage the rollout of a Deployment.',
  usage: ['flotilla rollout (status|history|undo|pause|resume|restart) deploy/NAME [flags]'],
  details: [
    'Subcommands:',
    '  status    wait for the rollout to finish (--timeout)',
    '  history   list revisions (--revision N shows one)',
    '  undo      roll back to the previous revision (--to-revision N)',
    '  pause     stop rolling out template changes (scaling still applies)',
    '  resume    roll out again',
    '  restart   restart every pod through a new rollout'
  ].join('\n'),
  examples: ['flotilla rollout status deploy/web --timeout 2m', 'flotilla rollout history deploy/web', 'flotilla rollout undo deploy/web --to-revision 2', 'flotilla rollout restart deploy/web'],
  flags: FLAGS
})

const SUBCOMMANDS = ['status', 'history', 'undo', 'pause', 'resume', 'restart']

function revisionFlag (value: string | undefined, flag: string): number {
  if (value === undefined) return 0
  if (!/^[0-9]+$/.test(value)) throw new UsageError(`invalid value for --${flag}: "${value}" (expected a revision number)`, 'rollout')
  return Number(value)
}

/** `deployments.apps "web"`: how kubectl names the object in these errors. */
const quoted = (t: WorkloadTarget): string => `${t.r.plural}${t.r.group === '' ? '' : `.${t.r.group}`} "${t.name}"`

async function setPaused (client: ApiClient, t: WorkloadTarget, paused: boolean): Promise<void> {
  await updateObject(client, t, (obj) => {
    const spec = specOf(obj)
    if ((spec.paused === true) === paused) throw new CliError(`${quoted(t)} is ${paused ? 'already paused' : 'not paused'}`)
    if (paused) spec.paused = true
    else delete spec.paused
    return true
  })
}

async function restart (client: ApiClient, t: WorkloadTarget, now: number): Promise<void> {
  await updateObject(client, t, (obj) => {
    const spec = specOf(obj)
    if (spec.paused === true) throw new CliError(`${quoted(t)} can't restart paused deployment (run rollout resume first)`)
    spec.template ??= {}
    spec.template.metadata ??= {}
    spec.template.metadata.annotations = { ...spec.template.metadata.annotations, 'kubectl.kubernetes.io/restartedAt': new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z') }
    return true
  })
}

/** Copies the template of `toRevision` (0: the previous revision) back into the Deployment; false when it already has it. */
async function undo (client: ApiClient, t: WorkloadTarget, toRevision: number): Promise<{ changed: boolean, revision: number }> {
  let revision = toRevision
  const deployment = await client.get(t.r, t.namespace, t.name)
  if (specOf(deployment).paused === true) throw new CliError(`you cannot rollback a paused deployment; resume it first with 'flotilla rollout resume ${t.shown}' and try again`)
  const history = await revisions(client, t, deployment)
  if (toRevision === 0) {
    const sorted = [...history.keys()].sort((a, b) => b - a)
    const previous = sorted[1]
    if (previous === undefined) throw new CliError(`no rollout history found for deployment "${t.name}"`)
    revision = previous
  }
  const rs = history.get(revision)
  if (rs === undefined) throw new CliError(`unable to find specified revision ${revision} in history`)
  const template = templateForDeployment(rs)
  const result = await updateObject(client, t, (obj) => {
    const spec = specOf(obj)
    if (sameJson(spec.template, template)) return false
    spec.template = template
    obj.metadata ??= {}
    const annotations = { ...obj.metadata.annotations }
    const cause = rs.metadata?.annotations?.[CHANGE_CAUSE]
    if (cause !== undefined) annotations[CHANGE_CAUSE] = cause
    else delete annotations[CHANGE_CAUSE]
    obj.metadata.annotations = annotations
    return true
  })
  return { changed: result.changed, revision }
}

export async function run (argv: string[], io: ResolvedIO): Promise<number> {
  const args = parseArgs(argv, FLAGS, 'rollout')
  const [sub, ...rest] = args.positionals
  if (sub === undefined || !SUBCOMMANDS.includes(sub)) {
    throw new UsageError(sub === undefined ? `a subcommand is required: ${SUBCOMMANDS.join(', ')}` : `unknown subcommand "${sub}": use ${SUBCOMMANDS.join(', ')}`, 'rollout')
  }
  const { client, namespace } = connect(args, io)
  const t = await resolveTarget(client, rest, namespace, `rollout ${sub}`, ['Deployment'])
  switch (sub) {
    case 'status':
      await waitForRollout(client, t, parseDuration(args.string('timeout') ?? '0'), io)
      return 0
    case 'history': {
      const deployment = await client.get(t.r, t.namespace, t.name)
      const history = await revisions(client, t, deployment)
      const n = revisionFlag(args.string('revision'), 'revision')
      if (n === 0) {
        io.stdout.write(formatHistory(t, history))
        return 0
      }
      const rs = history.get(n)
      if (rs === undefined) throw new CliError(`unable to find the specified revision ${n}`)
      io.stdout.write(formatRevision(t, n, rs))
      return 0
    }
    case 'undo': {
      const { changed, revision } = await undo(client, t, revisionFlag(args.string('to-revision'), 'to-revision'))
      writeLine(io.stdout, changed ? `${t.shown} rolled back` : `${t.shown} skipped rollback (current template already matches revision ${revision})`)
      return 0
    }
    case 'pause':
    case 'resume':
      await setPaused(client, t, sub === 'pause')
      writeLine(io.stdout, `${t.shown} ${sub === 'pause' ? 'paused' : 'resumed'}`)
      return 0
    default:
      await restart(client, t, io.now())
      writeLine(io.stdout, `${t.shown} restarted`)
      return 0
  }
}
