// One string per distinct apiVersion, kind and namespace, shared by every stored object.
// Why: each decoded object brings its own copies ("v1", "ConfigMap", "default": ~76 bytes
// per object, 7 MiB per 100k objects) though a cluster has a handful of each.

import type { KObject } from './types.ts'

/** Distinct strings kept; past it new ones are left as they are (a bound, not an expected size). */
const MAX_INTERNED = 10_000
const interned = new Map<string, string>()

function intern (s: string): string {
  const known = interned.get(s)
  if (known !== undefined) return known
  if (interned.size < MAX_INTERNED) interned.set(s, s)
  return s
}

/** Replace `obj`'s apiVersion, kind and metadata.namespace by the shared strings (before it is frozen). Returns `obj`. */
export function internNames (obj: KObject): KObject {
  if (typeof obj.apiVersion === 'string') obj.apiVersion = intern(obj.apiVersion)
  if (typeof obj.kind === 'string') obj.kind = intern(obj.kind)
  const meta = obj.metadata as { namespace?: unknown } | undefined
  if (typeof meta?.namespace === 'string') meta.namespace = intern(meta.namespace)
  return obj
}
