// A Kubernetes watch of pods over HTTP for benchmarks: one chunked stream of newline-delimited
// JSON events, parsed as they arrive, noting when each pod was first seen bound
// (spec.nodeName) and first seen PodScheduled=True. Waiters resolve when a count is reached.

import { request, type ClientRequest } from 'node:http'

interface PodEvent {
  type: string
  object?: {
    metadata?: { name?: string }
    spec?: { nodeName?: string }
    status?: { conditions?: Array<{ type?: string, status?: string }> }
  }
}

export class PodWatch {
  /** Pod name → performance.now() when first seen bound. */
  readonly boundAt = new Map<string, number>()
  /** Pod name → performance.now() when first seen with PodScheduled=True. */
  readonly scheduledAt = new Map<string, number>()
  /** Pods per node. */
  readonly perNode = new Map<string, number>()
  private req: ClientRequest | undefined
  private waiters: Array<() => void> = []
  private failure: Error | undefined

  private constructor () {}

  /** Watch the pods of `namespace` through the agent at `apiUrl` from `resourceVersion` on. */
  static async open (apiUrl: string, token: string, namespace: string, resourceVersion: string): Promise<PodWatch> {
    const w = new PodWatch()
    const url = new URL(`${apiUrl}/api/v1/namespaces/${namespace}/pods?watch=1&resourceVersion=${resourceVersion}`)
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, headers: { authorization: `Bearer ${token}` } }, (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`watch of pods in ${namespace}: HTTP ${res.statusCode ?? 0}`))
          res.resume()
          return
        }
        let buffered = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          buffered += chunk
          let nl = buffered.indexOf('\n')
          while (nl >= 0) {
            w.onLine(buffered.slice(0, nl))
            buffered = buffered.slice(nl + 1)
            nl = buffered.indexOf('\n')
          }
        })
        res.once('end', () => { w.fail(new Error('the pod watch ended')) })
        res.once('error', (err) => { w.fail(err) })
        resolve()
      })
      req.once('error', (err) => { reject(err); w.fail(err) })
      req.end()
      w.req = req
    })
    return w
  }

  /** Resolves once `n` pods were seen bound (or PodScheduled=True with `scheduled`); rejects if the watch breaks or `timeoutMs` passes. */
  async waitFor (n: number, timeoutMs: number, scheduled = false): Promise<void> {
    const reached = (): boolean => (scheduled ? this.scheduledAt : this.boundAt).size >= n
    const deadline = performance.now() + timeoutMs
    while (!reached()) {
      if (this.failure !== undefined) throw this.failure
      const left = deadline - performance.now()
      if (left <= 0) throw new Error(`only ${(scheduled ? this.scheduledAt : this.boundAt).size} of ${n} pods ${scheduled ? 'PodScheduled=True' : 'bound'} within ${timeoutMs} ms`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000))
        this.waiters.push(() => { clearTimeout(t); resolve() })
      })
    }
  }

  close (): void {
    this.req?.destroy()
  }

  private onLine (line: string): void {
    if (line.trim() === '') return
    const e = JSON.parse(line) as PodEvent
    const name = e.object?.metadata?.name
    if (e.type === 'ERROR' || name === undefined) {
      this.fail(new Error(`pod watch error event: ${line.slice(0, 300)}`))
      return
    }
    const now = performance.now()
    const node = e.object?.spec?.nodeName
    if (node !== undefined && node !== '' && !this.boundAt.has(name)) {
      this.boundAt.set(name, now)
      this.perNode.set(node, (this.perNode.get(node) ?? 0) + 1)
    }
    if (!this.scheduledAt.has(name) && e.object?.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'True') === true) {
      this.scheduledAt.set(name, now)
    }
    this.wake()
  }

  private fail (err: Error): void {
    this.failure ??= err
    this.wake()
  }

  private wake (): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }
}
