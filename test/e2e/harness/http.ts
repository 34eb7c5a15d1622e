// HTTP to agents: one request per fresh connection (agents die and come back on the same
// port, so pooled sockets would go stale), and a small client for the calls e2e tests make.

import { request } from 'node:http'

export interface HttpResult {
  status: number
  body: unknown
  text: string
}

/** One HTTP request on a fresh connection (no pooling: agents die and come back on the same port). */
export async function httpRequest (url: string, opts: { method?: string, token?: string, body?: unknown, timeoutMs?: number } = {}): Promise<HttpResult> {
  const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body))
  const headers: Record<string, string> = { accept: 'application/json' }
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`
  if (payload !== undefined) {
    headers['content-type'] = 'application/json'
    headers['content-length'] = String(payload.byteLength)
  }
  return await new Promise<HttpResult>((resolveRequest, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers, agent: false, signal: AbortSignal.timeout(opts.timeoutMs ?? 5000) }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let body: unknown = text
        try { body = JSON.parse(text) } catch { /* not JSON: keep the text */ }
        resolveRequest({ status: res.statusCode ?? 0, body, text })
      })
    })
    req.on('error', reject)
    req.end(payload)
  })
}

export interface MemberStatus {
  name: string
  peerId: string
  role: 'voter' | 'learner'
  healthy: boolean
}

export interface ClusterStatus {
  leader: string | null
  term: number
  commitIndex: number
  members: MemberStatus[]
}

export interface ConfigMapItem {
  metadata: { name: string, resourceVersion: string, uid: string }
  data?: Record<string, string>
}

/** The API of one agent, bound to its current URL (which a restart may change). */
export class ApiClient {
  constructor (private readonly url: () => string, private readonly token: string) {}

  get baseUrl (): string { return this.url() }

  async request (method: string, path: string, body?: unknown, timeoutMs = 5000): Promise<HttpResult> {
    return await httpRequest(this.url() + path, { method, token: this.token, body, timeoutMs })
  }

  /** The cluster status; throws on any non-200 answer. */
  async status (timeoutMs = 3000): Promise<ClusterStatus> {
    const r = await this.request('GET', '/flotilla/v1/cluster/status', undefined, timeoutMs)
    if (r.status !== 200) throw new Error(`cluster status: HTTP ${r.status} ${r.text.slice(0, 300)}`)
    return r.body as ClusterStatus
  }

  async createConfigMap (name: string, data: Record<string, string>, timeoutMs = 5000): Promise<HttpResult> {
    return await this.request('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data }, timeoutMs)
  }

  /** ConfigMaps in `default`: linearizable by default, from this agent's own replica with `local`. */
  async listConfigMaps (opts: { local?: boolean, timeoutMs?: number } = {}): Promise<ConfigMapItem[]> {
    const r = await this.request('GET', `/api/v1/namespaces/default/configmaps${opts.local === true ? '?resourceVersion=0' : ''}`, undefined, opts.timeoutMs ?? 10_000)
    if (r.status !== 200) throw new Error(`list configmaps: HTTP ${r.status} ${r.text.slice(0, 300)}`)
    return (r.body as { items: ConfigMapItem[] }).items
  }
}
