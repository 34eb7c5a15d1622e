// How server-side apply treats each list and map of the kinds Flotilla serves, as the
// Kubernetes API types declare it (x-kubernetes-list-type / list-map-keys / map-type):
// - associative lists merge element by element, matched on key fields (containers by name,
//   container ports by containerPort and protocol);
// - set lists merge as sets of scalars (finalizers);
// - atomic lists and maps are owned and replaced as one value (command, args, tolerations,
//   a Deployment's label selector);
// - every other object is granular: each field is owned on its own.
// Lists not named here are atomic, as an untyped list is in Kubernetes.

/** Field names from the object's root to the value, list elements left out: ['spec', 'template', 'spec', 'containers']. */
export type SchemaPath = readonly string[]

export type ListSemantics =
  | { type: 'atomic' }
  | { type: 'set' }
  | { type: 'associative', keys: readonly string[], defaults: Readonly<Record<string, unknown>> }

export interface MergeSemantics {
  list: (path: SchemaPath) => ListSemantics
  /** Whether the object at `path` is owned as a whole. */
  atomicObject: (path: SchemaPath) => boolean
}

const assoc = (keys: readonly string[], defaults: Record<string, unknown> = {}): ListSemantics => ({ type: 'associative', keys, defaults })
const ATOMIC: ListSemantics = { type: 'atomic' }

/** Associative lists by field name, wherever they appear. */
const BY_NAME: Readonly<Record<string, ListSemantics>> = {
  containers: assoc(['name']),
  initContainers: assoc(['name']),
  ephemeralContainers: assoc(['name']),
  volumes: assoc(['name']),
  env: assoc(['name']),
  imagePullSecrets: assoc(['name']),
  resourceClaims: assoc(['name']),
  schedulingGates: assoc(['name']),
  volumeMounts: assoc(['mountPath']),
  volumeDevices: assoc(['devicePath']),
  hostAliases: assoc(['ip']),
  podIPs: assoc(['ip']),
  hostIPs: assoc(['ip']),
  topologySpreadConstraints: assoc(['topologyKey', 'whenUnsatisfiable']),
  conditions: assoc(['type']),
  ownerReferences: assoc(['uid']),
  finalizers: { type: 'set' }
}

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers'])

function listFor (kind: string, path: SchemaPath): ListSemantics {
  const field = path[path.length - 1] ?? ''
  const parent = path[path.length - 2] ?? ''
  if (field === 'ports') {
    if (CONTAINER_LISTS.has(parent)) return assoc(['containerPort', 'protocol'], { protocol: 'TCP' })
    if (kind === 'Service' && path.length === 2 && parent === 'spec') return assoc(['port', 'protocol'], { protocol: 'TCP' })
    return ATOMIC
  }
  // Node addresses merge by type; an Endpoints subset's addresses are atomic.
  if (field === 'addresses') return kind === 'Node' ? assoc(['type']) : ATOMIC
  // A Namespace's spec.finalizers is a plain list in Kubernetes.
  if (field === 'finalizers' && path[0] === 'spec') return ATOMIC
  return BY_NAME[field] ?? ATOMIC
}

/** Label selectors (structType=atomic in Kubernetes) are replaced as a whole. */
function atomicObjectFor (kind: string, path: SchemaPath): boolean {
  const field = path[path.length - 1] ?? ''
  if (field === 'labelSelector' || field === 'namespaceSelector') return true
  return field === 'selector' && path.length === 2 && path[0] === 'spec' && (kind === 'Deployment' || kind === 'ReplicaSet')
}

/** The merge semantics of one kind. */
export function mergeSemanticsFor (kind: string): MergeSemantics {
  return {
    list: path => listFor(kind, path),
    atomicObject: path => atomicObjectFor(kind, path)
  }
}
