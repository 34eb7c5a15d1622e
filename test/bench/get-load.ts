// HTTP GET load with a connection per request, for the service-proxy suite: each client
// opens a TCP connection, sends one HTTP/1.0 GET, reads the answer until the server closes,
// checks it (status 200 and the whole body) and at once starts over. A raw socket, not
// node:http, so the generator spends as little CPU per request as it can: on a 2-core machine
// it shares the CPU with what it measures, and its own CPU and event-loop use are recorded
// beside every figure (with the machine's) so a reader can tell when it was the limit.

import { connect } from 'node:net'
import { readFile } from 'node:fs/promises'
import { load1 } from './host.ts'
import { cpuSecondsOf, sleep } from './processes.ts'
import { percentileSorted, Samples } from './stats.ts'

/** Where the requests go: one address, or several taken in turn by each client. */
export interface GetTarget {
  readonly addresses: ReadonlyArray<{ readonly host: string, readonly port: number }>
  readonly path: string
  /** The body every answer must carry, byte for byte in length. */
  readonly bodyBytes: number
}

export type GetOutcome = { readonly ok: true } | { readonly ok: false, readonly reason: string }

export interface GetRun {
  readonly requestsPerSec: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly ok: number
  readonly errors: number
  /** Failed requests by reason, e.g. "ECONNRESET ×3". */
  readonly errorReasons: string
  /** CPU of the processes given as servers (the agents), together, in % of one core. */
  readonly serverCpuPct: number
  /** The load generator's CPU (this process), in % of one core. */
  readonly clientCpuPct: number
  /** The load generator's event-loop utilization (near 1.00: it may be the limit). */
  readonly clientElu: number
  /** The whole machine's CPU in use, in % of one core (200% = both cores of 2). */
  readonly machineCpuPct: number
  /** Kernel TCP counters of this machine's network namespace over the window (pods have their own). */
  readonly kernel: TcpCounters
  readonly load1: number
}

/** Deltas of the kernel's TCP counters: resets sent, connects that failed, aborts on close/data. */
export interface TcpCounters {
  readonly outRsts: number
  readonly attemptFails: number
  readonly abortOnClose: number
  readonly abortOnData: number
}

export interface GetShape {
  readonly concurrency: number
  readonly warmupMs: number
  readonly durationMs: number
  /** Per-request timeout. Default 5 s. */
  readonly timeoutMs?: number
  /** PIDs whose CPU is reported as serverCpuPct. */
  readonly serverPids?: readonly number[]
}

/** One GET on a fresh connection: ok once the server has closed after a 200 with the whole body. */
export async function getOnce (host: string, port: number, path: string, bodyBytes: number, timeoutMs: number): Promise<GetOutcome> {
  return await new Promise<GetOutcome>((resolve) => {
    const chunks: Buffer[] = []
    let done = false
    const finish = (outcome: GetOutcome): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve(outcome)
    }
    const socket = connect({ host, port })
    socket.setNoDelay(true)
    const timer = setTimeout(() => { finish({ ok: false, reason: 'timeout' }) }, timeoutMs)
    socket.once('connect', () => { socket.write(`GET ${path} HTTP/1.0\r\nHost: ${host}\r\n\r\n`) })
    socket.on('data', (chunk: Buffer) => { chunks.push(chunk) })
    socket.once('error', (err: NodeJS.ErrnoException) => { finish({ ok: false, reason: err.code ?? err.message }) })
    socket.once('end', () => { finish(check(Buffer.concat(chunks), bodyBytes)) })
  })
}

function check (answer: Buffer, bodyBytes: number): GetOutcome {
  if (answer.length === 0) return { ok: false, reason: 'empty answer' }
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer.subarray(0, 16).toString('latin1'))?.[1]
  if (status !== '200') return { ok: false, reason: status === undefined ? 'not HTTP' : `HTTP ${status}` }
  const headEnd = answer.indexOf('\r\n\r\n')
  const body = headEnd < 0 ? -1 : answer.length - headEnd - 4
  return body === bodyBytes ? { ok: true } : { ok: false, reason: 'short body' }
}

