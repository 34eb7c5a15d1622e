// A small client for a Kubernetes-shaped API: bearer token, JSON in and out, resources
// resolved through discovery. Error statuses become ApiError carrying the server's Status
// (reason, code, message); an unreachable server becomes ConnectionError.

import { Discovery, resourcePath, type ResourceInfo } from './discovery.ts'
import { ApiError, reasonForCode, type Status } from './errors.ts'
import { httpRequest } from './http.ts'
import type { Connection } from './kubeconfig.ts'

export { ApiError } from './errors.ts'

/** A Kubernetes object as the CLI handles it: only the envelope is typed. */
export interface KObject {
  apiVersion?: string
  kind?: string
  metadata?: {
    name?: string
    namespace?: string
    uid?: string
    resourceVersion?: string
    creationTimestamp?: string
    deletionTimestamp?: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
    [field: string]: unknown
  }
  [field: string]: unknown
}

export interface KList {
  apiVersion?: string
  kind?: string
  metadata?: { resourceVersion?: string }
  items: KObject[]
}

export interface ListQuery {
  labelSelector?: string | undefined
  fieldSelector?: string | undefined
}

/** Default time to wait for any one answer. Writes wait for a Raft commit, which is quick. */
export const DEFAULT_TIMEOUT_MS = 30_000

export class ApiClient {
  readonly server: string
  readonly discovery: Discovery
  private readonly conn: Connection
  private readonly timeoutMs: number

  constructor (conn: Connection, timeoutMs = DEFAULT_TIMEOUT_MS) {
    this.conn = conn
    this.server = conn.server
    this.timeoutMs = timeoutMs
    this.discovery = new Discovery(async path => await this.request('GET', path))
  }

  /** Sends one request; resolves with the parsed JSON body (undefined when empty). */
  async request (method: string, path: string, body?: unknown, query?: Record<string, string | undefined>): Promise<unknown> {
    const url = new URL(this.server + path)
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, v)
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'flotilla-cli' }
    if (this.conn.token !== undefined) headers.Authorization = `Bearer ${this.conn.token}`
    let payload: string | undefined
    if (body !== undefined) {
      payload = JSON.stringify(body)
      headers['Content-Type'] = 'application/json'
    }
    const res = await httpRequest({
      method,
      url,
      headers,
      ...(payload !== undefined ? { body: payload } : {}),
      ...(this.conn.ca !== undefined ? { ca: this.conn.ca } : {}),
      insecureSkipTLSVerify: this.conn.insecureSkipTLSVerify,
      timeoutMs: this.timeoutMs
    })
    let parsed: unknown
    if (res.body.trim() !== '') {
      try {
        parsed = JSON.parse(res.body)
      } catch {
        parsed = undefined
      }
    }
    if (res.status >= 200 && res.status < 300) return parsed
    throw toApiError(res.status, parsed, res.body)
  }

  async get (r: ResourceInfo, namespace: string | undefined, name: string): Promise<KObject> {
    return await this.request('GET', resourcePath(r, namespace, name)) as KObject
  }

  /** Lists a collection; `namespace` undefined lists a namespaced kind across all namespaces. */
  async list (r: ResourceInfo, namespace: string | undefined, q: ListQuery = {}): Promise<KList> {
    const list = await this.request('GET', resourcePath(r, namespace), undefined, { ...q }) as KList | undefined
    return { ...list, items: Array.isArray(list?.items) ? list.items : [] }
  }

  async create (r: ResourceInfo, namespace: string | undefined, obj: KObject): Promise<KObject> {
    return await this.request('POST', resourcePath(r, namespace), obj) as KObject
  }

  async replace (r: ResourceInfo, namespace: string | undefined, name: string, obj: KObject): Promise<KObject> {
    return await this.request('PUT', resourcePath(r, namespace, name), obj) as KObject
  }

  /** Deletes one object; resolves with whatever the server returned (the object or a Status). `options` is sent as DeleteOptions. */
  async remove (r: ResourceInfo, namespace: string | undefined, name: string, options?: Record<string, unknown>): Promise<unknown> {
    const body = options === undefined ? undefined : { kind: 'DeleteOptions', apiVersion: 'v1', ...options }
    return await this.request('DELETE', resourcePath(r, namespace, name), body)
  }
}

function toApiError (code: number, parsed: unknown, raw: string): ApiError {
  const status = parsed as Partial<Status> | undefined
  if (status?.kind === 'Status') {
    const reason = typeof status.reason === 'string' && status.reason !== '' ? status.reason : reasonForCode(code)
    const message = typeof status.message === 'string' && status.message !== '' ? status.message : defaultMessage(code, raw)
    return new ApiError(typeof status.code === 'number' ? status.code : code, reason, message, status as Status)
  }
  return new ApiError(code, reasonForCode(code), defaultMessage(code, raw))
}

function defaultMessage (code: number, raw: string): string {
  if (code === 404) return 'the server could not find the requested resource'
  const text = raw.trim()
  if (text !== '' && text.length < 500 && !text.startsWith('{')) return text
  return `the server responded with status ${code}`
}

/** True when `err` is the server saying the thing does not exist. */
export function isNotFound (err: unknown): boolean {
  return err instanceof ApiError && err.code === 404
}
