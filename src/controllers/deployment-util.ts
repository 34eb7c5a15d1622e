// What the Deployment controller shares among its steps, as Kubernetes' deployment util:
// the pod-template-hash (FNV-32a of the template, encoded with Kubernetes' safe alphabet),
// maxSurge/maxUnavailable resolved against the replica count (surge rounds up, unavailable
// down, never both 0), the revision and replica annotations, and which ReplicaSet is the new one.

import type { Deployment } from '../objects/deployment.ts'
import type { ReplicaSet } from '../objects/replicaset.ts'
import type { KObject } from '../store/types.ts'

export const POD_TEMPLATE_HASH = 'pod-template-hash'
export const REVISION = 'deployment.kubernetes.io/revision'
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history'
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas'
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas'
export const CHANGE_CAUSE = 'kubernetes.io/change-cause'
/** Deployment annotations not copied to its ReplicaSets (as Kubernetes' skipCopyAnnotation). */
const NOT_COPIED = new Set([REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, 'kubectl.kubernetes.io/last-applied-configuration'])

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'

/** JSON with object keys sorted: a stable text of a template. */
export function canonicalJson (v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`
  }
  return JSON.stringify(v)
}

function fnv32a (text: string): number {
  let h = 0x811c9dc5
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h >>> 0
}

/** The pod-template-hash of a template (and the collision count, as Kubernetes adds it). */
export function podTemplateHash (template: unknown, collisionCount = 0): string {
  const text = canonicalJson(template) + (collisionCount > 0 ? String(collisionCount) : '')
  return [...String(fnv32a(text))].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length]).join('')
}

/** The template without the pod-template-hash label: what decides whether two templates are the same. */
export function templateWithoutHash (template: unknown): unknown {
  const t = structuredClone(template ?? {}) as { metadata?: { labels?: Record<string, string> } }
  if (t.metadata?.labels !== undefined) {
    delete t.metadata.labels[POD_TEMPLATE_HASH]
    if (Object.keys(t.metadata.labels).length === 0) delete t.metadata.labels
  }
  return t
}

/**
 * Whether two templates are the same pod template, as Kubernetes compares them after decoding
 * into typed structs: a null field is an absent one, and so is an empty struct (`resources: {}`,
 * `creationTimestamp: null`, which `kubectl rollout undo` sends). `emptyDir: {}` keeps its meaning.
 */
export function sameTemplate (a: unknown, b: unknown): boolean {
  return canonicalJson(withoutEmpty(templateWithoutHash(a))) === canonicalJson(withoutEmpty(templateWithoutHash(b)))
}

function withoutEmpty (v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutEmpty)
  if (v === null || typeof v !== 'object') return v
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const y = withoutEmpty(x)
    if (y === null || y === undefined) continue
    if (k !== 'emptyDir' && typeof y === 'object' && !Array.isArray(y) && Object.keys(y).length === 0) continue
    out[k] = y
  }
  return out
}

/** An int-or-percent against `total`: percentages round up (surge) or down (unavailable). */
function resolveIntOrPercent (v: number | string | undefined, total: number, roundUp: boolean, fallback: string): number {
  const value = v ?? fallback
  if (typeof value === 'number') return value
  const pct = Number.parseInt(value, 10)
  if (Number.isNaN(pct)) return 0
  const exact = (pct * total) / 100
  return roundUp ? Math.ceil(exact) : Math.floor(exact)
}

/** Kubernetes' ResolveFenceposts: maxSurge rounded up, maxUnavailable down, and not both 0. */
export function surgeAndUnavailable (d: Deployment): { maxSurge: number, maxUnavailable: number } {
  if (d.spec.strategy?.type === 'Recreate') return { maxSurge: 0, maxUnavailable: replicasOf(d) }
  const ru = d.spec.strategy?.rollingUpdate
  const replicas = replicasOf(d)
  const maxSurge = resolveIntOrPercent(ru?.maxSurge, replicas, true, '25%')
  let maxUnavailable = resolveIntOrPercent(ru?.maxUnavailable, replicas, false, '25%')
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1
  return { maxSurge, maxUnavailable }
}

export const replicasOf = (o: Deployment | ReplicaSet): number => o.spec.replicas ?? 1

export function revisionOf (o: KObject): number {
  const n = Number.parseInt(o.metadata.annotations?.[REVISION] ?? '', 10)
  return Number.isNaN(n) ? 0 : n
}

export function maxRevision (rss: ReplicaSet[]): number {
  return rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0)
}

/** A ReplicaSet's annotations with the replica counts `d` sized it for (desired-replicas, max-replicas). */
export function replicaAnnotations (d: Deployment, rs: ReplicaSet, maxSurge: number): Record<string, string> {
  return { ...rs.metadata.annotations, [DESIRED_REPLICAS]: String(replicasOf(d)), [MAX_REPLICAS]: String(replicasOf(d) + maxSurge) }
}

/** Annotations of the new ReplicaSet of `d`: the Deployment's own (minus the controller's) plus revision and replica counts. */
export function rsAnnotations (d: Deployment, rs: ReplicaSet | undefined, revision: number, maxSurge: number): Record<string, string> {
  const out: Record<string, string> = { ...(rs?.metadata.annotations ?? {}) }
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) if (!NOT_COPIED.has(k)) out[k] = v
  const old = revisionOf(rs ?? d)
  if (rs !== undefined && old > 0 && old !== revision) {
    // The ReplicaSet comes back as the new one (a rollback): remember the revisions it had.
    const history = (out[REVISION_HISTORY] ?? '').split(',').filter((x) => x !== '')
    out[REVISION_HISTORY] = [...history, String(old)].join(',')
  }
  out[REVISION] = String(revision)
  out[DESIRED_REPLICAS] = String(replicasOf(d))
  out[MAX_REPLICAS] = String(replicasOf(d) + maxSurge)
  return out
}

/** Oldest first (then by name), as Kubernetes' ReplicaSetsByCreationTimestamp. */
export function byCreation (a: KObject, b: KObject): number {
  const ca = a.metadata.creationTimestamp ?? ''
  const cb = b.metadata.creationTimestamp ?? ''
  if (ca !== cb) return ca < cb ? -1 : 1
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0
}

export const rsReplicas = (rs: ReplicaSet): number => rs.spec.replicas ?? 0
export const rsAvailable = (rs: ReplicaSet): number => rs.status?.availableReplicas ?? 0
export const sumOf = (rss: ReplicaSet[], f: (rs: ReplicaSet) => number): number => rss.reduce((n, rs) => n + f(rs), 0)