/** `shape.concurrency` clients doing GETs back to back; the window after the warm-up is measured. */
export async function runGetLoad (target: GetTarget, shape: GetShape): Promise<GetRun> {
  const latencies = new Samples()
  const reasons = new Map<string, number>()
  let recording = false
  let stopped = false
  let errors = 0
  const timeoutMs = shape.timeoutMs ?? 5000
  const client = async (i: number): Promise<void> => {
    for (let n = i; !stopped; n++) {
      const a = target.addresses[n % target.addresses.length] as { host: string, port: number }
      const t0 = performance.now()
      const outcome = await getOnce(a.host, a.port, target.path, target.bodyBytes, timeoutMs)
      if (!recording) continue
      if (outcome.ok) {
        latencies.push(performance.now() - t0)
      } else {
        errors++
        reasons.set(outcome.reason, (reasons.get(outcome.reason) ?? 0) + 1)
        // A refused connection fails at once: do not spin on it.
        await sleep(10)
      }
    }
  }
  const pids = shape.serverPids ?? []
  const clients = Array.from({ length: shape.concurrency }, async (_, i) => { await client(i) })
  try {
    await sleep(shape.warmupMs)
    const serverBefore = await Promise.all(pids.map(cpuSecondsOf))
    const machineBefore = await machineJiffies()
    const tcpBefore = await tcpCounters()
    const cpuBefore = process.cpuUsage()
    const eluBefore = performance.eventLoopUtilization()
    const t0 = performance.now()
    recording = true
    await sleep(shape.durationMs)
    recording = false
    const seconds = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpuBefore)
    const elu = performance.eventLoopUtilization(eluBefore).utilization
    const machineAfter = await machineJiffies()
    const tcpAfter = await tcpCounters()
    const serverAfter = await Promise.all(pids.map(cpuSecondsOf))
    const serverSeconds = serverAfter.reduce((sum, s, i) => sum + s - (serverBefore[i] ?? Number.NaN), 0)
    const sorted = latencies.sorted()
    return {
      requestsPerSec: latencies.length / seconds,
      p50Ms: percentileSorted(sorted, 50),
      p99Ms: percentileSorted(sorted, 99),
      ok: latencies.length,
      errors,
      errorReasons: [...reasons].map(([k, v]) => `${k} ×${v}`).join(', '),
      serverCpuPct: pids.length === 0 ? Number.NaN : serverSeconds / seconds * 100,
      clientCpuPct: (cpu.user + cpu.system) / 1e3 / (seconds * 1000) * 100,
      clientElu: elu,
      machineCpuPct: (machineAfter.busy - machineBefore.busy) / 100 / seconds * 100,
      kernel: {
        outRsts: tcpAfter.outRsts - tcpBefore.outRsts,
        attemptFails: tcpAfter.attemptFails - tcpBefore.attemptFails,
        abortOnClose: tcpAfter.abortOnClose - tcpBefore.abortOnClose,
        abortOnData: tcpAfter.abortOnData - tcpBefore.abortOnData
      },
      load1: load1()
    }
  } finally {
    stopped = true
    await Promise.all(clients)
  }
}

/** Busy jiffies (all CPUs, 1/100 s each) since boot, from /proc/stat; NaN if unreadable. */
async function machineJiffies (): Promise<{ busy: number }> {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? ''
    // cpu user nice system idle iowait irq softirq steal …: busy is all but idle and iowait.
    const f = line.trim().split(/\s+/).map(Number)
    return { busy: [1, 2, 3, 6, 7, 8].reduce((sum, i) => sum + (f[i] ?? 0), 0) }
  } catch {
    return { busy: Number.NaN }
  }
}

/** The kernel's TCP counters now (/proc/net/snmp, /proc/net/netstat); NaN where unreadable. */
async function tcpCounters (): Promise<TcpCounters> {
  const field = (text: string, prefix: string, name: string): number => {
    const lines = text.split('\n').filter((l) => l.startsWith(`${prefix}:`))
    const names = (lines[0] ?? '').split(/\s+/)
    const values = (lines[1] ?? '').split(/\s+/)
    const i = names.indexOf(name)
    return i < 0 ? Number.NaN : Number(values[i])
  }
  try {
    const [snmp, netstat] = await Promise.all([readFile('/proc/net/snmp', 'utf8'), readFile('/proc/net/netstat', 'utf8')])
    return {
      outRsts: field(snmp, 'Tcp', 'OutRsts'),
      attemptFails: field(snmp, 'Tcp', 'AttemptFails'),
      abortOnClose: field(netstat, 'TcpExt', 'TCPAbortOnClose'),
      abortOnData: field(netstat, 'TcpExt', 'TCPAbortOnData')
    }
  } catch {
    return { outRsts: Number.NaN, attemptFails: Number.NaN, abortOnClose: Number.NaN, abortOnData: Number.NaN }
  }
}
