// Kubernetes `Status` objects: every error the API returns is one, with the reason and code
// clients (kubectl, client-go) switch on. ApiError carries a Status through the handlers;
// `toApiError` turns anything thrown (store errors, Raft errors, parser errors) into one.

import type { StoreError } from '../store/types.ts'
import type { FieldError } from '../objects/registry.ts'

export interface StatusCause {
  field?: string
  message: string
  reason?: string
}

export interface StatusDetails {
  name?: string
  group?: string
  /** The resource (`pods`) for most errors; the Kind (`Pod`) for Invalid, as Kubernetes does. */
  kind?: string
  causes?: StatusCause[]
  retryAfterSeconds?: number
}

export interface Status {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, never>
  status: 'Failure' | 'Success'
  message: string
  reason: string
  details?: StatusDetails
  code: number
}

/** Thrown inside request handling to answer with a Status; anything else becomes a 500. */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  constructor (readonly code: number, readonly reason: string, message: string, readonly details?: StatusDetails) {
    super(message)
  }

  toStatus (): Status {
    const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, code: this.code }
    if (this.details !== undefined) s.details = this.details
    return s
  }
}

/** What a Status says about the resource it concerns. */
export interface ResourceId {
  group: string
  /** Lower-case plural: `pods`. */
  plural: string
  name?: string
}

/** `pods`, or `deployments.apps` for a named group, as Kubernetes qualifies resources in messages. */
export function qualifiedResource (r: ResourceId): string {
  return r.group === '' ? r.plural : `${r.plural}.${r.group}`
}

function detailsOf (r: ResourceId): StatusDetails {
  const d: StatusDetails = {}
  if (r.name !== undefined && r.name !== '') d.name = r.name
  if (r.group !== '') d.group = r.group
  d.kind = r.plural
  return d
}

export const notFoundPath = (): ApiError =>
  new ApiError(404, 'NotFound', 'the server could not find the requested resource', {})

export const notFound = (r: ResourceId): ApiError =>
  new ApiError(404, 'NotFound', `${qualifiedResource(r)} "${r.name ?? ''}" not found`, detailsOf(r))

export const alreadyExists = (r: ResourceId): ApiError =>
  new ApiError(409, 'AlreadyExists', `${qualifiedResource(r)} "${r.name ?? ''}" already exists`, detailsOf(r))

export const conflict = (r: ResourceId, why: string): ApiError =>
  new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(r)} "${r.name ?? ''}": ${why}`, detailsOf(r))

export const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message)

export const methodNotAllowed = (): ApiError =>
  new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {})

export const unauthorized = (): ApiError => new ApiError(401, 'Unauthorized', 'Unauthorized')

export const tooLarge = (limit: number): ApiError =>
  new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit} bytes`)

export const unsupportedMediaType = (type: string, accepted: readonly string[]): ApiError =>
  new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format (${type === '' ? 'no Content-Type' : type}) - accepted media types include: ${accepted.join(', ')}`)

export const gone = (message: string): ApiError => new ApiError(410, 'Expired', message)

/** 422 Invalid, worded as Kubernetes words it: `Pod "x" is invalid: spec.a: Required value`. */
export function invalid (kind: string, group: string, name: string, errors: readonly FieldError[]): ApiError {
  const parts = errors.map(e => e.field === '' ? e.message : `${e.field}: ${e.message}`)
  const summary = parts.length === 1 ? parts[0] ?? '' : `[${parts.join(', ')}]`
  const causes = errors.map(e => ({ reason: e.reason ?? 'FieldValueInvalid', message: e.message, field: e.field }))
  const details: StatusDetails = { name, kind, causes }
  if (group !== '') details.group = group
  return new ApiError(422, 'Invalid', `${kind}${group === '' ? '' : '.' + group} ${JSON.stringify(name)} is invalid: ${summary}`, details)
}

/** `pods "x" not found`, `deployments.apps "x" already exists`, `Operation cannot be fulfilled on pods "x": …`. */
const STORE_MESSAGE = /^(?:Operation cannot be fulfilled on )?([a-z0-9-]+)(?:\.([a-z0-9.-]+))? "((?:[^"\\]|\\.)*)"(?: not found$| already exists$|: )/

/** `Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated`. */
const STORE_INVALID = /^([A-Za-z]+) ("(?:[^"\\]|\\.)*") is invalid: (.+)$/s

/**
 * A StoreError from a committed command. The store words its messages as Kubernetes does and
 * may name another resource than the request did (creating a Pod in a missing Namespace is
 * `namespaces "x" not found`), so its message is kept and the details are read from it; a
 * message in another shape is replaced by one about the resource the request named.
 */
export function fromStoreError (e: StoreError, r: ResourceId): ApiError {
  const m = STORE_MESSAGE.exec(e.message)
  if (m !== null && (e.reason === 'NotFound' || e.reason === 'AlreadyExists' || e.reason === 'Conflict')) {
    const id: ResourceId = { plural: m[1] ?? r.plural, group: m[2] ?? '' }
    try {
      id.name = JSON.parse(`"${m[3] ?? ''}"`) as string
    } catch {
      id.name = m[3] ?? ''
    }
    return new ApiError(e.code, e.reason, e.message, detailsOf(id))
  }
  if (e.reason === 'Invalid') {
    const v = STORE_INVALID.exec(e.message)
    if (v !== null) {
      // kubectl prints an Invalid Status's causes, not its message: without them a user sees
      // only `The Service "web" is invalid` and not why.
      const rest = v[3] ?? ''
      const colon = rest.indexOf(': ')
      const field = colon > 0 && !rest.slice(0, colon).includes(' ') ? rest.slice(0, colon) : ''
      const cause = { reason: 'FieldValueInvalid', message: field === '' ? rest : rest.slice(colon + 2), field }
      return new ApiError(422, 'Invalid', e.message, { name: JSON.parse(v[2] ?? '""') as string, kind: v[1] ?? r.plural, causes: [cause] })
    }
  }
  switch (e.reason) {
    case 'NotFound': return notFound(r)
    case 'AlreadyExists': return alreadyExists(r)
    case 'Conflict': return conflict(r, e.message)
    default: return new ApiError(e.code, e.reason, e.message, detailsOf(r))
  }
}

/** Errors the cluster raises when it cannot take a request right now, by `name`: the client should retry. */
const UNAVAILABLE = new Set(['NotLeaderError', 'ProposalQueueFullError', 'TransferInProgressError', 'ConfChangeInProgressError', 'StoppedError', 'NoLeaderError', 'UnavailableError'])
/** Errors after which the outcome is unknown (the write may still commit). */
const TIMEOUT = new Set(['RaftTimeoutError', 'LeadershipLostError', 'TimeoutError', 'AbortError', 'ForwardTimeoutError'])

/** Anything thrown while handling a request, as an ApiError. */
export function toApiError (err: unknown): ApiError {
  if (err instanceof ApiError) return err
  const name = err instanceof Error ? err.name : ''
  const message = err instanceof Error ? err.message : String(err)
  if (name === 'SelectorError') return badRequest(message)
  if (name === 'GoneError' || (err as { code?: unknown } | null)?.code === 410) return gone(message)
  if (UNAVAILABLE.has(name)) {
    return new ApiError(503, 'ServiceUnavailable', `${message} (the cluster cannot take this request right now: retry it)`, { retryAfterSeconds: 1 })
  }
  if (TIMEOUT.has(name)) {
    return new ApiError(504, 'Timeout', `${message} (the request may or may not have taken effect: read the object, then retry if needed)`, { retryAfterSeconds: 1 })
  }
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`)
}
