// Errors of the object store. StoreErrors are results (deterministic outcomes of a command,
// returned to its proposer); GoneError is thrown to a watcher that asks for history the
// store no longer has. Messages follow the Kubernetes API server's wording.

import { qualifiedResource } from '../objects/kinds.ts'
import type { StoreError } from './types.ts'

/** Thrown by watch() when `fromResourceVersion` is older than the event history: list again, then watch from the list's resourceVersion. */
export class GoneError extends Error {
  override readonly name = 'GoneError'
  readonly code = 410
  readonly reason = 'Expired'
  /**
   * @param requested the resourceVersion the watch asked to start after
   * @param oldest the oldest resourceVersion a watch can still start from
   */
  constructor (readonly requested: number, readonly oldest: number) {
    super(`too old resource version: ${requested} (${oldest})`)
  }
}

export function notFoundError (group: string, kind: string, name: string): StoreError {
  return { code: 404, reason: 'NotFound', message: `${qualifiedResource(group, kind)} ${JSON.stringify(name)} not found` }
}

export function alreadyExistsError (group: string, kind: string, name: string): StoreError {
  return { code: 409, reason: 'AlreadyExists', message: `${qualifiedResource(group, kind)} ${JSON.stringify(name)} already exists` }
}

/** A stale resourceVersion on update: the client should re-read and retry. */
export function conflictError (group: string, kind: string, name: string): StoreError {
  return {
    code: 409,
    reason: 'Conflict',
    message: `Operation cannot be fulfilled on ${qualifiedResource(group, kind)} ${JSON.stringify(name)}: the object has been modified; please apply your changes to the latest version and try again`
  }
}

export function preconditionError (field: 'UID' | 'ResourceVersion', expected: string, actual: string | undefined): StoreError {
  return { code: 409, reason: 'Conflict', message: `Precondition failed: ${field} in precondition: ${expected}, ${field} in object meta: ${actual ?? ''}` }
}

/** A command the store cannot apply as written (malformed, or missing what the API should have filled). */
export function invalidCommandError (message: string): StoreError {
  return { code: 422, reason: 'Invalid', message }
}
