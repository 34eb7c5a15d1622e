// The composition root: one agent = a libp2p host, a Raft node over a level log, the
// replicated ObjectStore, the Kubernetes API, and the cluster rpc. Leader-only duties start
// and stop with leadership. The only place that builds concrete Raft, libp2p and LevelDB
// objects.
//
// Start-up cases:
//   empty data dir, no --join   create a cluster: secrets, a one-voter Raft log, namespaces
//   empty data dir, --join      ask a member to join, then learn the log from the leader
//   data dir with state         rejoin as itself (same PeerId, same log), whatever --join says

import { hostname } from 'node:os'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createHost, loadOrCreateIdentity, MessageChannel, Rpc, Tunnels, type Host } from '../../net/index.ts'
import { LogLockedError } from '../../raft/errors.ts'
import { LevelLogStore } from '../../raft/level-log-store.ts'
import { RaftNode } from '../../raft/node.ts'
import { createApiServer, type ApiServer } from '../api/index.ts'
import { writeKubeconfig } from '../cli/kubeconfig.ts'
import { KINDS } from '../objects/kinds.ts'
import { bootstrapCommands, defaultServiceCidr, KUBE_DNS } from '../store/bootstrap.ts'
import { configuredServiceCidr } from '../store/cluster-config.ts'
import { ObjectStore } from '../store/object-store.ts'
import { AddressBook } from './address-book.ts'
import { AgentBackend } from './api-backend.ts'
import { dataPaths, decodeJoinToken, encodeJoinToken, newClusterSecrets, readClusterSecrets, writeClusterSecrets, type ClusterSecrets } from './cluster-files.ts'
import { ClusterService, JOIN_METHOD, PEERS_METHOD, proposeByRpc, tokenDigest, type ClusterStatus, type JoinAnswer } from './cluster-service.ts'
import { MembershipManager } from './membership-manager.ts'
import { leaderRoles, nodeRoles } from './role-registry.ts'
import { podIoRelay } from './pod-io-relay.ts'
import { LeaderDuties, startRoles, stopRoles, type Role, type RoleContext } from './roles.ts'
import { realClock } from '../controllers/clock.ts'
import type { NodeLifecycleOptions } from '../controllers/node-lifecycle.ts'
import { upsertNode, type NodeIdentity } from './node-object.ts'
import { Libp2pRaftTransport } from './raft-transport.ts'
import { apiServingTls, servingIdentity } from './tls/serving-cert.ts'

/**
 * Entry data after which a snapshot is taken even if it is small next to the state: with
 * 100k objects the default ratio alone let ~15 MB of entries (~25 MiB of memory) wait.
 */
const SNAPSHOT_LOG_BYTES = 4 * 2 ** 20

export interface AgentOptions {
  dataDir: string
  /** Agent and Node name. Default: the hostname. */
  name?: string
  /** Address the API and p2p listeners bind to, and the node's InternalIP. Default 127.0.0.1. */
  host?: string
  /** API port; 0 picks a free one. Default 6443. */
  apiPort?: number
  /** p2p port; 0 picks a free one. Default 7946. */
  p2pPort?: number
  /** host:port (or multiaddr) of any member, to join its cluster. */
  join?: string
  /** The join token (required with --join on an empty data dir). */
  token?: string
  mdns?: boolean
  /** Raft timing. Defaults: 25 ms ticks, election after 10–20 ticks, heartbeat every 2. */
  tickMs?: number
  electionTick?: number
  heartbeatTick?: number
  /** A voter silent this long is replaced by a caught-up learner. Default 3000 ms. */
  voterGraceMs?: number
  /** Node lifecycle timings (leader only): grace period of a silent node, pod eviction timeout. */
  nodeLifecycle?: NodeLifecycleOptions
  /** Container runtime of this node's kubelet. Default: docker. */
  runtime?: 'docker' | 'fake'
  /**
   * The IPv4 range Services' cluster IPs come from, fixed when the cluster is created (by its
   * first leader); ignored afterwards. Default: a /20 of 10.96.0.0/12 picked by the cluster id.
   */
  serviceCidr?: string
  /** Serve Ingresses over HTTP on the node address at this port (0: any free port). Default: off. */
  ingressPort?: number
  log?: (line: string) => void
}

