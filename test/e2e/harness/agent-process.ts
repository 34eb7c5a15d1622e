// One agent as a real process: `node bin/flotilla.js agent …` in its own dir, its stderr
// (and stdout) appended to files there across runs. It is up once it printed its "is up" block
// (peer id, API URL, p2p address). Signals go to its PID only. Every child still running when
// the test process exits is killed.

import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { appendFile, mkdir, readFile, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { onProcessEnd } from './process-end.ts'
import { AGENT_NODE_ARGS, agentEnv } from '../../../src/agent/agent-launch.ts'

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const BIN = join(REPO, 'bin', 'flotilla.js')

/** How long an agent may take to print its "is up" block (tsx compiles on a busy 2-core machine). */
const START_TIMEOUT_MS = 45_000

/** Every child this module started and that has not exited yet: killed if the test process exits. */
const LIVE = new Set<ChildProcess>()

/** How an agent reports a bug it survived (an unhandled rejection, …): e2e tests fail on it. */
const INTERNAL_ERROR = /^internal error\b/i

function killLive (): void {
  for (const child of LIVE) {
    if (child.pid !== undefined) try { process.kill(child.pid, 'SIGKILL') } catch { /* gone */ }
  }
}
onProcessEnd(killLive)

export interface ExitInfo {
  code: number | null
  signal: NodeJS.Signals | null
}

/** Output of a process run to completion. */
export interface RunResult extends ExitInfo {
  stdout: string
  stderr: string
}

/** One agent: its dirs, and the process of its current run (if any). */
export class AgentProcess {
  readonly dir: string
  readonly dataDir: string
  readonly stderrPath: string
  readonly stdoutPath: string
  peerId = ''
  apiUrl = ''
  /** host:port of its p2p listener. */
  p2pAddress = ''
  apiPort = 0
  p2pPort = 0
  /** Number of times this agent was started. */
  runs = 0
  private child: ChildProcess | null = null
  private exit: Promise<ExitInfo> | null = null
  private exitInfo: ExitInfo | null = null
  /** Set when this harness signals the process, so that any other exit counts as a crash. */
  private stopping = false
  /** Runs that ended without being asked to (crashes, or exits on their own), with the stderr tail. */
  readonly unexpectedExits: string[] = []

  /**
   * `runtime`: the agent's --runtime (fake unless a test runs real containers); `nodeIp`: its
   * --node-ip (the agent's default, 127.0.0.1, when undefined); `extraArgs`: more flags for
   * every run.
   */
  constructor (readonly name: string, root: string, readonly runtime: 'docker' | 'fake' = 'fake', readonly nodeIp?: string, readonly extraArgs: readonly string[] = []) {
    this.dir = join(root, name)
    this.dataDir = join(this.dir, 'data')
    this.stderrPath = join(this.dir, 'stderr.log')
    this.stdoutPath = join(this.dir, 'stdout.log')
  }

  get pid (): number | undefined { return this.child?.pid }
  /** Started and not exited (it may not be up yet). */
  get running (): boolean { return this.child !== null && this.exitInfo === null }
  /** How the last run ended, or null while it runs. */
  get lastExit (): ExitInfo | null { return this.exitInfo }

  /**
   * Start a run with these extra arguments and wait for the "is up" block. Rejects (with the
   * stderr tail) if the process exits first or the deadline passes; the process is then killed.
   */
  async start (args: string[], timeoutMs = START_TIMEOUT_MS): Promise<void> {
    if (this.running) throw new Error(`agent ${this.name} is already running (pid ${String(this.pid)})`)
    await mkdir(this.dir, { recursive: true })
    this.runs++
    const marker = `--- run ${this.runs} of ${this.name} at ${new Date().toISOString()}: flotilla agent ${args.join(' ')}\n`
    await appendFile(this.stderrPath, marker)
    await appendFile(this.stdoutPath, marker)
    const stderrFd = openSync(this.stderrPath, 'a')
    const stdoutFd = openSync(this.stdoutPath, 'a')
    let child: ChildProcess
    try {
      child = spawn(process.execPath, [...AGENT_NODE_ARGS, BIN, 'agent', '--data-dir', this.dataDir, '--name', this.name, '--runtime', this.runtime, ...(this.nodeIp !== undefined ? ['--node-ip', this.nodeIp] : []), ...this.extraArgs, ...args], {
        cwd: REPO,
        env: agentEnv(),
        stdio: ['ignore', 'pipe', stderrFd]
      })
    } finally {
      closeSync(stderrFd)
    }
    LIVE.add(child)
    this.child = child
    this.exitInfo = null
    this.stopping = false
    const run = this.runs
    let isUp = false
    this.exit = new Promise<ExitInfo>((resolveExit) => {
      child.once('exit', (code, signal) => {
        LIVE.delete(child)
        this.exitInfo = { code, signal }
        if (!this.stopping && isUp) {
          this.unexpectedExits.push(`${this.name} (run ${run}, pid ${String(child.pid)}) exited on its own with ${describeExit(this.exitInfo)} at ${new Date().toISOString()}:\n${this.tail(20)}`)
        }
        resolveExit(this.exitInfo)
      })
    })
    const exit = this.exit

    // Parse the "is up" block; keep copying stdout to its file for the rest of the run.
    let buffered = ''
    const up = new Promise<void>((resolveUp) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        try { writeFileSync(stdoutFd, chunk) } catch { /* closed after exit */ }
        buffered += chunk.toString('utf8')
        if (!isUp && this.parseUp(buffered)) {
          isUp = true
          resolveUp()
        }
      })
    })
    child.stdout?.once('close', () => { try { closeSync(stdoutFd) } catch { /* already */ } })

    let timer: NodeJS.Timeout | undefined
    const outcome = await Promise.race([
      up.then(() => 'up' as const),
      exit.then(() => 'exited' as const),
      new Promise<'timeout'>((resolveTimeout) => { timer = setTimeout(() => { resolveTimeout('timeout') }, timeoutMs) })
    ])
    clearTimeout(timer)
    if (outcome === 'up') return
    if (outcome === 'timeout') await this.kill()
    const info = await exit
    throw new Error(`agent ${this.name} did not come up (${outcome === 'timeout' ? `no "is up" within ${timeoutMs} ms` : `exited with ${describeExit(info)}`}):\n${this.tail(25)}`)
  }

  /** kill -9 by PID; resolves once the process is gone. */
  async kill (): Promise<void> {
    await this.signal('SIGKILL')
  }

  /** SIGTERM by PID; resolves with how it exited (kill -9 after `timeoutMs`). */
  async terminate (timeoutMs = 20_000): Promise<ExitInfo> {
    const exit = this.exit
    if (!this.running || exit === null) throw new Error(`agent ${this.name} is not running`)
    this.stopping = true
    this.sendSignal('SIGTERM')
    let timer: NodeJS.Timeout | undefined
    const done = await Promise.race([exit, new Promise<null>((resolveTimeout) => { timer = setTimeout(() => { resolveTimeout(null) }, timeoutMs) })])
    clearTimeout(timer)
    if (done !== null) return done
    await this.kill()
    throw new Error(`agent ${this.name} did not exit within ${timeoutMs} ms of SIGTERM (killed it):\n${this.tail(25)}`)
  }

  /** Resolves when the current run exits. */
  async exited (): Promise<ExitInfo> {
    if (this.exit === null) throw new Error(`agent ${this.name} was never started`)
    return await this.exit
  }

  /** The last `lines` lines of its stderr (all runs). */
  tail (lines = 30): string {
    if (!existsSync(this.stderrPath)) return '(no stderr yet)'
    const all = readFileSync(this.stderrPath, 'utf8').trimEnd().split('\n')
    return all.slice(-lines).map((l) => `  [${this.name}] ${l}`).join('\n')
  }

  /** Lines of its stderr (all runs) where the agent reports an internal error it survived. */
  internalErrors (): string[] {
    if (!existsSync(this.stderrPath)) return []
    return readFileSync(this.stderrPath, 'utf8').split('\n').filter((l) => INTERNAL_ERROR.test(l)).map((l) => `${this.name}: ${l}`)
  }

  /** Size of its stderr file now: read what came after with `stderrSince`. */
  async stderrSize (): Promise<number> {
    try { return (await stat(this.stderrPath)).size } catch { return 0 }
  }

  async stderrSince (offset: number): Promise<string> {
    const all = await readFile(this.stderrPath)
    return all.subarray(offset).toString('utf8')
  }

  private async signal (signal: NodeJS.Signals): Promise<void> {
    const exit = this.exit
    if (!this.running || exit === null) return
    this.stopping = true
    this.sendSignal(signal)
    await exit
  }

  private sendSignal (signal: NodeJS.Signals): void {
    const pid = this.pid
    if (pid === undefined) return
    try { process.kill(pid, signal) } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
    }
  }

  private parseUp (text: string): boolean {
    const head = /^agent (\S+) \(peer (\S+)\) is up$/m.exec(text)
    const api = /^ {2}API: +(http:\/\/\S+:(\d+))$/m.exec(text)
    const p2p = /^ {2}p2p: +([^\s,]+:(\d+))/m.exec(text)
    if (head === null || api === null || p2p === null || !/^ {2}kubeconfig: /m.test(text)) return false
    this.peerId = head[2] as string
    this.apiUrl = api[1] as string
    this.apiPort = Number(api[2])
    this.p2pAddress = p2p[1] as string
    this.p2pPort = Number(p2p[2])
    return true
  }
}

function describeExit (info: ExitInfo): string {
  return info.signal !== null ? `signal ${info.signal}` : `code ${String(info.code)}`
}

/** Run `flotilla agent ARGS` to completion (for runs expected to fail), killing it after `timeoutMs`. */
export async function runAgentToExit (args: string[], timeoutMs: number): Promise<RunResult & { timedOut: boolean }> {
  const child = spawn(process.execPath, [...AGENT_NODE_ARGS, BIN, 'agent', '--runtime', 'fake', ...args], { cwd: REPO, env: agentEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
  LIVE.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (c: Buffer) => { stdout += c.toString('utf8') })
  child.stderr?.on('data', (c: Buffer) => { stderr += c.toString('utf8') })
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    if (child.pid !== undefined) try { process.kill(child.pid, 'SIGKILL') } catch { /* gone */ }
  }, timeoutMs)
  const info = await new Promise<ExitInfo>((resolveExit) => {
    child.once('close', (code, signal) => { resolveExit({ code, signal }) })
  })
  clearTimeout(timer)
  LIVE.delete(child)
  return { ...info, stdout, stderr, timedOut }
}
