// CLI of the deterministic simulator:
//   npm run sim -- --seeds N [--from F] [--seed S] [--steps M] [--nodes K] [--trace T] [--verbose] [--bug B]
// Runs seeds F..F+N-1 (F defaults to 1), or only S. --bug injects a known defect (see
// InjectedBug in config.ts) to watch the checker catch it. Prints "N seeds, 0 violations" and exits 0, or stops at the
// first violation: prints the seed, the violation, the last T events and the command that
// reproduces it, and exits 1.
import '../../polyfill.ts'
import { parseArgs } from 'node:util'
import { DEFAULT_STEPS, type InjectedBug } from './config.ts'
import { runSeed, type SimResult } from './simulator.ts'

const USAGE = 'usage: npm run sim -- --seeds N [--from F] [--seed S] [--steps M] [--nodes K] [--trace T] [--verbose] [--bug ack-before-persist|forget-vote|empty-snapshot|local-read]'
const BUGS: readonly InjectedBug[] = ['ack-before-persist', 'forget-vote', 'empty-snapshot', 'local-read']

function positive (name: string, value: string | undefined, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 1) {
    console.error(`--${name} must be a positive integer, got "${value}"\n${USAGE}`)
    process.exit(2)
  }
  return n
}

function main (): void {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string' },
      seed: { type: 'string' },
      from: { type: 'string' },
      steps: { type: 'string' },
      nodes: { type: 'string' },
      trace: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      bug: { type: 'string' },
      help: { type: 'boolean', default: false }
    }
  })
  if (values.help === true) {
    console.log(USAGE)
    return
  }
  const seed = positive('seed', values.seed, undefined)
  const seeds = positive('seeds', values.seeds, seed === undefined ? 100 : undefined)
  const steps = positive('steps', values.steps, DEFAULT_STEPS) as number
  const nodes = positive('nodes', values.nodes, undefined)
  const traceSize = positive('trace', values.trace, 200) as number
  const from = positive('from', values.from, 1) as number
  const bug = BUGS.find((b) => b === values.bug) ?? null
  if (values.bug !== undefined && bug === null) {
    console.error(`--bug must be one of ${BUGS.join(', ')}, got "${values.bug}"\n${USAGE}`)
    process.exit(2)
  }
  const list = seed !== undefined ? [seed] : Array.from({ length: seeds ?? 0 }, (_, i) => from + i)

  const started = performance.now()
  let totalSteps = 0
  for (const s of list) {
    const result = runSeed(s, { steps, bug, ...(nodes !== undefined ? { nodes } : {}) }, traceSize)
    totalSteps += result.steps
    if (values.verbose === true || seed !== undefined) console.log(summary(result))
    else if (list.length >= 1000 && (s - from + 1) % 1000 === 0) console.log(`... ${s - from + 1}/${list.length} seeds ok`)
    if (!result.ok) {
      report(result, steps, nodes, bug)
      // Not process.exit(): it can cut off output still being written to a pipe.
      process.exitCode = 1
      return
    }
  }
  const secs = ((performance.now() - started) / 1000).toFixed(1)
  console.log(`${list.length} seeds, 0 violations (${totalSteps} steps in ${secs} s)`)
}

function summary (r: SimResult): string {
  const c = r.counters
  return `seed ${r.seed}: ${r.ok ? 'ok' : 'VIOLATION'} — ${r.steps} steps, ${c.committed} committed, max term ${c.maxTerm}, ` +
    `${c.proposals} proposals (${c.forwarded} forwarded), ${c.selfCommits} follower self-commits, ${c.readsServed}/${c.reads} reads served, ${c.crashes} crashes, ${c.partitions} partitions, ` +
    `${c.confChanges} conf changes, ${c.transfers} transfers, ${c.snapshotsTaken} snapshots taken, ${c.snapshotsInstalled} installed, at most ${c.maxInFlight} messages in flight`
}

function report (r: SimResult, steps: number, nodes: number | undefined, bug: InjectedBug | null): void {
  console.log(`\nseed ${r.seed} FAILED at step ${r.steps}:\n  ${r.violation ?? ''}\n`)
  const { raft, net, disk, rates, snapshot } = r.config
  console.log(`config: ${r.config.nodes} nodes; raft ${JSON.stringify(raft)}; network ${JSON.stringify(net)}; disk ${JSON.stringify(disk)}; ` +
    `rates ${JSON.stringify(rates)}; snapshot ${JSON.stringify(snapshot)}${r.config.bug !== null ? `; injected bug ${r.config.bug}` : ''}\n`)
  console.log(`last ${r.trace.length} events (step  event):`)
  for (const line of r.trace) console.log(line)
  const extra = (nodes !== undefined ? ` --nodes ${nodes}` : '') + (bug !== null ? ` --bug ${bug}` : '')
  console.log(`\nseed ${r.seed} FAILED: ${r.violation ?? ''}`)
  console.log(`reproduce: npm run sim -- --seed ${r.seed} --steps ${steps}${extra}`)
}

main()
