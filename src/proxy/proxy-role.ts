// Proxy duty (a node role: every agent, for its whole life). It follows Services and Endpoints
// in the local replica and keeps one listener per frontend (service-table.ts): at each
// Service's cluster IP (reachable from pods and from this machine through the range's local
// route) and at this node's address on each node port. Changes are applied in one pass on the
// next turn of the event loop, however many events arrived.
//
// Agents sharing a machine share the cluster IPs: the first to bind one serves it for all of
// them (every agent knows every endpoint); the others retry every second and take over
// when it stops. A node port taken by another program is logged once and retried likewise.
// UDP Service ports get a UDP listener (udp-frontend.ts: a session per client address). The
// cluster DNS Service is left to the agent's DNS role, which serves it itself.

import type { Role, RoleContext } from '../agent/roles.ts'
import { inform } from '../controllers/informer.ts'
import { KUBE_DNS } from '../store/bootstrap.ts'
import { configuredServiceCidr } from '../store/cluster-config.ts'
import { CLUSTER_CONFIG } from '../store/service-allocation.ts'
import type { KObject } from '../store/types.ts'
import { ensureClusterIPRoute } from './cluster-ip-route.ts'
import { serviceFrontends, type Frontend } from './service-table.ts'
import { TcpFrontend } from './tcp-frontend.ts'
import { UdpFrontend } from './udp-frontend.ts'

export interface ProxyOptions {
  /**
   * Serve cluster IPs (needs root and iproute2 for the range's route). Default: with the
   * Docker runtime only — simulated nodes have no pods to reach them.
   */
  readonly clusterIPs?: boolean
  /** How often listeners that could not bind are tried again. Default 1000 ms. */
  readonly retryMs?: number
  /** Make the Service range local to this machine (default: ensureClusterIPRoute). */
  readonly routeRange?: (cidr: string) => Promise<void>
}

/** What the role needs of a TCP or UDP listener. */
interface ProxyListener {
  listen: () => Promise<void>
  update: (backends: Frontend['backends'], affinitySeconds?: number) => void
  close: () => Promise<void>
}

interface Listener { frontend: ProxyListener, spec: Frontend }

const isKubeDns = (svc: KObject): boolean => svc.metadata.namespace === KUBE_DNS.namespace && svc.metadata.name === KUBE_DNS.name

export class ServiceProxy implements Role {
  readonly name = 'proxy'
  private readonly listeners = new Map<string, Listener>()
  /** Frontends wanted but not bound (address in use, route missing), by key, with the last error. */
  private readonly waiting = new Map<string, string>()
  private stops: Array<() => void> = []
  private scheduled = false
  private syncing: Promise<void> = Promise.resolve()
  private retryTimer: ReturnType<typeof setInterval> | undefined
  private routed = ''
  private routeError = ''
  private running = false

  constructor (private readonly ctx: RoleContext, private readonly opts: ProxyOptions = {}) {}

  start (): void {
    if (this.running) return
    this.running = true
    const reader = this.ctx.backend.reader
    const onChange = (): void => { this.schedule() }
    this.stops.push(inform(reader, { group: '', kind: 'Service' }, onChange))
    this.stops.push(inform(reader, { group: '', kind: 'Endpoints' }, onChange))
    this.stops.push(inform(reader, { group: '', kind: 'ConfigMap' }, onChange, { namespace: CLUSTER_CONFIG.namespace }))
    this.retryTimer = setInterval(() => { if (this.waiting.size > 0) this.schedule() }, this.opts.retryMs ?? 1000)
    this.retryTimer.unref()
    this.schedule()
  }

  async stop (): Promise<void> {
    this.running = false
    for (const stop of this.stops.splice(0)) stop()
    if (this.retryTimer !== undefined) clearInterval(this.retryTimer)
    await this.syncing
    await Promise.all([...this.listeners.values()].map(async (l) => { await l.frontend.close() }))
    this.listeners.clear()
    this.waiting.clear()
  }

