// Schemas of meta/v1 types every kind uses: object metadata, owner references, label
// selectors, managed fields entries.

import { f, type FieldDef, type TypeGroup } from './dsl.ts'

export const API_VERSION = f('string', 'The versioned schema of this object (group/version, or just the version for the core group). The server uses it to read the object.')
export const KIND = f('string', 'The kind of object this is, in CamelCase (Pod, Deployment). Taken from the URL when left out.')
export const METADATA = f('ObjectMeta', 'Standard object metadata: name, namespace, labels, annotations and the fields the server sets.')
export const LIST_KEYS_NAME = ['name'] as const

/** Fields every top-level kind starts with. */
export function kindFields (spec?: FieldDef, status?: FieldDef): Record<string, FieldDef> {
  const out: Record<string, FieldDef> = { apiVersion: API_VERSION, kind: KIND, metadata: METADATA }
  if (spec !== undefined) out.spec = spec
  if (status !== undefined) out.status = status
  return out
}

export const META: TypeGroup = {
  prefix: 'io.k8s.apimachinery.pkg.apis.meta.v1.',
  types: {
    ObjectMeta: {
      description: 'Metadata every persisted object has: its identity, its labels and annotations, and bookkeeping kept by the server.',
      fields: {
        annotations: f('{}string', 'Arbitrary non-identifying strings by key, for tools and people. Not used for selection.'),
        creationTimestamp: f('time', 'When the server created the object. Set by the server; read-only.'),
        deletionGracePeriodSeconds: f('integer', 'Seconds the object is given to go away once deletion was requested. Set by the server; read-only.'),
        deletionTimestamp: f('time', 'When deletion was requested; the object goes once its finalizers are removed. Set by the server; read-only.'),
        finalizers: f('[]string', 'Names of the parties that must finish their clean-up before the object is deleted.', { set: true }),
        generateName: f('string', 'A prefix the server completes with a random suffix to make a unique name, when name is left empty.'),
        generation: f('integer', 'A counter of changes to the desired state (spec). Set by the server; read-only.'),
        labels: f('{}string', 'Identifying key/value pairs that selectors match (services, deployments, kubectl -l).'),
        managedFields: f('[]ManagedFieldsEntry', 'Which field manager owns which fields, as server-side apply tracks them. Maintained by the server.'),
        name: f('string', 'The object\'s name, unique among objects of its kind in its namespace. Cannot be changed.'),
        namespace: f('string', 'The namespace the object lives in; empty for cluster-scoped kinds. Cannot be changed.'),
        ownerReferences: f('[]OwnerReference', 'Objects this one depends on; when all owners are gone the garbage collector deletes it.', { keys: ['uid'] }),
        resourceVersion: f('string', 'An opaque version of the object; a write carrying it fails with Conflict if the object changed since. Set by the server.'),
        selfLink: f('string', 'Deprecated and unused: always empty.'),
        uid: f('string', 'Unique identifier of this object for its whole lifetime. Set by the server; read-only.')
      }
    },
    OwnerReference: {
      description: 'Names an object that owns this one.',
      atomic: true,
      fields: {
        apiVersion: f('string', 'apiVersion of the owner.', { required: true }),
        blockOwnerDeletion: f('boolean', 'With foreground deletion, the owner waits for this object to go first.'),
        controller: f('boolean', 'Whether the owner is this object\'s managing controller. At most one owner is.'),
        kind: f('string', 'Kind of the owner.', { required: true }),
        name: f('string', 'Name of the owner.', { required: true }),
        uid: f('string', 'uid of the owner.', { required: true })
      }
    },
    LabelSelector: {
      description: 'A query over labels: objects match when they have every label of matchLabels and satisfy every expression. An empty selector matches everything.',
      atomic: true,
      fields: {
        matchExpressions: f('[]LabelSelectorRequirement', 'Requirements on label values; all must hold.'),
        matchLabels: f('{}string', 'Labels the object must have with exactly these values.')
      }
    },
    LabelSelectorRequirement: {
      description: 'One requirement on a label: a key, an operator and values.',
      fields: {
        key: f('string', 'The label key the requirement is about.', { required: true }),
        operator: f('string', 'How the key relates to the values.', { required: true, enum: ['DoesNotExist', 'Exists', 'In', 'NotIn'] }),
        values: f('[]string', 'The values for In and NotIn; must be empty for Exists and DoesNotExist.')
      }
    },
    ManagedFieldsEntry: {
      description: 'The fields one field manager owns through one kind of operation.',
      fields: {
        apiVersion: f('string', 'The version of the object the fields are described in.'),
        fieldsType: f('string', 'The format of fieldsV1: always FieldsV1.'),
        fieldsV1: f('object', 'The owned fields as a tree of f: (field), k: (list element by key) and v: (set element) entries.'),
        manager: f('string', 'The name of the field manager (the fieldManager of its requests).'),
        operation: f('string', 'Apply for server-side apply, Update for other writes.', { enum: ['Apply', 'Update'] }),
        subresource: f('string', 'The subresource the writes went through (status, scale), if any.'),
        time: f('time', 'When the manager last changed its fields.')
      }
    }
  }
}
