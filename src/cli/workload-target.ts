// What the rollout and scale verbs share: naming one object as `TYPE/NAME` or `TYPE NAME`,
// reading it, and read-modify-write updates that retry when someone else wrote in between
// (409 Conflict on the resourceVersion the update carries).

import { ApiError, type ApiClient, type KObject } from './client.ts'
import { qualifiedKind, type ResourceInfo } from './discovery.ts'
import { UsageError } from './errors.ts'

export interface WorkloadTarget {
  r: ResourceInfo
  namespace: string
  name: string
  /** `deployment.apps/web`, as kubectl prints it. */
  shown: string
}

/** Resolves `TYPE/NAME` or `TYPE NAME` from the positionals; `kinds` limits what is accepted. */
export async function resolveTarget (client: ApiClient, positionals: string[], namespace: string, verb: string, kinds: string[]): Promise<WorkloadTarget> {
  const [first, second, ...rest] = positionals
  let type: string | undefined
  let name: string | undefined
  if (first !== undefined && first.includes('/')) {
    [type, name] = first.split('/', 2)
    if (second !== undefined) throw new UsageError(`name one ${kinds.join(' or ')}, e.g. "flotilla ${verb} deploy/web"`, verb)
  } else {
    type = first
    name = second
    if (rest.length > 0) throw new UsageError(`name one ${kinds.join(' or ')}, e.g. "flotilla ${verb} deploy/web"`, verb)
  }
  if (type === undefined || type === '' || name === undefined || name === '') {
    throw new UsageError(`required resource not specified, e.g. "flotilla ${verb} deploy/web"`, verb)
  }
  const r = await client.discovery.resolve(type)
  if (!kinds.includes(r.kind)) throw new UsageError(`${verb} is not supported for ${qualifiedKind(r)}: use one of ${kinds.join(', ')}`, verb)
  return { r, namespace, name, shown: `${qualifiedKind(r)}/${name}` }
}

const UPDATE_ATTEMPTS = 5

/**
 * Reads the object, lets `mutate` change it (returning false to leave it as is), and writes it
 * back with its resourceVersion; retried on Conflict. Resolves with the object as written (or read).
 */
export async function updateObject (client: ApiClient, t: WorkloadTarget, mutate: (obj: KObject) => boolean): Promise<{ obj: KObject, changed: boolean }> {
  for (let attempt = 1; ; attempt++) {
    const obj = await client.get(t.r, t.namespace, t.name)
    if (!mutate(obj)) return { obj, changed: false }
    try {
      return { obj: await client.replace(t.r, t.namespace, t.name, obj), changed: true }
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 409) || attempt >= UPDATE_ATTEMPTS) throw err
    }
  }
}

/** `spec` of an object as a mutable record (created when absent). */
export function specOf (obj: KObject): Record<string, any> {
  if (typeof obj.spec !== 'object' || obj.spec === null) obj.spec = {}
  return obj.spec as Record<string, any>
}