/** Another agent holds the data dir. */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError'
}

/** The agent cannot start as configured (missing token, join refused, …). */
export class AgentConfigError extends Error {
  override readonly name = 'AgentConfigError'
}

export class Agent {
  readonly name: string
  private readonly log: (line: string) => void
  private host!: Host
  private channel!: MessageChannel
  private rpc!: Rpc
  private tunnels!: Tunnels
  private transport!: Libp2pRaftTransport
  private logStore!: LevelLogStore
  private store!: ObjectStore
  private raft!: RaftNode
  private backend!: AgentBackend
  private api: ApiServer | undefined
  private service!: ClusterService
  private book!: AddressBook
  private membership!: MembershipManager
  private secrets!: ClusterSecrets
  private leaderDuties: LeaderDuties | undefined
  private localRoles: Role[] = []
  private stopped = false
  /** Set once the agent created a new cluster in this start. */
  created = false

  constructor (private readonly opts: AgentOptions) {
    this.name = opts.name ?? hostname()
    this.log = opts.log ?? ((line) => { process.stderr.write(`[agent ${this.name}] ${line}\n`) })
  }

  get peerId (): string { return this.host.peerId }
  get apiUrl (): string { return `http://${this.opts.host ?? '127.0.0.1'}:${this.api?.port ?? this.opts.apiPort ?? 6443}` }
  get p2pAddresses (): string[] { return this.host.listenAddresses }
  get joinToken (): string { return encodeJoinToken(this.secrets) }
  get kubeconfigPath (): string { return dataPaths(this.opts.dataDir).kubeconfig }
  get raftNode (): RaftNode { return this.raft }
  get objects (): ObjectStore { return this.store }

