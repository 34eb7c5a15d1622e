// What a role sees of one kind in the local replica: every existing object as ADDED, then
// every change, in apply order, with nothing missed or repeated in between (the list and the
// watch start at the same applied index, in one synchronous step). Callbacks run inside the
// store's apply: they must only take note (queue a key) and return.

import type { ListOptions, ObjectReader, WatchEvent } from '../store/types.ts'

export interface KindRef {
  /** '' for the core group. */
  readonly group: string
  readonly kind: string
}

export interface InformerOptions extends ListOptions {
  /** Only this namespace; all namespaces when absent. */
  namespace?: string
}

/** Start informing `onEvent` about `kind`; returns the function that stops it. */
export function inform (reader: ObjectReader, kind: KindRef, onEvent: (e: WatchEvent) => void, opts: InformerOptions = {}): () => void {
  const { namespace, ...selectors } = opts
  const list = reader.list(kind.group, kind.kind, namespace, selectors)
  for (const object of list.items) onEvent({ type: 'ADDED', object })
  return reader.watch(kind.group, kind.kind, namespace, Number(list.resourceVersion), selectors, onEvent)
}

/** The work-queue key of an object: `namespace/name`, or `name` for cluster-scoped kinds. */
export function keyOf (obj: { metadata: { name: string, namespace?: string } }): string {
  const ns = obj.metadata.namespace
  return ns === undefined || ns === '' ? obj.metadata.name : `${ns}/${obj.metadata.name}`
}

/** Splits a key made by keyOf. */
export function splitKey (key: string): { namespace: string, name: string } {
  const slash = key.indexOf('/')
  return slash < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) }
}
