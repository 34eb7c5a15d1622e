// Child processes for benchmarks (agents, etcd members): started with their output going to
// log files (a pipe nobody reads would block them), watched until they exit, and stopped by
// PID only. Every process started here and still running is SIGKILLed if the benchmark is
// interrupted (Ctrl-C, SIGTERM) or exits for any reason, so none outlives a run.

import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { onInterrupt } from './temp-dirs.ts'
import { waitFor } from '../e2e/harness/wait.ts'

export interface ExitInfo {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

const LIVE = new Set<ChildProcess>()
let hooksInstalled = false
/** Set once the run is interrupted: no new processes from then on. */
let interrupted = false

function killAllNow (): void {
  for (const child of LIVE) {
    if (child.pid !== undefined) try { process.kill(child.pid, 'SIGKILL') } catch { /* already gone */ }
  }
}

/** SIGKILL every live child and resolve once all of them have exited. */
async function killAllAndWait (): Promise<void> {
  interrupted = true
  const exits = [...LIVE].map(async (child) => {
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) { resolve(); return }
      child.once('exit', () => { resolve() })
    })
  })
  killAllNow()
  await Promise.all(exits)
}

function installHooks (): void {
  if (hooksInstalled) return
  hooksInstalled = true
  onInterrupt(killAllAndWait)
  process.once('exit', killAllNow)
}

export interface SpawnOptions {
  readonly cwd?: string
  readonly env?: NodeJS.ProcessEnv
  /** stderr (and stdout unless `onStdout` is given) are appended to this file. */
  readonly logPath: string
  /** Called with every stdout chunk (stdout is then also copied to the log file). */
  readonly onStdout?: (text: string) => void
}

/** One run of a child process. */
export class ChildRun {
  readonly exited: Promise<ExitInfo>
  private exitInfo: ExitInfo | null = null

  constructor (readonly child: ChildProcess, readonly logPath: string) {
    this.exited = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => {
        LIVE.delete(child)
        this.exitInfo = { code, signal }
        resolve(this.exitInfo)
      })
    })
  }

  get pid (): number {
    if (this.child.pid === undefined) throw new Error(`process for ${this.logPath} has no pid (spawn failed)`)
    return this.child.pid
  }

  get running (): boolean { return this.exitInfo === null }
  get exitStatus (): ExitInfo | null { return this.exitInfo }

  /** SIGKILL by PID; resolves once the process is gone. */
  async kill (): Promise<void> {
    if (!this.running) return
    try { process.kill(this.pid, 'SIGKILL') } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
    }
    await this.exited
  }

  /** SIGTERM by PID, SIGKILL after `graceMs`; resolves once the process is gone. */
  async terminate (graceMs: number): Promise<ExitInfo> {
    if (!this.running) return this.exitInfo as ExitInfo
    try { process.kill(this.pid, 'SIGTERM') } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
    }
    let timer: NodeJS.Timeout | undefined
    const done = await Promise.race([this.exited, new Promise<null>((resolve) => { timer = setTimeout(() => { resolve(null) }, graceMs) })])
    clearTimeout(timer)
    if (done !== null) return done
    await this.kill()
    return await this.exited
  }

  /** The last `lines` lines of the log file (all runs that shared it). */
  tail (lines = 20): string {
    if (!existsSync(this.logPath)) return '(no log)'
    return readFileSync(this.logPath, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => `    ${l}`).join('\n')
  }
}

/** Start `command args`; output goes to `opts.logPath` (appended, with a header line per run). */
export function spawnLogged (command: string, args: readonly string[], opts: SpawnOptions): ChildRun {
  installHooks()
  if (interrupted) throw new Error(`not starting ${command}: the benchmark was interrupted`)
  const fd = openSync(opts.logPath, 'a')
  writeSync(fd, `--- ${new Date().toISOString()} ${command} ${args.join(' ')}\n`)
  let child: ChildProcess
  try {
    child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', opts.onStdout !== undefined ? 'pipe' : fd, fd]
    })
  } catch (err) {
    closeSync(fd)
    throw err
  }
  LIVE.add(child)
  const run = new ChildRun(child, opts.logPath)
  const onStdout = opts.onStdout
  if (onStdout !== undefined && child.stdout !== null) {
    child.stdout.on('data', (chunk: Buffer) => {
      try { writeSync(fd, chunk) } catch { /* closed */ }
      onStdout(chunk.toString('utf8'))
    })
    child.stdout.once('close', () => { try { closeSync(fd) } catch { /* already */ } })
  } else {
    // The child holds its own copy of the descriptor.
    closeSync(fd)
  }
  child.once('error', () => { /* surfaced through 'exit' (spawn failure: exit with code -2) */ })
  return run
}

/** A TCP port that was free on 127.0.0.1 a moment ago (the OS picks it). */
export async function freePort (): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => { resolve(port) })
    })
  })
}

/** Resident memory of a process now and at its peak, in MiB (from /proc/PID/status); null if unreadable. */
export async function memoryOf (pid: number): Promise<{ rssMiB: number, peakMiB: number } | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN)
    return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 }
  } catch {
    return null
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc/PID/stat; NaN if unreadable. */
export async function cpuSecondsOf (pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[11]) + Number(fields[12])
    return ticks / 100
  } catch {
    return Number.NaN
  }
}

export async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

/** Poll `check` until it returns a value other than undefined/null/false (the e2e harness's waitFor). */
export async function waitUntil<T> (what: string, check: () => Promise<T | undefined | null | false>, timeoutMs: number, intervalMs = 100, lastSeen?: () => unknown): Promise<T> {
  return await waitFor(what, check, { timeoutMs, intervalMs, ...(lastSeen !== undefined ? { lastSeen } : {}) })
}

/** FLOTILLA_BENCH_KEEP=1: keep the temp dirs (data and logs) of a cluster whose suite failed. */
export const KEEP_ON_FAILURE = process.env.FLOTILLA_BENCH_KEEP === '1'

/**
 * Run `fn` with a cluster and stop the cluster whatever happens. If `fn` throws, the error's
 * stack gains the tails of the cluster's logs (and the temp dir is kept with FLOTILLA_BENCH_KEEP=1).
 */
export async function usingCluster<C extends { tails: () => string, stop: (keep?: boolean) => Promise<void>, readonly root: string }> (cluster: C, fn: (cluster: C) => Promise<void>): Promise<void> {
  let failed = false
  try {
    await fn(cluster)
  } catch (err) {
    failed = true
    const e = err as Error
    e.stack = `${e.stack ?? e.message}\nlogs${KEEP_ON_FAILURE ? ` (kept in ${cluster.root})` : ' (FLOTILLA_BENCH_KEEP=1 keeps them)'}:\n${cluster.tails()}`
    throw err
  } finally {
    await cluster.stop(failed && KEEP_ON_FAILURE)
  }
}
