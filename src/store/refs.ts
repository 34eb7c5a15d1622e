// ObjectRef helpers: the ref of an object (group from apiVersion, '' namespace when none) and
// a string key for maps and on-disk storage.

import { splitApiVersion } from '../objects/registry.ts'
import type { KObject, ObjectRef } from './types.ts'

export function refOf (obj: KObject): ObjectRef {
  return {
    group: splitApiVersion(obj.apiVersion).group,
    kind: obj.kind,
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name
  }
}

/** `group/kind`: the key of one kind. */
export function kindKey (group: string, kind: string): string {
  return `${group}/${kind}`
}

/** `group/kind/namespace/name`: unique per object, and sorts by kind, then namespace, then name. */
export function objectKey (ref: ObjectRef): string {
  return `${ref.group}/${ref.kind}/${ref.namespace}/${ref.name}`
}
