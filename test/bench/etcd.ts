// The etcd anchor: three etcd members (Debian's etcd-server, 3.4) on loopback, started and
// stopped by the benchmark itself on free ports with their own temp data dirs. A system etcd
// service, if the package started one, is neither used nor touched. Clients talk to the
// members' HTTP/JSON gateway (`POST /v3/kv/put` with base64 key and value).
//
// If no `etcd` binary is installed, findEtcd() says so and the suites skip the etcd figures
// with a note (install: `apt-get install -y etcd-server etcd-client`).

import { execFile } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import { promisify } from 'node:util'
import { requestOnce } from './http-client.ts'
import { freePort, sleep, spawnLogged, waitUntil, type ChildRun } from './processes.ts'
import { makeTempDir, removeTempDir } from './temp-dirs.ts'

const execFileP = promisify(execFile)

export const ETCD_INSTALL_HINT = 'apt-get install -y etcd-server etcd-client'

export interface EtcdInstall {
  readonly binary: string
  /** "3.4.23" */
  readonly version: string
}

/** The installed etcd, or a sentence saying why there is none to measure. */
export async function findEtcd (): Promise<EtcdInstall | { readonly missing: string }> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin']
  const binary = dirs.map((d) => join(d, 'etcd')).find((p) => {
    try { accessSync(p, constants.X_OK); return true } catch { return false }
  })
  if (binary === undefined) {
    return { missing: `etcd is not installed, so the etcd figures were skipped: install it with \`${ETCD_INSTALL_HINT}\` (Debian's etcd 3.4; the package may start a system etcd service, which the benchmark neither uses nor touches)` }
  }
  try {
    const { stdout } = await execFileP(binary, ['--version'], { timeout: 10_000 })
    const version = /etcd Version: (\S+)/.exec(stdout)?.[1] ?? 'unknown'
    return { binary, version }
  } catch (err) {
    return { missing: `${binary} --version failed (${(err as Error).message.split('\n')[0] ?? ''}), so the etcd figures were skipped` }
  }
}

export class EtcdMember {
  readonly dataDir: string
  readonly logPath: string
  /** The member id as the JSON gateway spells it (a decimal uint64 string); set once the cluster is up. */
  id = ''
  run: ChildRun | null = null

  constructor (readonly name: string, root: string, readonly clientPort: number, readonly peerPort: number) {
    this.dataDir = join(root, name)
    this.logPath = join(root, `${name}.log`)
  }

  get clientUrl (): string { return `http://127.0.0.1:${this.clientPort}` }
  get peerUrl (): string { return `http://127.0.0.1:${this.peerPort}` }
  get running (): boolean { return this.run?.running === true }
  get pid (): number {
    if (this.run === null || !this.run.running) throw new Error(`etcd member ${this.name} is not running`)
    return this.run.pid
  }
}

/** What `POST /v3/maintenance/status` answers (the fields used here). */
interface EtcdStatus {
  header: { member_id: string, raft_term?: string }
  leader: string
  raftIndex?: string
  raftTerm?: string
}

export class EtcdCluster {
  private stopped = false

  private constructor (readonly install: EtcdInstall, readonly root: string, readonly members: readonly EtcdMember[], private readonly initialCluster: string) {}

