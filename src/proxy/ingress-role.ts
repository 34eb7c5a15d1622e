// Ingress duty (a node role): when the agent was given --ingress-port, it serves HTTP on this
// node's address (ctx.nodeIp) at that port, routing every request by the Ingresses of the
// 'flotilla' class in the local replica (ingress-routes.ts) to the ready endpoints of their
// Services (ingress-server.ts). Off by default: without the flag the role does nothing, so an
// agent opens no port it was not asked to.
//
// The routing table is rebuilt from the Ingresses only when one changed (the informer marks
// it stale; the next request rebuilds it). Services and Endpoints are read from the replica at
// each request — two map lookups — so endpoints that come and go are seen at once without a
// table of their own. A port taken by another program is logged once and retried every few
// seconds until it frees up.
//
// While serving, it also keeps status.loadBalancer.ingress of those Ingresses listing the
// node IPs of the Ready nodes that serve (ingress-status.ts): its own address in, addresses of
// nodes that are not Ready out. If every serving agent stops, the last list stays.

import type { Role, RoleContext } from '../agent/roles.ts'
import { inform } from '../controllers/informer.ts'
import type { KObject } from '../store/types.ts'
import { IngressRoutes, resolveBackend, servedByFlotilla } from './ingress-routes.ts'
import { IngressServer, type IngressTarget } from './ingress-server.ts'
import { readyNodeIps, wantedIps, withLoadBalancerIps } from './ingress-status.ts'

export interface IngressRoleOptions {
  /** The port to serve on; 0 picks a free one. Default: ctx.ingressPort; undefined leaves the role off. */
  readonly port?: number
  /** How often a port that could not be bound is tried again. Default 2000 ms. */
  readonly retryMs?: number
  /** Give up on an endpoint that has not accepted after this long. Default 1000 ms. */
  readonly connectTimeoutMs?: number
}

const INGRESS = { group: 'networking.k8s.io', kind: 'Ingress' } as const

export class IngressRole implements Role {
  readonly name = 'ingress'
  private server: IngressServer | undefined
  private routes: IngressRoutes | undefined
  private stops: Array<() => void> = []
  private statusScheduled = false
  private statusSync: Promise<void> = Promise.resolve()
  private lastStatusError = ''
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private lastError = ''
  private running = false
  /** Times binding the port was tried (tests, diagnostics). */
  attempts = 0

  constructor (private readonly ctx: RoleContext, private readonly opts: IngressRoleOptions = {}) {}

  /** The port asked for, or undefined when ingress is off on this agent. */
  get wantedPort (): number | undefined { return this.opts.port ?? this.ctx.ingressPort }

  /** The port being served, or undefined while not listening. */
  get port (): number | undefined { return this.server?.port }

  async start (): Promise<void> {
    const port = this.wantedPort
    if (this.running || port === undefined) return
    this.running = true
    this.routes = undefined
    const reader = this.ctx.backend.reader
    this.stops.push(inform(reader, INGRESS, () => {
      this.routes = undefined
      this.scheduleStatus()
    }))
    this.stops.push(inform(reader, { group: '', kind: 'Node' }, () => { this.scheduleStatus() }))
    await this.bind(port)
  }

