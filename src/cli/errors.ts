// Errors the CLI reports, and how each is printed. Messages follow kubectl's wording so that
// scripts and people used to kubectl read them the same way.

/** Thrown when the command line is malformed (unknown flag, missing argument); exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
  /** The verb whose `--help` the user should read, when known. */
  readonly verb: string | undefined

  constructor (message: string, verb?: string) {
    super(message)
    this.verb = verb
  }
}

/** Thrown for a client-side failure that is not the server's answer (bad file, unknown kind); exit code 1. */
export class CliError extends Error {
  override readonly name = 'CliError'
}

/** Thrown when the server cannot be reached at all (refused, unknown host, timeout). */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError'
  readonly server: string

  constructor (server: string, message: string) {
    super(message)
    this.server = server
  }
}

/** A Kubernetes `Status` object, as the API returns on failure. */
export interface Status {
  kind: 'Status'
  apiVersion?: string
  status?: string
  message?: string
  reason?: string
  code?: number
  details?: { name?: string, group?: string, kind?: string, causes?: Array<{ field?: string, message?: string, reason?: string }> }
}

/** Thrown when the server answers with an error status; carries the server's Status. */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  readonly code: number
  readonly reason: string
  readonly status: Status | undefined

  constructor (code: number, reason: string, message: string, status?: Status) {
    super(message)
    this.code = code
    this.reason = reason
    this.status = status
  }
}

/** The reason Kubernetes uses for an HTTP code, for servers that answer without a Status. */
export function reasonForCode (code: number): string {
  switch (code) {
    case 400: return 'BadRequest'
    case 401: return 'Unauthorized'
    case 403: return 'Forbidden'
    case 404: return 'NotFound'
    case 405: return 'MethodNotAllowed'
    case 409: return 'Conflict'
    case 410: return 'Gone'
    case 422: return 'Invalid'
    case 429: return 'TooManyRequests'
    case 500: return 'InternalError'
    case 503: return 'ServiceUnavailable'
    case 504: return 'Timeout'
    default: return ''
  }
}

/** The line(s) kubectl would print for an error, without the trailing newline. */
export function formatError (err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 401) return 'error: You must be logged in to the server (Unauthorized)'
    const head = err.reason === '' ? 'Error from server' : `Error from server (${err.reason})`
    return `${head}: ${err.message}`
  }
  if (err instanceof UsageError) {
    const hint = err.verb === undefined ? "See 'flotilla --help' for usage." : `See 'flotilla ${err.verb} --help' for usage.`
    return `error: ${err.message}\n${hint}`
  }
  if (err instanceof ConnectionError) return err.message
  if (err instanceof Error) return `error: ${err.message}`
  return `error: ${String(err)}`
}

/** Exit code for an error: 2 for usage errors, 1 for everything else. */
export function exitCodeFor (err: unknown): number {
  return err instanceof UsageError ? 2 : 1
}