  /** Start `size` members as a new cluster; resolves once every member is healthy and agrees on a leader. */
  static async start (install: EtcdInstall, size: number, log: (line: string) => void): Promise<EtcdCluster> {
    const root = await makeTempDir('flotilla-bench-etcd')
    const members: EtcdMember[] = []
    for (let i = 0; i < size; i++) members.push(new EtcdMember(`m${i + 1}`, root, await freePort(), await freePort()))
    const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',')
    const cluster = new EtcdCluster(install, root, members, initialCluster)
    try {
      await Promise.all(members.map(async (m) => { await cluster.launch(m, 'new') }))
      await waitUntil('every etcd member to report healthy', async () => {
        const health = await Promise.all(members.map(async (m) => await cluster.healthy(m)))
        return health.every((h) => h)
      }, 30_000, 100)
      const list = await cluster.call(members[0] as EtcdMember, '/v3/cluster/member/list', {}) as { members?: Array<{ ID: string, name: string }> }
      for (const m of members) {
        const found = list.members?.find((x) => x.name === m.name)
        if (found === undefined) throw new Error(`etcd member list has no ${m.name}: ${JSON.stringify(list)}`)
        m.id = found.ID
      }
      await cluster.leader(15_000)
      log(`etcd: ${size}-member cluster up (etcd ${install.version}; ${members.map((m) => `${m.name} pid ${m.pid}`).join(', ')})`)
      return cluster
    } catch (err) {
      const tails = members.map((m) => `  ${m.name} (${m.logPath}):\n${m.run?.tail(10) ?? '(not started)'}`).join('\n')
      await cluster.stop()
      throw new Error(`${(err as Error).message}\netcd logs:\n${tails}`)
    }
  }

  get running (): EtcdMember[] { return this.members.filter((m) => m.running) }

  /** One gateway call on a fresh connection; throws on a non-200 answer. */
  async call (member: EtcdMember, path: string, body: unknown, timeoutMs = 2000): Promise<unknown> {
    const r = await requestOnce('POST', member.clientUrl + path, { body, timeoutMs })
    if (r.status !== 200) throw new Error(`etcd ${member.name} ${path}: HTTP ${r.status} ${r.text.slice(0, 200)}`)
    return JSON.parse(r.text)
  }

  async healthy (member: EtcdMember): Promise<boolean> {
    try {
      const r = await requestOnce('GET', `${member.clientUrl}/health`, { timeoutMs: 2000 })
      return r.status === 200 && /"health"\s*:\s*"true"/.test(r.text)
    } catch {
      return false
    }
  }

  /** The member every running member names as leader, once they agree. */
  async leader (timeoutMs = 10_000): Promise<EtcdMember> {
    let seen: unknown = 'nothing'
    return await waitUntil('an etcd leader all members agree on', async () => {
      const running = this.running
      const all = await Promise.all(running.map(async (m) => await this.call(m, '/v3/maintenance/status', {}).catch((err: Error) => err.message) as EtcdStatus | string))
      seen = Object.fromEntries(running.map((m, i) => [m.name, all[i]]))
      const first = all[0]
      if (first === undefined || typeof first === 'string') return undefined
      if (!all.every((s) => typeof s !== 'string' && s.leader === first.leader)) return undefined
      return running.find((m) => m.id === first.leader)
    }, timeoutMs, 100, () => seen)
  }

  /** Start a killed member again on its data dir and ports (`--initial-cluster-state existing`). */
  async restart (member: EtcdMember): Promise<void> {
    await this.launch(member, 'existing')
  }

  /**
   * After a restart: a put through the member and a linearizable range of it through the same
   * member succeed, and every member is healthy and agrees on a leader.
   */
  async waitForRejoin (member: EtcdMember, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    const key = Buffer.from(`rejoin-${member.name}-${Date.now()}`).toString('base64')
    await waitUntil(`a marker put through ${member.name}`, async () => {
      await this.call(member, '/v3/kv/put', { key, value: Buffer.from('v').toString('base64') })
      const r = await this.call(member, '/v3/kv/range', { key }) as { count?: string }
      return r.count === '1'
    }, Math.max(1000, deadline - Date.now()), 100)
    await waitUntil('every etcd member to report healthy', async () => {
      const health = await Promise.all(this.members.map(async (m) => await this.healthy(m)))
      return health.every((h) => h)
    }, Math.max(1000, deadline - Date.now()), 100)
    await this.leader(Math.max(1000, deadline - Date.now()))
  }

  /** The last lines of every member's log, for a failure report. */
  tails (lines = 15): string {
    return this.members.map((m) => `  --- etcd ${m.name} (${m.running ? `running, pid ${m.pid}` : `stopped: ${JSON.stringify(m.run?.exitStatus ?? null)}`}) ${m.logPath}\n${m.run?.tail(lines) ?? '(never started)'}`).join('\n')
  }

  /** Stop every member (by PID) and remove the temp dir (kept, with the logs, if `keep`). */
  async stop (keep = false): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    await Promise.all(this.members.map(async (m) => { await m.run?.kill() }))
    if (!keep) await removeTempDir(this.root)
  }

  private async launch (m: EtcdMember, state: 'new' | 'existing'): Promise<void> {
    if (m.running) throw new Error(`etcd member ${m.name} is already running`)
    await mkdir(m.dataDir, { recursive: true, mode: 0o700 })
    m.run = spawnLogged(this.install.binary, [
      '--name', m.name,
      '--data-dir', m.dataDir,
      '--listen-client-urls', m.clientUrl,
      '--advertise-client-urls', m.clientUrl,
      '--listen-peer-urls', m.peerUrl,
      '--initial-advertise-peer-urls', m.peerUrl,
      '--initial-cluster', this.initialCluster,
      '--initial-cluster-token', `flotilla-bench-${process.pid}`,
      '--initial-cluster-state', state,
      '--logger', 'zap',
      '--log-outputs', 'stderr'
    ], { logPath: m.logPath })
    // Fail early (with its log) if it exits at once, e.g. a port taken since freePort() chose it.
    const early = await Promise.race([m.run.exited, sleep(200).then(() => null)])
    if (early !== null) throw new Error(`etcd member ${m.name} exited at start (${JSON.stringify(early)}):\n${m.run.tail(15)}`)
  }
}
