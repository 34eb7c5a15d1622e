// Declarative apply of one object, as `kubectl apply` does it on the client: GET the live
// object; if it is missing, POST the file's; otherwise three-way merge file, last-applied
// configuration and live object, and PUT the result with the live resourceVersion — or do
// nothing when the merge changes nothing. A Conflict (someone wrote in between) is retried
// from a fresh GET. The file's configuration is recorded in the last-applied annotation.

import { ApiError, isNotFound, type ApiClient, type KObject } from './client.ts'
import type { ResourceInfo } from './discovery.ts'
import { CliError } from './errors.ts'
import { LAST_APPLIED_ANNOTATION, deepEqual, threeWayMerge } from './three-way-merge.ts'

export type ApplyOutcome = 'created' | 'configured' | 'unchanged'

export interface ApplyResult {
  outcome: ApplyOutcome
  resource: ResourceInfo
  name: string
  namespace: string | undefined
  /** The object as the server has it now. */
  object: KObject
}

export interface ApplyOptions {
  /** Namespace for objects whose manifest names none. */
  namespace: string
  /** True when the user passed -n: a manifest naming another namespace is then an error. */
  namespaceExplicit: boolean
}

/** Metadata the server owns; a manifest copied from `get -o yaml` must not send them back. */
const SERVER_METADATA = ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds']

const MAX_ATTEMPTS = 3

/** The desired object: the manifest without status and server-owned metadata, namespace settled. */
export function desiredObject (manifest: KObject, resource: ResourceInfo, opts: ApplyOptions): KObject {
  const obj = structuredClone(manifest)
  delete obj.status
  const meta = { ...(obj.metadata ?? {}) }
  for (const f of SERVER_METADATA) delete meta[f]
  if (meta.annotations !== undefined) {
    const { [LAST_APPLIED_ANNOTATION]: _dropped, ...rest } = meta.annotations
    if (Object.keys(rest).length > 0) meta.annotations = rest
    else delete meta.annotations
  }
  if (typeof meta.name !== 'string' || meta.name === '') {
    throw new CliError(`${resource.kind.toLowerCase()}: resource name may not be empty (apply needs metadata.name)`)
  }
  if (resource.namespaced) {
    const own = typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : undefined
    if (own !== undefined && opts.namespaceExplicit && own !== opts.namespace) {
      throw new CliError(`the namespace from the provided object "${own}" does not match the namespace "${opts.namespace}". You must pass '--namespace=${own}' to perform this operation.`)
    }
    meta.namespace = own ?? opts.namespace
  } else {
    delete meta.namespace
  }
  obj.metadata = meta
  return obj
}

function withLastApplied (desired: KObject): KObject {
  const obj = structuredClone(desired)
  const meta = obj.metadata ?? {}
  meta.annotations = { ...(meta.annotations ?? {}), [LAST_APPLIED_ANNOTATION]: JSON.stringify(desired) + '\n' }
  obj.metadata = meta
  return obj
}

function lastApplied (live: KObject): unknown {
  const text = live.metadata?.annotations?.[LAST_APPLIED_ANNOTATION]
  if (text === undefined) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** The object to PUT, or undefined when applying `desired` would change nothing. */
export function mergeForApply (desired: KObject, live: KObject): KObject | undefined {
  const merged = threeWayMerge(lastApplied(live), withLastApplied(desired), live) as KObject
  const meta = { ...(merged.metadata ?? {}) }
  // The live identity always wins: a stale uid or resourceVersion in a file must not leak in.
  meta.uid = live.metadata?.uid
  meta.resourceVersion = live.metadata?.resourceVersion
  if (meta.uid === undefined) delete meta.uid
  if (meta.resourceVersion === undefined) delete meta.resourceVersion
  merged.metadata = meta
  return deepEqual(merged, live) ? undefined : merged
}

export async function applyObject (client: ApiClient, manifest: KObject, opts: ApplyOptions): Promise<ApplyResult> {
  const resource = await client.discovery.forKind(manifest.apiVersion ?? '', manifest.kind ?? '')
  const desired = desiredObject(manifest, resource, opts)
  const name = desired.metadata?.name as string
  const namespace = resource.namespaced ? desired.metadata?.namespace : undefined
  const result = (outcome: ApplyOutcome, object: KObject): ApplyResult => ({ outcome, resource, name, namespace, object })

  for (let attempt = 1; ; attempt++) {
    let live: KObject | undefined
    try {
      live = await client.get(resource, namespace, name)
    } catch (err) {
      if (!isNotFound(err)) throw err
    }
    try {
      if (live === undefined) return result('created', await client.create(resource, namespace, withLastApplied(desired)))
      const merged = mergeForApply(desired, live)
      if (merged === undefined) return result('unchanged', live)
      return result('configured', await client.replace(resource, namespace, name, merged))
    } catch (err) {
      const raced = err instanceof ApiError && (err.reason === 'Conflict' || err.reason === 'AlreadyExists')
      if (!raced || attempt >= MAX_ATTEMPTS) throw err
    }
  }
}
