// Deep freeze and deep equality for the JSON-like values the store holds. Stored objects are
// deep-frozen and handed to readers as they are: callers that want to change one must copy
// it first (structuredClone), and the store never mutates an object after storing it.

/** Freeze `v` and everything under it; subtrees that are already frozen are skipped. */
export function deepFreeze<T> (v: T): T {
  if (typeof v !== 'object' || v === null || Object.isFrozen(v)) return v
  if (ArrayBuffer.isView(v)) return v // typed arrays cannot be frozen; the store never writes into them
  Object.freeze(v)
  for (const child of Object.values(v as object)) deepFreeze(child)
  return v
}

/** Structural equality of JSON-like values; a key whose value is undefined counts as absent. */
export function deepEqual (a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b)) return false
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) return false
    return a.every((x, i) => x === b[i])
  }
  const ra = a as Record<string, unknown>
  const rb = b as Record<string, unknown>
  let countA = 0
  for (const k of Object.keys(ra)) {
    if (ra[k] === undefined) continue
    countA++
    if (!deepEqual(ra[k], rb[k])) return false
  }
  let countB = 0
  for (const k of Object.keys(rb)) if (rb[k] !== undefined) countB++
  return countA === countB
}
