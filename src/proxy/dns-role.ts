// Cluster DNS duty (a node role: every agent). It serves the cluster's names (dns-resolver.ts)
// over UDP and TCP at the kube-system/kube-dns Service's cluster IP, port 53 — the nameserver
// pods are given — answering from the local replica, and forwards other names to the
// machine's own resolvers (/etc/resolv.conf). Like the proxy's cluster IPs, the address is
// local through the Service range's route, and agents sharing a machine share it: the first
// to bind serves, the others try again every few seconds and take over when it stops. Off
// where cluster IPs are (simulated nodes), or while the cluster has no DNS Service yet.

import type { Role, RoleContext } from '../agent/roles.ts'
import { inform } from '../controllers/informer.ts'
import { KUBE_DNS } from '../store/bootstrap.ts'
import { clusterDns, configuredServiceCidr } from '../store/cluster-config.ts'
import { CLUSTER_CONFIG } from '../store/service-allocation.ts'
import type { ObjectReader } from '../store/types.ts'
import { ensureClusterIPRoute } from './cluster-ip-route.ts'
import { ClusterDnsResolver } from './dns-resolver.ts'
import { DnsServer } from './dns-server.ts'
import { readResolvConfUpstreams } from './resolv-conf.ts'
import type { EndpointsLike, ServiceDirectory, ServiceLike } from './service-directory.ts'

export interface ClusterDnsOptions {
  /** Serve at all. Default: with the Docker runtime only (as the proxy's cluster IPs). */
  readonly enabled?: boolean
  /** Port to serve on. Default 53 (tests use 0). */
  readonly port?: number
  /** How often a server that could not bind is tried again. Default 2000 ms. */
  readonly retryMs?: number
  /** Make the Service range local to this machine (default: ensureClusterIPRoute). */
  readonly routeRange?: (cidr: string) => Promise<void>
  /** Where names outside the cluster go: `host:port` strings. Default: /etc/resolv.conf's nameservers. */
  readonly upstreams?: readonly string[]
}

/** The replica as the resolver reads it, on every query. */
export function replicaDirectory (reader: ObjectReader): ServiceDirectory {
  return {
    service: (namespace, name) => reader.get({ group: '', kind: 'Service', namespace, name }) as ServiceLike | undefined,
    endpoints: (namespace, name) => reader.get({ group: '', kind: 'Endpoints', namespace, name }) as EndpointsLike | undefined,
    namespaceExists: (namespace) => reader.get({ group: '', kind: 'Namespace', namespace: '', name: namespace }) !== undefined
  }
}

export class ClusterDnsRole implements Role {
  readonly name = 'cluster-dns'
  private server: DnsServer | undefined
  private serving = ''
  private stops: Array<() => void> = []
  private timer: ReturnType<typeof setInterval> | undefined
  private chain: Promise<void> = Promise.resolve()
  private lastError = ''
  private running = false

  constructor (private readonly ctx: RoleContext, private readonly opts: ClusterDnsOptions = {}) {}

  start (): void {
    if (this.running || !(this.opts.enabled ?? this.ctx.runtime === 'docker')) return
    this.running = true
    const reader = this.ctx.backend.reader
    const onChange = (): void => { this.sync() }
    this.stops.push(inform(reader, { group: '', kind: 'Service' }, onChange, { namespace: KUBE_DNS.namespace, fieldSelector: `metadata.name=${KUBE_DNS.name}` }))
    this.stops.push(inform(reader, { group: '', kind: 'ConfigMap' }, onChange, { namespace: CLUSTER_CONFIG.namespace, fieldSelector: `metadata.name=${CLUSTER_CONFIG.name}` }))
    this.timer = setInterval(() => { if (this.server === undefined) this.sync() }, this.opts.retryMs ?? 2000)
    this.timer.unref()
    this.sync()
  }

  async stop (): Promise<void> {
    this.running = false
    for (const stop of this.stops.splice(0)) stop()
    if (this.timer !== undefined) clearInterval(this.timer)
    await this.chain
    await this.server?.stop()
    this.server = undefined
    this.serving = ''
  }

  /** The address:port served, or '' (tests, status). */
  get address (): string { return this.server === undefined ? '' : `${this.serving}:${this.server.port}` }

  /** Resolves once the changes seen so far are applied (tests). */
  async settled (): Promise<void> { await this.chain }

  private sync (): void {
    this.chain = this.chain.then(async () => { await this.reconcile() }).catch((err: unknown) => {
      this.note(`cluster DNS: ${(err as Error).message}`)
    })
  }

  private note (line: string): void {
    if (line !== this.lastError) this.ctx.log(line)
    this.lastError = line
  }

  private async reconcile (): Promise<void> {
    if (!this.running) return
    const reader = this.ctx.backend.reader
    const dns = clusterDns(reader)
    const want = dns?.server ?? ''
    if (this.server !== undefined && this.serving === want) return
    if (this.server !== undefined) {
      await this.server.stop()
      this.server = undefined
      this.serving = ''
    }
    const cidr = configuredServiceCidr(reader)
    if (dns === undefined || cidr === undefined) return
    await (this.opts.routeRange ?? ensureClusterIPRoute)(cidr)
    const own = { host: dns.server, port: this.opts.port ?? 53 }
    const upstreams = this.opts.upstreams !== undefined ? [...this.opts.upstreams] : (await readResolvConfUpstreams([own])).map((u) => `${u.host}:${u.port}`)
    const resolver = new ClusterDnsResolver({ directory: replicaDirectory(reader), domain: dns.domain })
    const server = new DnsServer({ resolver, host: own.host, port: own.port, upstreams, log: (line) => { this.ctx.log(`cluster DNS: ${line}`) } })
    try {
      await server.start()
    } catch (err) {
      // Another agent on this machine serves it (EADDRINUSE): try again later, quietly.
      const code = (err as NodeJS.ErrnoException).code
      const hint = code === 'EACCES' ? ' (port 53 needs root or CAP_NET_BIND_SERVICE: pods cannot resolve Service names through this node)' : ''
      if (code !== 'EADDRINUSE') this.note(`cluster DNS: cannot serve on ${own.host}:${own.port}: ${(err as Error).message}${hint}; retrying`)
      return
    }
    if (!this.running) { await server.stop(); return }
    this.server = server
    this.serving = dns.server
    this.lastError = ''
  }
}

export function clusterDnsRole (ctx: RoleContext, opts: ClusterDnsOptions = {}): ClusterDnsRole {
  return new ClusterDnsRole(ctx, opts)
}
