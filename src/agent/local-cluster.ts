// A local cluster of agent processes on this machine (what `flotilla up` runs): the first
// agent creates the cluster, the others join it through its p2p address with its join token.
// Each agent has its own data dir under `dir`, so a second `up` on the same dir restarts the
// same cluster. Each agent gets its own loopback address as its node address (agent-1
// 127.0.0.2, agent-2 127.0.0.3, …: --node-ip), so every agent's NodePorts answer at the same
// port on its own address, as on separate machines. Processes are ours: they are stopped by PID with SIGTERM (leaders hand over
// first), then SIGKILL if they do not exit.

import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AGENT_NODE_ARGS, STOP_WITH_PARENT_ENV, agentEnv } from './agent-launch.ts'

/**
 * bin/flotilla.js of the checkout this module runs from. Searched upwards because this module
 * runs both from src/agent/ (tests, tsx) and compiled into dist/flotilla.js.
 */
function findBin (from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const bin = join(dir, 'bin', 'flotilla.js')
    if (existsSync(bin)) return bin
    if (dirname(dir) === dir) throw new Error(`bin/flotilla.js not found in ${from} or any directory above it`)
  }
}

export interface LocalAgent {
  readonly name: string
  readonly dataDir: string
  readonly process: ChildProcess
  apiUrl: string
  p2p: string
  /** Its node address (InternalIP, where its NodePorts listen). */
  nodeIp?: string
}

/** The loopback address of the `i`th agent (from 0) of a local cluster: 127.0.0.2, 127.0.0.3, … */
export function localNodeIp (i: number): string {
  return `127.0.${Math.floor((i + 2) / 256)}.${(i + 2) % 256}`
}

export interface LocalClusterOptions {
  /** Number of agents. Default 3. */
  nodes?: number
  /** Parent of the agents' data dirs. */
  dir: string
  /** Where each agent's log lines go (already prefixed with its name). */
  log?: (line: string) => void
  /** Extra flags for every agent. */
  agentArgs?: string[]
}

export class LocalCluster {
  readonly agents: LocalAgent[] = []
  private readonly log: (line: string) => void

  constructor (private readonly opts: LocalClusterOptions) {
    this.log = opts.log ?? ((line) => { process.stderr.write(line + '\n') })
  }

  /** Path of a kubeconfig for the cluster (a copy of the first agent's). */
  get kubeconfig (): string { return join(this.opts.dir, 'kubeconfig') }

  async start (signal?: AbortSignal): Promise<void> {
    const n = this.opts.nodes ?? 3
    await mkdir(this.opts.dir, { recursive: true })
    const first = await this.startAgent('agent-1', 0, [], signal)
    const token = (await readFile(join(first.dataDir, 'join-token'), 'utf8')).trim()
    await Promise.all(Array.from({ length: n - 1 }, async (_, i) => {
      await this.startAgent(`agent-${i + 2}`, i + 1, ['--join', first.p2p, '--token', token], signal)
    }))
    await copyFile(join(first.dataDir, 'kubeconfig'), this.kubeconfig)
  }

  /** SIGTERM every agent, SIGKILL those still running after `graceMs`. */
  async stop (graceMs = 5000): Promise<void> {
    await Promise.all(this.agents.map(async (a) => { await stopProcess(a.process, graceMs) }))
  }

  private async startAgent (name: string, index: number, extra: string[], signal?: AbortSignal): Promise<LocalAgent> {
    const dataDir = join(this.opts.dir, name)
    const nodeIp = localNodeIp(index)
    const args = [findBin(dirname(fileURLToPath(import.meta.url))), 'agent', '--data-dir', dataDir, '--name', name, '--node-ip', nodeIp, '--api-port', '0', '--p2p-port', '0', ...extra, ...(this.opts.agentArgs ?? [])]
    const child = spawn(process.execPath, [...AGENT_NODE_ARGS, ...args], { env: { ...agentEnv(), [STOP_WITH_PARENT_ENV]: String(process.pid) }, stdio: ['ignore', 'pipe', 'pipe'] })
    const agent: LocalAgent = { name, dataDir, process: child, apiUrl: '', p2p: '' }
    this.agents.push(agent)
    forwardLines(child.stderr, (line) => { this.log(`[${name}] ${line}`) })
    const ready = new Promise<void>((resolveReady, reject) => {
      let out = ''
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        const api = /API:\s+(\S+)/.exec(out)
        const p2p = /p2p:\s+([^\s,]+)/.exec(out)
        if (api?.[1] !== undefined && p2p?.[1] !== undefined) {
          agent.apiUrl = api[1]
          agent.p2p = p2p[1]
          resolveReady()
        }
      })
      child.once('exit', (code) => { reject(new Error(`${name} exited with code ${String(code)} before it was up: see its lines above`)) })
      signal?.addEventListener('abort', () => { reject(new Error('interrupted')) }, { once: true })
    })
    await ready
    agent.nodeIp = nodeIp
    this.log(`[${name}] up (pid ${child.pid ?? '?'}): API ${agent.apiUrl}, p2p ${agent.p2p}`)
    return agent
  }
}

function forwardLines (stream: NodeJS.ReadableStream | null, out: (line: string) => void): void {
  let buf = ''
  stream?.on('data', (chunk: Buffer) => {
    buf += chunk.toString()
    let nl: number
    while ((nl = buf.indexOf('\n')) >= 0) {
      out(buf.slice(0, nl))
      buf = buf.slice(nl + 1)
    }
  })
}

async function stopProcess (child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => { resolveExit() }))
  child.kill('SIGTERM')
  const timer = setTimeout(() => { child.kill('SIGKILL') }, graceMs)
  await exited
  clearTimeout(timer)
}