  async start (): Promise<void> {
    const dir = this.opts.dataDir
    const paths = dataPaths(dir)
    await mkdir(dir, { recursive: true, mode: 0o700 })
    // Take the data dir first: a second agent on it stops here with a clear message.
    this.store = await openLocked(async () => await ObjectStore.open({ dir: paths.state }), dir)
    this.logStore = new LevelLogStore(paths.raft)
    const persisted = await openLocked(async () => await this.logStore.load(), dir)
    const hasState = persisted.entries.length > 0 || persisted.snapshot !== null || persisted.hardState.term > 0

    const existing = await readClusterSecrets(dir)
    const joining = !hasState && this.opts.join !== undefined
    if (existing !== null) {
      this.secrets = existing
      if (this.opts.token !== undefined && decodeJoinToken(this.opts.token).clusterId !== existing.clusterId) {
        throw new AgentConfigError(`The data dir ${dir} belongs to cluster ${existing.clusterId}, not to the one of --token: use another --data-dir to join that cluster`)
      }
    } else if (joining) {
      if (this.opts.token === undefined) throw new AgentConfigError('--join needs --token: copy it from DIR/join-token of a running agent')
      this.secrets = decodeJoinToken(this.opts.token)
    } else if (hasState) {
      throw new AgentConfigError(`${paths.clusterFile} is missing while ${dir} holds a Raft log: restore it, or remove the data dir and join again`)
    } else {
      this.secrets = newClusterSecrets()
      this.created = true
    }

    const privateKey = await loadOrCreateIdentity(paths.identity)
    // Port 0 means "any free port" the first time; a restart keeps the port it got, so the
    // addresses the cluster knows for this agent stay right.
    const saved = await readPorts(dir)
    const p2pPort = this.opts.p2pPort === 0 ? (saved.p2p ?? 0) : (this.opts.p2pPort ?? 7946)
    const apiPort = this.opts.apiPort === 0 ? (saved.api ?? 0) : (this.opts.apiPort ?? 6443)
    const hostOn = async (port: number): Promise<Host> => await createHost({
      clusterKey: this.secrets.clusterKey,
      privateKey,
      host: this.opts.host ?? '127.0.0.1',
      port,
      mdns: this.opts.mdns ?? false,
      log: (line) => { this.log(line) }
    })
    // With --p2p-port 0, a saved port that another program took meanwhile is given up for a free one.
    this.host = await (this.opts.p2pPort === 0 && p2pPort !== 0
      ? hostOn(p2pPort).catch(async (err: unknown) => { if (!inUse(err)) throw err; return await hostOn(0) })
      : hostOn(p2pPort))
    this.channel = new MessageChannel({ host: this.host }, { log: (line) => { this.log(line) } })
    this.rpc = new Rpc({ host: this.host }, { log: (line) => { this.log(line) } })
    await this.channel.start()
    await this.rpc.start()
    this.tunnels = new Tunnels({ host: this.host }, { log: (line) => { this.log(line) } })
    await this.tunnels.start()
    this.transport = new Libp2pRaftTransport(this.channel)

    let joinAnswer: JoinAnswer | null = null
    const identity = (): NodeIdentity => ({
      name: this.name,
      peerId: this.host.peerId,
      p2pAddresses: this.host.listenAddresses,
      apiAddress: this.api === undefined ? '' : this.apiUrl,
      nodeIp: this.opts.host ?? '127.0.0.1'
    })
    if (joining) {
      // The API port is not bound yet: join with a provisional address, corrected at registration below.
      joinAnswer = await this.joinCluster(this.opts.join as string, identity())
      await writeClusterSecrets(dir, this.secrets)
    } else if (this.created) {
      await writeClusterSecrets(dir, this.secrets)
    }

    this.raft = new RaftNode({
      id: this.host.peerId,
      store: this.logStore,
      transport: this.transport,
      stateMachine: this.store,
      tickMs: this.opts.tickMs ?? 25,
      electionTick: this.opts.electionTick ?? 10,
      heartbeatTick: this.opts.heartbeatTick ?? 2,
      // A leader running older code drops forwards sent on the Raft stream: they go by rpc then.
      forwardFallback: proposeByRpc(this.rpc),
      // The log since the last snapshot is held in memory: bound it (agent memory target).
      snapshotLogBytes: SNAPSHOT_LOG_BYTES,
      ...(this.created ? { bootstrap: [this.host.peerId] } : {})
    })
    this.raft.on('error', (err) => { this.log(`raft: ${err.message}`) })
    this.backend = new AgentBackend({ raft: this.raft, reader: this.store })
    this.book = new AddressBook(this.host, this.store, () => this.members(),
      async (peer, ids) => await this.rpc.call(peer, PEERS_METHOD, { peers: ids }, { signal: AbortSignal.timeout(2000) }) as Record<string, string[]>)
    for (const m of joinAnswer?.members ?? []) this.book.add(m.peerId, m.addresses)
    this.membership = new MembershipManager(this.raft, (p) => this.transport.silenceOf(p), (p) => this.book.nameOf(p) ?? p, {
      graceMs: this.opts.voterGraceMs ?? 3000,
      log: (line) => { this.log(line) }
    })
    this.service = new ClusterService({
      rpc: this.rpc,
      raft: this.raft,
      backend: this.backend,
      reader: this.store,
      apiToken: this.secrets.apiToken,
      clusterId: this.secrets.clusterId,
      healthy: (p) => this.membership.healthy(p),
      nameOf: (p) => this.book.nameOf(p),
      addressesOf: (p) => p === this.host.peerId ? this.host.listenAddresses : this.knownAddresses(p),
      knownAddressesOf: async (p) => p === this.host.peerId ? this.host.listenAddresses : await this.host.addressesOf(p),
      log: (line) => { this.log(line) }
    })
    this.service.start()
    await this.raft.start()
    this.book.start()
    this.membership.start()
    const roles: RoleContext = {
      backend: this.backend,
      nodeName: this.name,
      clusterId: this.secrets.clusterId,
      nodeIp: this.opts.host ?? '127.0.0.1',
      dataDir: dir,
      runtime: this.opts.runtime ?? 'docker',
      clock: realClock,
      silenceOf: (peer) => {
        const ms = this.transport.silenceOf(peer)
        return Number.isFinite(ms) ? ms : undefined
      },
      ...(this.opts.nodeLifecycle !== undefined ? { nodeLifecycle: this.opts.nodeLifecycle } : {}),
      ...(this.opts.ingressPort !== undefined ? { ingressPort: this.opts.ingressPort } : {}),
      log: (line) => { this.log(line) }
    }
    this.leaderDuties = new LeaderDuties(leaderRoles(roles), async (signal) => { await this.backend.linearize(signal) }, (line) => { this.log(line) })
    this.localRoles = nodeRoles(roles)
    const podIo = podIoRelay(this.rpc, this.tunnels, this.store, this.name, this.localRoles)
    this.raft.on('leader:change', (leader) => {
      if (leader === this.host.peerId) void this.onLeadership()
      this.leaderDuties?.leadership(leader === this.host.peerId)
    })
    if (this.raft.isLeader) this.leaderDuties.leadership(true)

    const nodeIp = this.opts.host ?? '127.0.0.1'
    const tls = await apiServingTls({ cert: paths.servingCert, key: paths.servingKey }, this.secrets.ca, servingIdentity(this.name, nodeIp, hostname()), (line) => { this.log(line) })
    const apiOn = (port: number): ApiServer => createApiServer({
      backend: this.backend,
      kinds: KINDS,
      token: this.secrets.apiToken,
      host: this.opts.host ?? '127.0.0.1',
      port,
      extensions: { '/flotilla/v1/cluster/status': async (signal) => await this.clusterStatus(signal) },
      podIo,
      ...(tls !== undefined ? { tls } : {})
    })
    this.api = apiOn(apiPort)
    try {
      await this.api.start()
    } catch (err) {
      if (!(this.opts.apiPort === 0 && apiPort !== 0 && inUse(err))) throw err
      this.api = apiOn(0)
      await this.api.start()
    }
    await writePorts(dir, { api: this.api.port, p2p: portOf(this.host.listenAddresses[0]) })
    // A restarted agent also knocks on the --join address, in case every address it knows is stale.
    if (hasState && this.opts.join !== undefined) this.host.dial(this.opts.join).catch(() => {})
    // kubectl sends its token over HTTPS only: the kubeconfig names the HTTPS URL and the CA.
    await writeKubeconfig(paths.kubeconfig, {
      server: tls === undefined ? this.apiUrl : `https://${nodeIp}:${this.api.port}`,
      token: this.secrets.apiToken,
      clusterName: 'flotilla',
      userName: 'admin',
      ...(this.secrets.ca !== undefined && tls !== undefined ? { certificateAuthority: this.secrets.ca.cert } : {})
    })
    void this.register(identity)
    await startRoles(this.localRoles, (line) => { this.log(line) })
  }

