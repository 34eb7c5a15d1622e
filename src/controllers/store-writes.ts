// Small helpers for the writes controllers propose: several commands in one `batch` entry
// (one Raft round trip), their per-command results, and the usual update and delete
// commands with the preconditions that keep a stale controller from clobbering newer state.

import type { ApiBackend } from '../api/backend.ts'
import { refOf } from '../store/refs.ts'
import type { ApplyResult, KObject, StoreCommand } from '../store/types.ts'

/** Most commands proposed in one entry. */
export const MAX_BATCH = 500

/** Writes `commands` in entries of at most MAX_BATCH; one result per command, in order. */
export async function writeAll (backend: ApiBackend, commands: StoreCommand[]): Promise<ApplyResult[]> {
  const out: ApplyResult[] = []
  for (let i = 0; i < commands.length; i += MAX_BATCH) {
    const chunk = commands.slice(i, i + MAX_BATCH)
    const result = await backend.write(chunk.length === 1 ? chunk[0] as StoreCommand : { op: 'batch', commands: chunk })
    if ('results' in result) out.push(...result.results)
    else out.push(result)
  }
  return out
}

/** Replace `obj`, failing with Conflict if it changed since it was read. */
export function updateCommand (obj: KObject, subresource?: 'status'): StoreCommand {
  return subresource === undefined ? { op: 'update', object: obj } : { op: 'update', object: obj, subresource }
}

/** Delete exactly this object (uid precondition), gracefully if it has finalizers. */
export function deleteCommand (obj: KObject, now: string): StoreCommand {
  const cmd: StoreCommand = { op: 'delete', ref: refOf(obj), deletionTimestamp: now }
  if (obj.metadata.uid !== undefined) cmd.preconditions = { uid: obj.metadata.uid }
  return cmd
}

/** The object a successful single result carries. */
export function resultObject (r: ApplyResult | undefined): KObject | undefined {
  return r !== undefined && r.ok && 'object' in r ? r.object : undefined
}

/** The error message of a failed result. */
export function resultError (r: ApplyResult | undefined): string | undefined {
  return r !== undefined && !r.ok ? r.error.message : undefined
}
