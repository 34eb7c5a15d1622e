// The revisions of a Deployment, read from the ReplicaSets it controls as kubectl does: each
// ReplicaSet's deployment.kubernetes.io/revision (a rollback renumbers the ReplicaSet it
// brings back, so its old number leaves the history).
// `rollout history` prints them; `rollout undo` copies one's pod template back.

import type { ApiClient, KObject } from './client.ts'
import { containers } from './describe-common.ts'
import { DescribeWriter } from './describe-writer.ts'
import { renderTable } from './table.ts'
import type { WorkloadTarget } from './workload-target.ts'

export const REVISION = 'deployment.kubernetes.io/revision'
export const CHANGE_CAUSE = 'kubernetes.io/change-cause'
const POD_TEMPLATE_HASH = 'pod-template-hash'

/** Revision number → the ReplicaSet holding that template. */
export async function revisions (client: ApiClient, t: WorkloadTarget, deployment: KObject): Promise<Map<number, KObject>> {
  const rsResource = await client.discovery.resolve('replicasets.apps')
  const list = await client.list(rsResource, t.namespace)
  const out = new Map<number, KObject>()
  for (const rs of list.items) {
    const refs = (rs.metadata?.ownerReferences ?? []) as Array<{ uid?: string, controller?: boolean }>
    if (!refs.some((r) => r.controller === true && r.uid === deployment.metadata?.uid)) continue
    const v = Number.parseInt(rs.metadata?.annotations?.[REVISION] ?? '', 10)
    if (!Number.isNaN(v)) out.set(v, rs)
  }
  return out
}

/** The REVISION / CHANGE-CAUSE table. */
export function formatHistory (t: WorkloadTarget, history: Map<number, KObject>): string {
  const rows = [...history.entries()].sort(([a], [b]) => a - b)
    .map(([n, rs]) => [String(n), rs.metadata?.annotations?.[CHANGE_CAUSE] ?? '<none>'])
  return `${t.shown}\n${renderTable(['REVISION', 'CHANGE-CAUSE'], rows, 2)}\n`
}

/** One revision's pod template, as `kubectl rollout history --revision N`. */
export function formatRevision (t: WorkloadTarget, revision: number, rs: KObject): string {
  const template = ((rs.spec as Record<string, any> | undefined)?.template ?? {}) as Record<string, any>
  const w = new DescribeWriter()
  w.line(0, 'Pod Template')
  w.map(1, 'Labels', template.metadata?.labels)
  const annotations = { ...template.metadata?.annotations, ...(rs.metadata?.annotations?.[CHANGE_CAUSE] !== undefined ? { [CHANGE_CAUSE]: rs.metadata.annotations[CHANGE_CAUSE] } : {}) }
  if (Object.keys(annotations).length > 0) w.map(1, 'Annotations', annotations, ': ')
  containers(w, 1, 'Containers', template.spec?.containers)
  return `${t.shown} with revision #${revision}\n${w.render()}`
}

/** A ReplicaSet's template as a Deployment's: without the pod-template-hash label. */
export function templateForDeployment (rs: KObject): Record<string, any> {
  const template = structuredClone((rs.spec as Record<string, any> | undefined)?.template ?? {}) as Record<string, any>
  const labels = template.metadata?.labels as Record<string, string> | undefined
  if (labels !== undefined) delete labels[POD_TEMPLATE_HASH]
  return template
}

/** JSON with sorted keys: compares templates whatever their key order. */
export function sameJson (a: unknown, b: unknown): boolean {
  const canon = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canon)
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => x < y ? -1 : 1).map(([k, x]) => [k, canon(x)]))
    return v
  }
  return JSON.stringify(canon(a)) === JSON.stringify(canon(b))
}
