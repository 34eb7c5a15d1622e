// The bytes in Raft entries and snapshots. Plain msgpack maps (`useRecords: false`): an entry
// decodes without shared schema state, so a node that restarts, or never saw earlier
// entries, reads it the same way.

import { Packr } from 'msgpackr'
import { internNames } from './intern.ts'
import type { KObject, StoreCommand } from './types.ts'

const packr = new Packr({ useRecords: false })

/** The data of an entry that carries `command`. */
export function encodeCommand (command: StoreCommand): Uint8Array {
  return packr.pack(command)
}

/**
 * The command in an entry's data, or null when the bytes are not a msgpack map with an `op`.
 * The rest of the shape is checked when the command is applied (Invalid there).
 */
export function decodeCommand (data: Uint8Array): StoreCommand | null {
  if (data.length === 0) return null
  try {
    // Through a view of its own: msgpackr caches a DataView on the array it decodes (a
    // property and ~100 bytes), and `data` stays in the Raft log until the next snapshot.
    const value: unknown = packr.unpack(data.subarray())
    if (!isCommand(value)) return null
    internObjects(value)
    return value
  } catch {
    return null
  }
}

function isCommand (value: unknown): value is StoreCommand {
  return typeof value === 'object' && value !== null && typeof (value as { op?: unknown }).op === 'string'
}

/** Share the names of the objects a command carries (intern.ts); the shape is checked when it is applied. */
function internObjects (command: StoreCommand): void {
  const { object, commands } = command as { object?: unknown, commands?: unknown }
  if (typeof object === 'object' && object !== null) internNames(object as KObject)
  if (Array.isArray(commands)) for (const sub of commands) if (isCommand(sub)) internObjects(sub)
}

/** What snapshot() writes: the state as of `appliedIndex`, objects sorted by kind, namespace and name. */
export interface StoreSnapshot {
  appliedIndex: number
  objects: KObject[]
}

export function encodeSnapshot (snap: StoreSnapshot): Uint8Array {
  return packr.pack(snap)
}

export function decodeSnapshot (data: Uint8Array): StoreSnapshot {
  let value: unknown
  try {
    value = packr.unpack(data)
  } catch (err) {
    throw new Error(`The object store snapshot is not msgpack: it was not written by ObjectStore.snapshot() (${(err as Error).message})`, { cause: err })
  }
  const snap = value as Partial<StoreSnapshot> | null
  if (snap === null || typeof snap !== 'object' || typeof snap.appliedIndex !== 'number' || !Array.isArray(snap.objects)) {
    throw new Error('The object store snapshot lacks appliedIndex or objects: it was not written by ObjectStore.snapshot()')
  }
  return { appliedIndex: snap.appliedIndex, objects: snap.objects }
}
