// KvStore: the state machine of the raft-kv example, a Map<string, string> that Raft
// replicates. Clients never change the map directly: they encode a command
// (encodeCommand), propose it to the leader, and every node applies the committed commands
// in log order. apply() must be deterministic (same log, same map on every node), so it
// reads nothing but the entries: no clock, no randomness, no I/O.

import { Packr } from 'msgpackr'
import type { StateMachine } from '../../raft/node.ts'
import type { Entry } from '../../raft/types.ts'

/** A change to the map, as it travels in a log entry. */
export type KvCommand =
  | { readonly op: 'set', readonly key: string, readonly value: string }
  | { readonly op: 'delete', readonly key: string }

// Plain msgpack maps (no records): an entry decodes without shared schema state, so a node
// that restarts, or one that never saw earlier entries, reads it the same way.
const packr = new Packr({ useRecords: false })

export function encodeCommand (command: KvCommand): Uint8Array {
  return packr.pack(command)
}

/** The command carried in an entry's data, or null when the data is not one. */
export function decodeCommand (data: Uint8Array): KvCommand | null {
  let value: unknown
  try {
    value = packr.unpack(data)
  } catch {
    return null
  }
  if (typeof value !== 'object' || value === null) return null
  const { op, key, value: v } = value as Record<string, unknown>
  if (typeof key !== 'string') return null
  if (op === 'set' && typeof v === 'string') return { op, key, value: v }
  if (op === 'delete') return { op, key }
  return null
}

/**
 * What apply() hands back to the proposer, one per entry: the key's previous value (null if
 * it had none), or an Error for data that is not a command. Such an entry changes nothing
 * on any node; throwing instead would stop every node at the same entry.
 */
export type KvResult = string | null | Error

export class KvStore implements StateMachine {
  private map = new Map<string, string>()

  get (key: string): string | undefined {
    return this.map.get(key)
  }

  /** Every key and its value, in insertion order (for printing and for comparing nodes). */
  toObject (): Record<string, string> {
    return Object.fromEntries(this.map)
  }

  apply (entries: readonly Entry[]): KvResult[] {
    return entries.map((entry) => {
      const command = decodeCommand(entry.data)
      if (command === null) return new Error(`Entry ${entry.index} is not a key-value command: propose encodeCommand(...) data`)
      const previous = this.map.get(command.key) ?? null
      if (command.op === 'set') this.map.set(command.key, command.value)
      else this.map.delete(command.key)
      return previous
    })
  }

  /** The whole map as [key, value] pairs; RaftNode stores it and ships it to far-behind followers. */
  snapshot (): Uint8Array {
    return packr.pack([...this.map])
  }

  restore (data: Uint8Array): void {
    const pairs: unknown = packr.unpack(data)
    const valid = Array.isArray(pairs) && pairs.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string')
    if (!valid) throw new Error('The key-value snapshot is not a list of [key, value] string pairs: it was not written by KvStore.snapshot()')
    this.map = new Map(pairs as Array<[string, string]>)
  }
}
