// Test harness for the API server: fixture KindInfos, a server started on 127.0.0.1:0 over
// the in-memory FakeBackend, a `call` helper around fetch, and a watch-stream reader.

import { afterEach } from 'vitest'
import type { KindInfo, FieldError } from '../../../src/objects/registry.ts'
import { createApiServer, type ApiServer, type ApiServerOptions } from '../../../src/api/server.ts'
import { FakeBackend, FakeStore } from './fake-backend.ts'

export { FakeBackend, FakeStore, namedError, until } from './fake-backend.ts'

export const TOKEN = 'test-token'

function kind (partial: Partial<KindInfo> & Pick<KindInfo, 'kind' | 'plural'>): KindInfo {
  return {
    group: '',
    version: 'v1',
    singular: partial.kind.toLowerCase(),
    shortNames: [],
    namespaced: true,
    categories: [],
    subresources: [],
    defaults: () => {},
    validate: () => [],
    ...partial
  }
}

/** Pod: namespaced, status subresource, containers[].image required, restartPolicy defaulted. */
export const POD = kind({
  kind: 'Pod',
  plural: 'pods',
  shortNames: ['po'],
  categories: ['all'],
  subresources: ['status'],
  defaults: obj => {
    const spec = (obj.spec ?? {}) as Record<string, unknown>
    spec.restartPolicy ??= 'Always'
    obj.spec = spec
  },
  validate: obj => {
    const errs: FieldError[] = []
    const containers = (obj.spec as { containers?: Array<{ image?: string }> } | undefined)?.containers
    if (!Array.isArray(containers) || containers.length === 0) errs.push({ field: 'spec.containers', message: 'Required value', reason: 'FieldValueRequired' })
    else containers.forEach((c, i) => { if (typeof c.image !== 'string' || c.image === '') errs.push({ field: `spec.containers[${i}].image`, message: 'Required value' }) })
    return errs
  }
})

export const NAMESPACE = kind({ kind: 'Namespace', plural: 'namespaces', shortNames: ['ns'], namespaced: false, subresources: ['status', 'finalize'] })
export const CONFIG_MAP = kind({ kind: 'ConfigMap', plural: 'configmaps', shortNames: ['cm'] })
export const DEPLOYMENT = kind({ group: 'apps', kind: 'Deployment', plural: 'deployments', shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'] })
export const KINDS: readonly KindInfo[] = [POD, NAMESPACE, CONFIG_MAP, DEPLOYMENT]

export interface Harness {
  api: ApiServer
  backend: FakeBackend
  store: FakeStore
  base: string
  /** fetch with the bearer token and a JSON body (unless `body` is a string). */
  call: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number, body: any, headers: Headers }>
}

const running: ApiServer[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map(async s => await s.stop()))
})

export async function startApi (options: Partial<ApiServerOptions> = {}): Promise<Harness> {
  const backend = new FakeBackend(new FakeStore(KINDS))
  const api = createApiServer({ backend, kinds: KINDS, token: TOKEN, host: '127.0.0.1', port: 0, ...options })
  running.push(api)
  const { port } = await api.start()
  const base = `http://127.0.0.1:${port}`
  const call: Harness['call'] = async (method, path, body, headers = {}) => {
    const init: RequestInit = { method, headers: { Authorization: `Bearer ${TOKEN}`, ...headers } }
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body)
      if (typeof body !== 'string') (init.headers as Record<string, string>)['Content-Type'] ??= 'application/json'
    }
    const res = await fetch(base + path, init)
    const text = await res.text()
    let parsed: unknown = text
    try { parsed = JSON.parse(text) } catch {}
    return { status: res.status, body: parsed, headers: res.headers }
  }
  return { api, backend, store: backend.store, base, call }
}

export function pod (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'nginx' }] }, ...extra }
}

/** Reads newline-delimited JSON events from a streaming response until `count` arrived or the deadline passes. */
export async function readEvents (res: Response, count: number, deadlineMs = 5000): Promise<any[]> {
  const reader = res.body?.getReader()
  if (reader === undefined) throw new Error('no body')
  const events: any[] = []
  const decoder = new TextDecoder()
  let buf = ''
  const deadline = Date.now() + deadlineMs
  while (events.length < count) {
    const left = deadline - Date.now()
    if (left <= 0) throw new Error(`only ${events.length} of ${count} watch events before the deadline: ${JSON.stringify(events)}`)
    let timer: NodeJS.Timeout | undefined
    const chunk = await Promise.race([
      reader.read(),
      new Promise<'timeout'>(resolve => { timer = setTimeout(() => resolve('timeout'), left) })
    ])
    clearTimeout(timer)
    if (chunk === 'timeout') continue
    if (chunk.done) break
    buf += decoder.decode(chunk.value, { stream: true })
    let nl: number
    while ((nl = buf.indexOf('\n')) >= 0) {
      events.push(JSON.parse(buf.slice(0, nl)))
      buf = buf.slice(nl + 1)
    }
  }
  reader.releaseLock()
  return events
}
