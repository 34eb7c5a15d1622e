// A minimal HTTP/1.1 client for load generation: one keep-alive connection per client
// (an http.Agent with maxSockets 1), JSON bodies, a timeout per request. Used for both the
// Flotilla API and etcd's JSON gateway, so both pay the same client-side cost.

import { Agent, request } from 'node:http'

export interface HttpAnswer {
  readonly status: number
  readonly text: string
}

/** Thrown when a request got no complete answer within its timeout. */
export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError'
}

export class HttpClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1, scheduling: 'lifo' })
  private readonly headers: Record<string, string>

  /** `token`, if given, is sent as a bearer token. */
  constructor (token?: string) {
    this.headers = { 'content-type': 'application/json', accept: 'application/json' }
    if (token !== undefined) this.headers.authorization = `Bearer ${token}`
  }

  /**
   * One request on this client's connection (opened again if the server closed it). Rejects
   * on a network error or after `timeoutMs` (the connection is then dropped, so a late
   * answer cannot be taken for the next request's).
   */
  async send (method: string, url: URL, body: Buffer | undefined, timeoutMs: number): Promise<HttpAnswer> {
    return await new Promise<HttpAnswer>((resolve, reject) => {
      const headers = body === undefined ? this.headers : { ...this.headers, 'content-length': String(body.byteLength) }
      const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => { chunks.push(c) })
        res.once('error', (err) => { clearTimeout(timer); reject(err) })
        res.once('end', () => {
          clearTimeout(timer)
          resolve({ status: res.statusCode ?? 0, text: chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8') })
        })
      })
      const timer = setTimeout(() => {
        req.destroy(new RequestTimeoutError(`no answer within ${timeoutMs} ms from ${url.host}`))
      }, timeoutMs)
      req.once('error', (err) => { clearTimeout(timer); reject(err) })
      req.end(body)
    })
  }

  /** Close the connection. */
  close (): void {
    this.agent.destroy()
  }
}

/** A short reason for a failed request, for error counts ("HTTP 503", "ECONNREFUSED", "timeout"). */
export function failureReason (err: unknown): string {
  if (err instanceof RequestTimeoutError) return 'timeout'
  const e = err as NodeJS.ErrnoException
  return e.code ?? e.name ?? 'error'
}

/** One request on a fresh connection (for control traffic: status polls, markers); JSON in, text out. */
export async function requestOnce (method: string, url: string, opts: { token?: string, body?: unknown, timeoutMs?: number } = {}): Promise<HttpAnswer> {
  const client = new HttpClient(opts.token)
  try {
    return await client.send(method, new URL(url), opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body)), opts.timeoutMs ?? 3000)
  } finally {
    client.close()
  }
}
