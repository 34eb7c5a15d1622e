// `flotilla rollout status`: waits for a Deployment's rollout, printing kubectl's messages
// whenever they change, and succeeds once every replica is updated and available.
// Fails when the rollout exceeded its progress deadline, or on --timeout.

import type { ApiClient, KObject } from './client.ts'
import { CliError } from './errors.ts'
import { writeLine, type ResolvedIO } from './io.ts'
import type { WorkloadTarget } from './workload-target.ts'

/** How often the Deployment is read again while waiting. */
const POLL_MS = 500

/** kubectl's DeploymentStatusViewer: the message and whether the rollout is done. */
export function rolloutMessage (d: KObject): { message: string, done: boolean } {
  const name = d.metadata?.name ?? ''
  const spec = (d.spec ?? {}) as { replicas?: number }
  const status = (d.status ?? {}) as { observedGeneration?: number, replicas?: number, updatedReplicas?: number, availableReplicas?: number, conditions?: Array<{ type?: string, reason?: string }> }
  const generation = (d.metadata?.generation as number | undefined) ?? 0
  if (generation > (status.observedGeneration ?? 0)) return { message: 'Waiting for deployment spec update to be observed...', done: false }
  if (status.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded') === true) {
    throw new CliError(`deployment "${name}" exceeded its progress deadline`)
  }
  const updated = status.updatedReplicas ?? 0
  const replicas = spec.replicas ?? 1
  if (updated < replicas) return { message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${replicas} new replicas have been updated...`, done: false }
  const total = status.replicas ?? 0
  if (total > updated) return { message: `Waiting for deployment "${name}" rollout to finish: ${total - updated} old replicas are pending termination...`, done: false }
  const available = status.availableReplicas ?? 0
  if (available < updated) return { message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`, done: false }
  return { message: `deployment "${name}" successfully rolled out`, done: true }
}

/** Go-style durations as kubectl takes them: `30s`, `5m`, `1h30m`, `250ms`, or plain seconds; 0 waits forever. */
export function parseDuration (text: string): number {
  if (/^[0-9]+$/.test(text)) return Number(text) * 1000
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
  let ms = 0
  const re = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/gy
  let consumed = 0
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    ms += Number(m[1]) * (units[m[2] as string] as number)
    consumed = re.lastIndex
  }
  if (consumed !== text.length || text === '') throw new CliError(`invalid duration "${text}": use e.g. 30s, 5m or 1h`)
  return ms
}

export async function waitForRollout (client: ApiClient, t: WorkloadTarget, timeoutMs: number, io: ResolvedIO): Promise<void> {
  const deadline = timeoutMs > 0 ? io.now() + timeoutMs : Infinity
  let last = ''
  for (;;) {
    const { message, done } = rolloutMessage(await client.get(t.r, t.namespace, t.name))
    if (message !== last) writeLine(io.stdout, message)
    last = message
    if (done) return
    const left = deadline - io.now()
    if (left <= 0) throw new CliError('timed out waiting for the condition')
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, left)))
  }
}