  async stop (): Promise<void> {
    this.running = false
    for (const stop of this.stops.splice(0)) stop()
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer)
    this.retryTimer = undefined
    const server = this.server
    this.server = undefined
    await server?.close()
    await this.statusSync
  }

  /** Resolves once the status writes due so far are done (tests). */
  async settled (): Promise<void> {
    while (this.statusScheduled) await new Promise((resolve) => setImmediate(resolve))
    await this.statusSync
  }

  /** Where a request for this Host and target goes now (the server's lookup). */
  target (host: string | undefined, target: string): IngressTarget {
    const reader = this.ctx.backend.reader
    this.routes ??= new IngressRoutes(reader.list(INGRESS.group, INGRESS.kind, undefined).items)
    const route = this.routes.match(host, target)
    if (route === undefined) return { kind: 'none' }
    const get = (kind: string) => (namespace: string, name: string): KObject | undefined => reader.get({ group: '', kind, namespace, name })
    const r = resolveBackend(route.backend, get('Service'), get('Endpoints'))
    return r.backends.length > 0
      ? { kind: 'backends', service: r.service, backends: r.backends }
      : { kind: 'unavailable', service: r.service, why: r.why ?? 'no ready endpoints' }
  }

  private async bind (port: number): Promise<void> {
    if (!this.running) return
    this.attempts++
    const server = new IngressServer({
      address: this.ctx.nodeIp,
      port,
      lookup: (host, target) => this.target(host, target),
      ...(this.opts.connectTimeoutMs !== undefined ? { connectTimeoutMs: this.opts.connectTimeoutMs } : {}),
      log: (line) => { this.ctx.log(line) }
    })
    try {
      await server.listen()
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message
      const why = code === 'EADDRINUSE'
        ? 'in use on this machine (by another program, or another agent with the same --node-ip and --ingress-port)'
        : code === 'EADDRNOTAVAIL' ? `the address ${this.ctx.nodeIp} is not on this machine` : code
      const retryMs = this.opts.retryMs ?? 2000
      if (why !== this.lastError) this.ctx.log(`ingress: cannot listen on ${this.ctx.nodeIp}:${port}: ${why}; retrying every ${retryMs < 1000 ? `${retryMs} ms` : `${Math.round(retryMs / 1000)} s`}`)
      this.lastError = why
      this.retryTimer = setTimeout(() => { void this.bind(port) }, retryMs)
      this.retryTimer.unref()
      return
    }
    if (!this.running) {
      await server.close()
      return
    }
    this.lastError = ''
    this.server = server
    this.ctx.log(`ingress: serving HTTP on ${this.ctx.nodeIp}:${server.port}`)
    this.scheduleStatus()
  }

  /** Status writes run one pass at a time, on the next turn after a change (informer callbacks only take note). */
  private scheduleStatus (): void {
    if (this.statusScheduled || !this.running) return
    this.statusScheduled = true
    setImmediate(() => {
      this.statusScheduled = false
      this.statusSync = this.statusSync.then(async () => { await this.syncStatus() })
    })
  }

  private async syncStatus (): Promise<void> {
    if (!this.running || this.server === undefined) return
    const reader = this.ctx.backend.reader
    const ready = readyNodeIps(reader.list('', 'Node', undefined).items)
    for (const ing of reader.list(INGRESS.group, INGRESS.kind, undefined).items) {
      if (!this.running) return
      if (!servedByFlotilla(ing) || ing.metadata.deletionTimestamp !== undefined) continue
      const updated = withLoadBalancerIps(ing, wantedIps(ing, ready, this.ctx.nodeName, this.ctx.nodeIp))
      if (updated === undefined) continue
      try {
        const r = await this.ctx.backend.write({ op: 'update', subresource: 'status', object: updated })
        // A conflict means another agent wrote first: its write is an event, and the next pass settles.
        if (!r.ok && 'error' in r && r.error.code !== 409 && r.error.code !== 404) this.statusError(`${r.error.message}`)
      } catch (err) {
        // No quorum or no leader just now: try the whole pass again later.
        this.statusError((err as Error).message)
        setTimeout(() => { this.scheduleStatus() }, this.opts.retryMs ?? 2000).unref()
        return
      }
    }
  }

  private statusError (message: string): void {
    if (message !== this.lastStatusError) this.ctx.log(`ingress: cannot write Ingress status: ${message}`)
    this.lastStatusError = message
  }
}

export function ingressRole (ctx: RoleContext, opts: IngressRoleOptions = {}): IngressRole {
  return new IngressRole(ctx, opts)
}
