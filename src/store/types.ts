// Shared types of the replicated object store: the objects it holds, the commands that change
// them (proposed through Raft and applied deterministically on every agent), and the read side
// that the API, controllers and kubelet use against the local replica.

/** A Kubernetes-shaped object. Kind-specific fields live beside metadata. */
export interface KObject {
  apiVersion: string
  kind: string
  metadata: ObjectMeta
  [field: string]: unknown
}

export interface OwnerReference {
  apiVersion: string
  kind: string
  name: string
  uid: string
  controller?: boolean
  blockOwnerDeletion?: boolean
}

export interface ObjectMeta {
  name: string
  namespace?: string
  generateName?: string
  uid?: string
  /** Decimal string of the Raft index of the entry that last wrote the object. */
  resourceVersion?: string
  generation?: number
  creationTimestamp?: string
  deletionTimestamp?: string
  /** Seconds the object has to go after deletionTimestamp (graceful deletion); set only by delete. */
  deletionGracePeriodSeconds?: number
  labels?: Record<string, string>
  annotations?: Record<string, string>
  ownerReferences?: OwnerReference[]
  finalizers?: string[]
  [field: string]: unknown
}

/** Identifies one object. `group` is '' for the core group; `namespace` is '' for cluster-scoped kinds. */
export interface ObjectRef {
  group: string
  kind: string
  namespace: string
  name: string
}

/**
 * A write, decided completely before it is proposed: uid, timestamps and generated names are
 * filled by the agent that received the request, so applying it is deterministic everywhere.
 */
export type StoreCommand =
  /** Create; fails with AlreadyExists if the object exists. */
  | { op: 'create', object: KObject }
  /**
   * Replace the whole object (or only its status, with `subresource: 'status'`). If
   * `object.metadata.resourceVersion` is set it must equal the stored one (else Conflict).
   * The store keeps uid and creationTimestamp, and bumps generation when anything but
   * metadata and status changed.
   */
  | { op: 'update', object: KObject, subresource?: 'status' }
  /**
   * Delete; with `preconditions` the stored uid / resourceVersion must match.
   * Graceful deletion, as Kubernetes: when `deletionTimestamp` is given and the object has
   * finalizers or `gracePeriodSeconds` > 0, the object is only marked (metadata.deletionTimestamp
   * and deletionGracePeriodSeconds set, generation + 1). It goes when a later delete with grace
   * period 0 finds no finalizers, or an update removes the last finalizer of an object whose
   * grace period is 0. Without `deletionTimestamp` the object is removed at once.
   */
  | { op: 'delete', ref: ObjectRef, preconditions?: { uid?: string, resourceVersion?: string }, deletionTimestamp?: string, gracePeriodSeconds?: number }
  /** Several commands applied in order in one entry; each has its own result. */
  | { op: 'batch', commands: StoreCommand[] }

export type ApplyResult =
  | { ok: true, object: KObject }
  | { ok: false, error: StoreError }
  | { ok: true, results: ApplyResult[] }

/** A deterministic failure of a command, shaped after the Kubernetes Status object. */
export interface StoreError {
  /** HTTP code: 404 NotFound, 409 AlreadyExists / Conflict, 422 Invalid. */
  code: number
  reason: 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Invalid'
  message: string
}

export interface ListOptions {
  /** Kubernetes label selector syntax: `a=b,c!=d,e in (f,g),!h,i`. */
  labelSelector?: string
  /** Field selector: `metadata.name=x,metadata.namespace!=y,status.phase=Running,spec.nodeName=n`. */
  fieldSelector?: string
}

export interface ListResult {
  items: KObject[]
  /** The store's applied index when the list was taken. */
  resourceVersion: string
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED'

export interface WatchEvent {
  type: WatchEventType
  object: KObject
}

/** The read side of the local replica. */
export interface ObjectReader {
  /** Raft index of the last applied entry. */
  readonly appliedIndex: number
  get (ref: ObjectRef): KObject | undefined
  /** Objects of one kind; `namespace` undefined or '' lists across all namespaces. */
  list (group: string, kind: string, namespace: string | undefined, opts?: ListOptions): ListResult
  /**
   * Events for objects of one kind after `fromResourceVersion` (exclusive), in order, then live.
   * Throws GoneError if history no longer reaches back that far. Returns a function that stops it.
   */
  watch (group: string, kind: string, namespace: string | undefined, fromResourceVersion: number, opts: ListOptions, onEvent: (e: WatchEvent) => void): () => void
  /** Resolves once appliedIndex >= index. */
  waitForIndex (index: number, signal?: AbortSignal): Promise<void>
}
