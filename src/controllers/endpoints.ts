// The endpoints controller (leader only): every Service with a selector (not ExternalName)
// has an Endpoints object of the same namespace and name listing the pods it selects, as
// Kubernetes' endpoints controller keeps it. Endpoints it writes carry the managed-by label;
// only those are deleted when their Service goes or loses its selector, so Endpoints a user
// wrote for a selector-less Service stay untouched. It writes only when subsets or labels
// differ, so an unchanged set of pods costs no Raft entry.
//
// Keys are Service keys. A pod event queues the Services whose selector matched the pod's
// labels before or after the change: an index of selectors per namespace and the last labels
// seen per pod answer that without listing Services (both rebuilt on every start, from the
// informers' initial ADDED events). Two instances (an old leader not yet stopped) converge:
// creates of an existing name and updates of a changed object fail, and the Endpoints event
// that caused the failure queues the key again.

import type { RoleContext } from '../agent/roles.ts'
import { prepareCreate, defaultAndValidate } from '../api/admission.ts'
import { endpointsKind, type Endpoints } from '../objects/endpoints.ts'
import type { Pod } from '../objects/pod.ts'
import type { Service } from '../objects/service.ts'
import type { KObject, StoreCommand, WatchEvent } from '../store/types.ts'
import { ControllerRole } from './controller-role.ts'
import { canonicalJson, endpointSubsets, endpointsLabels, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './endpoints-subsets.ts'
import { keyOf, splitKey } from './informer.ts'
import { namespaceTerminating } from './owner-refs.ts'
import { deleteCommand, updateCommand } from './store-writes.ts'

const SERVICE_KIND = { group: '', kind: 'Service' }
const POD_KIND = { group: '', kind: 'Pod' }
const ENDPOINTS_KIND = { group: '', kind: 'Endpoints' }

type Selector = Record<string, string>

/** The selector the controller manages pods by; undefined when it manages none (no selector, ExternalName). */
export function managedSelector (service: Service): Selector | undefined {
  const sel = service.spec?.selector
  if (sel === undefined || sel === null || Object.keys(sel).length === 0) return undefined
  if (service.spec.type === 'ExternalName') return undefined
  return sel
}

function selects (selector: Selector, labels: Readonly<Record<string, string>> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v)
}

/** True when this controller wrote (and so owns) the Endpoints. */
export function isManagedEndpoints (ep: KObject): boolean {
  return ep.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE
}

/** Services' selectors per namespace, and the last labels of every pod: which Services a pod event concerns. */
class SelectorIndex {
  private readonly services = new Map<string, Map<string, Selector>>()
  private readonly podLabels = new Map<string, Record<string, string> | undefined>()

  reset (): void {
    this.services.clear()
    this.podLabels.clear()
  }

  has (key: string): boolean {
    const { namespace, name } = splitKey(key)
    return this.services.get(namespace)?.has(name) === true
  }

  onService (e: WatchEvent): void {
    const ns = e.object.metadata.namespace ?? ''
    const byName = this.services.get(ns) ?? new Map<string, Selector>()
    const sel = e.type === 'DELETED' ? undefined : managedSelector(e.object as Service)
    if (sel === undefined) byName.delete(e.object.metadata.name)
    else byName.set(e.object.metadata.name, { ...sel })
    if (byName.size === 0) this.services.delete(ns)
    else this.services.set(ns, byName)
  }

  /** Keys of the Services selecting the pod before or after this event. */
  onPod (e: WatchEvent): string[] {
    const pod = e.object
    const ns = pod.metadata.namespace ?? ''
    const key = keyOf(pod)
    const before = this.podLabels.get(key)
    const after = pod.metadata.labels
    if (e.type === 'DELETED') this.podLabels.delete(key)
    else this.podLabels.set(key, after === undefined ? undefined : { ...after })
    const out: string[] = []
    for (const [name, sel] of this.services.get(ns) ?? []) {
      if (selects(sel, after) || (before !== undefined && selects(sel, before))) out.push(`${ns}/${name}`)
    }
    return out
  }
}

export function endpointsController (ctx: RoleContext): ControllerRole {
  const index = new SelectorIndex()
  return new ControllerRole(ctx, {
    name: 'endpoints-controller',
    watches: [
      {
        kind: SERVICE_KIND,
        onEvent: (e, enqueue) => {
          index.onService(e)
          enqueue(keyOf(e.object))
        }
      },
      { kind: POD_KIND, onEvent: (e, enqueue) => { for (const key of index.onPod(e)) enqueue(key) } },
      {
        // Endpoints edited or deleted by someone else are put back; managed ones left without a Service are removed.
        kind: ENDPOINTS_KIND,
        onEvent: (e, enqueue) => {
          const key = keyOf(e.object)
          if (index.has(key) || isManagedEndpoints(e.object)) enqueue(key)
        }
      }
    ],
    reset: () => { index.reset() },
    reconcile: async (key) => { await reconcileEndpoints(ctx, key) }
  })
}

/** Converges the Endpoints named `key` on what its Service selects. Idempotent. */
export async function reconcileEndpoints (ctx: RoleContext, key: string): Promise<void> {
  const { backend } = ctx
  const { namespace, name } = splitKey(key)
  const service = backend.reader.get({ ...SERVICE_KIND, namespace, name }) as Service | undefined
  const current = backend.reader.get({ ...ENDPOINTS_KIND, namespace, name }) as Endpoints | undefined
  const selector = service === undefined ? undefined : managedSelector(service)
  if (service === undefined || selector === undefined) {
    if (current !== undefined && isManagedEndpoints(current)) await write(ctx, deleteCommand(current, backend.now()))
    return
  }
  const pods = backend.reader.list(POD_KIND.group, POD_KIND.kind, namespace).items
    .filter((p) => selects(selector, p.metadata.labels)) as Pod[]
  const { subsets, refused } = endpointSubsets(service, pods)
  const labels = endpointsLabels(service)
  if (current !== undefined && canonicalJson(current.subsets ?? []) === canonicalJson(subsets) &&
    canonicalJson(current.metadata.labels ?? {}) === canonicalJson(labels)) return
  if (refused.length > 0) ctx.log(`endpoints-controller: ${key}: left out pods whose IP cannot be an endpoint: ${refused.join(', ')}`)
  if (current === undefined) {
    // The API refuses new content in a terminating namespace; the namespace controller empties it.
    if (namespaceTerminating(backend.reader, namespace)) return
    const fresh: KObject = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace, labels } }
    if (subsets.length > 0) fresh.subsets = subsets
    const object = prepareCreate(fresh, endpointsKind, { uid: backend.newUid(), creationTimestamp: backend.now() })
    await write(ctx, { op: 'create', object })
    return
  }
  const next: KObject = { ...current, metadata: { ...current.metadata, labels } }
  delete next.subsets
  if (subsets.length > 0) next.subsets = subsets
  defaultAndValidate(next, endpointsKind)
  await write(ctx, updateCommand(next))
}

/**
 * Proposes one command. AlreadyExists, Conflict and NotFound mean another writer changed the
 * Endpoints since they were read: the watch event of that change queued the key again.
 */
async function write (ctx: RoleContext, cmd: StoreCommand): Promise<void> {
  const r = await ctx.backend.write(cmd)
  if (r.ok) return
  if (r.error.reason === 'AlreadyExists' || r.error.reason === 'Conflict' || r.error.reason === 'NotFound') return
  throw new Error(`the store refused the ${cmd.op} of the Endpoints: ${r.error.message}`)
}