  /** SIGTERM: a leader hands leadership to a caught-up voter first, then everything stops. */
  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    try {
      if (this.raft?.isLeader) await this.handOver()
    } catch (err) {
      this.log(`leadership hand-over failed: ${(err as Error).message}`)
    }
    await this.leaderDuties?.stop()
    await stopRoles(this.localRoles, (line) => { this.log(line) })
    this.membership?.stop()
    this.book?.stop()
    await this.api?.stop()
    this.service?.stop()
    await this.raft?.stop()
    this.transport?.close()
    await this.rpc?.stop()
    await this.tunnels?.stop()
    await this.channel?.stop()
    await this.host?.stop()
    await this.store?.close()
    await this.logStore?.close()
  }

  async clusterStatus (signal: AbortSignal): Promise<ClusterStatus> {
    return await this.service.status(signal)
  }

  private members (): string[] {
    try {
      const s = this.raft.status()
      return [...s.voters, ...s.learners]
    } catch {
      return []
    }
  }

  private knownAddresses (peerId: string): string[] {
    for (const node of this.store.list('', 'Node', undefined).items) {
      if (node.metadata.annotations?.['flotilla.io/peer-id'] === peerId) {
        return (node.metadata.annotations['flotilla.io/p2p-addresses'] ?? '').split(',').filter((a) => a !== '')
      }
    }
    return []
  }

  private async joinCluster (target: string, id: NodeIdentity): Promise<JoinAnswer> {
    const deadline = AbortSignal.timeout(30_000)
    let lastError: unknown
    while (!deadline.aborted) {
      try {
        const peer = await this.host.dial(target, { signal: deadline })
        const answer = await this.rpc.call(peer, JOIN_METHOD, { ...id, tokenDigest: tokenDigest(this.secrets.apiToken) }, { signal: deadline }) as JoinAnswer
        if (answer.clusterId !== this.secrets.clusterId) throw new AgentConfigError(`${target} belongs to cluster ${answer.clusterId}, not to the one of the join token`)
        this.log(`joined the cluster through ${target}`)
        return answer
      } catch (err) {
        const e = err as { name?: string, remoteName?: string, remoteMessage?: string, message: string }
        if (e.name === 'NotInClusterError') throw new AgentConfigError(`${target} refused us: its cluster key is not the one in the join token. Check --token (DIR/join-token of an agent of that cluster)`)
        if (e.remoteName === 'JoinRefusedError' || e.remoteName === 'NameTakenError') throw new AgentConfigError(e.remoteMessage ?? e.message)
        if (e.name === 'AgentConfigError') throw err
        lastError = err
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
    }
    throw new AgentConfigError(`Could not join through ${target}: ${(lastError as Error | undefined)?.message ?? 'timed out'}`)
  }

  /** Register (or refresh) this agent's Node: retried until it lands, since it needs a leader. */
  private async register (identity: () => NodeIdentity): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await upsertNode(this.backend, this.store, identity(), AbortSignal.timeout(10_000))
        return
      } catch (err) {
        if ((err as Error).name === 'NameTakenError') {
          this.log((err as Error).message)
          return
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 2000)))
      }
    }
  }

  /**
   * A new leader makes sure the cluster's initial objects exist (idempotent): the namespaces,
   * the cluster config (its Service range: --service-cidr, else one picked by the cluster id)
   * and the cluster DNS Service.
   */
  private async onLeadership (): Promise<void> {
    const has = (kind: string, namespace: string, name: string): boolean => this.store.get({ group: '', kind, namespace, name }) !== undefined
    if (has('Namespace', '', 'default') && has('Service', KUBE_DNS.namespace, KUBE_DNS.name)) return
    try {
      const now = this.backend.now()
      const serviceCidr = configuredServiceCidr(this.store) ?? this.opts.serviceCidr ?? defaultServiceCidr(this.secrets.clusterId)
      await this.backend.write({ op: 'batch', commands: bootstrapCommands(now, () => this.backend.newUid(), { serviceCidr }) }, AbortSignal.timeout(10_000))
    } catch (err) {
      this.log(`could not create the initial namespaces yet: ${(err as Error).message}`)
    }
  }

  private async handOver (): Promise<void> {
    const views = this.membership.view().filter((m) => m.voter && m.healthy && m.caughtUp && m.id !== this.host.peerId)
    const target = views[0]
    if (target === undefined) return
    this.raft.transferLeadership(target.id)
    // Stepping down is not enough: the target only leads once a majority voted for it, and this
    // agent's vote may be one it needs. Stay until the new leader has been heard from.
    const handedOver = (): boolean => !this.raft.isLeader && this.raft.leaderId !== null && this.raft.leaderId !== this.host.peerId
    const deadline = Date.now() + 3000
    while (!handedOver() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

interface Ports { api?: number, p2p?: number }

function inUse (err: unknown): boolean {
  const e = err as { code?: string, message?: string }
  return e.code === 'EADDRINUSE' || /EADDRINUSE/.test(e.message ?? '')
}

async function readPorts (dir: string): Promise<Ports> {
  try {
    return JSON.parse(await readFile(join(dir, 'ports.json'), 'utf8')) as Ports
  } catch {
    return {}
  }
}

async function writePorts (dir: string, ports: Ports): Promise<void> {
  await writeFile(join(dir, 'ports.json'), JSON.stringify(ports) + '\n')
}

function portOf (address: string | undefined): number | undefined {
  const port = Number(address?.slice(address.lastIndexOf(':') + 1))
  return Number.isInteger(port) && port > 0 ? port : undefined
}

async function openLocked<T> (open: () => Promise<T>, dir: string): Promise<T> {
  try {
    return await open()
  } catch (err) {
    const e = err as { name?: string, code?: string, cause?: { code?: string }, message?: string }
    if (err instanceof LogLockedError || e.code === 'LEVEL_LOCKED' || e.cause?.code === 'LEVEL_LOCKED' || /Another agent is using/.test(e.message ?? '')) {
      throw new DataDirLockedError(`Another agent is using the data dir ${dir}: stop it first, or give this one another --data-dir`)
    }
    throw err
  }
}