  /** Frontends being served, by key (tests, status). */
  serving (): Frontend[] { return [...this.listeners.values()].map((l) => l.spec) }

  /** Frontends that could not be bound yet, with why. */
  unbound (): Map<string, string> { return new Map(this.waiting) }

  /** Resolves once the changes seen so far are applied (tests). */
  async settled (): Promise<void> {
    while (this.scheduled) await new Promise((resolve) => setImmediate(resolve))
    await this.syncing
  }

  private get clusterIPs (): boolean { return this.opts.clusterIPs ?? this.ctx.runtime === 'docker' }

  private schedule (): void {
    if (this.scheduled || !this.running) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.syncing = this.syncing.then(async () => { await this.sync() }).catch((err: unknown) => {
        this.ctx.log(`proxy: ${(err as Error).message}`)
      })
    })
  }

  private async route (): Promise<boolean> {
    const cidr = configuredServiceCidr(this.ctx.backend.reader)
    if (cidr === undefined) return false
    if (this.routed === cidr) return true
    try {
      await (this.opts.routeRange ?? ensureClusterIPRoute)(cidr)
      this.routed = cidr
      this.routeError = ''
      return true
    } catch (err) {
      const message = (err as Error).message
      if (message !== this.routeError) this.ctx.log(`proxy: ${message}`)
      this.routeError = message
      return false
    }
  }

  private async sync (): Promise<void> {
    if (!this.running) return
    const reader = this.ctx.backend.reader
    const services = reader.list('', 'Service', undefined).items
    const endpointsOf = (namespace: string, name: string): KObject | undefined => reader.get({ group: '', kind: 'Endpoints', namespace, name })
    const withClusterIPs = this.clusterIPs && await this.route()
    const wanted = serviceFrontends(services, endpointsOf, this.ctx.nodeIp, isKubeDns)
      .filter((f) => f.kind === 'nodePort' || withClusterIPs)
    const keys = new Set(wanted.map((f) => f.key))
    for (const [key, l] of this.listeners) {
      if (keys.has(key)) continue
      this.listeners.delete(key)
      await l.frontend.close()
    }
    for (const key of this.waiting.keys()) if (!keys.has(key)) this.waiting.delete(key)
    for (const f of wanted) {
      if (!this.running) return
      const held = this.listeners.get(f.key)
      if (held !== undefined) {
        held.spec = f
        held.frontend.update(f.backends, f.affinitySeconds)
        continue
      }
      await this.bind(f)
    }
  }

  private async bind (f: Frontend): Promise<void> {
    const options = { address: f.address, port: f.port, log: (line: string) => { this.ctx.log(line) } }
    const frontend: ProxyListener = f.protocol === 'UDP' ? new UdpFrontend(options) : new TcpFrontend(options)
    frontend.update(f.backends, f.affinitySeconds)
    try {
      await frontend.listen()
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message
      const why = code === 'EADDRINUSE'
        ? (f.kind === 'clusterIP' ? 'served by another agent on this machine' : 'in use on this machine (by another program, or by another agent with the same --node-ip: give each agent its own)')
        : code === 'EADDRNOTAVAIL' ? `the address ${f.address} is not on this machine` : code
      if (this.waiting.get(f.key) !== why && !(f.kind === 'clusterIP' && code === 'EADDRINUSE')) {
        this.ctx.log(`proxy: cannot listen on ${f.key} for Service ${f.service}: ${why}; retrying every ${Math.round((this.opts.retryMs ?? 1000) / 1000)} s`)
      }
      this.waiting.set(f.key, why)
      return
    }
    this.waiting.delete(f.key)
    this.listeners.set(f.key, { frontend, spec: f })
  }
}

export function proxyRole (ctx: RoleContext, opts: ProxyOptions = {}): ServiceProxy {
  return new ServiceProxy(ctx, opts)
}
