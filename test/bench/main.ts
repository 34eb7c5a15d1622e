// `npm run bench`: runs the benchmark suites (test/bench/suites.ts), prints a table per
// suite on stdout (progress goes to stderr) and, with --json FILE, writes every result as
// JSON. Benchmarks never run in the test suite; targets are in DESIGN.md ("Targets").
//
//   --only NAME   run only the suites whose name contains NAME (repeatable)
//   --quick       short durations, one repetition: a smoke test of the harness
//   --json FILE   also write the results to FILE

import '../../polyfill.ts'
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { hostInfo } from './host.ts'
import { formatResult } from './report.ts'
import { suites } from './suites.ts'
import type { SuiteResult } from './types.ts'

const USAGE = 'usage: npm run bench -- [--only NAME]... [--quick] [--json FILE]'

async function main (): Promise<number> {
  let args
  try {
    args = parseArgs({
      options: {
        only: { type: 'string', multiple: true },
        quick: { type: 'boolean', default: false },
        json: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false }
      }
    }).values
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`)
    return 2
  }
  if (args.help === true) {
    console.log(`${USAGE}\nsuites:\n${suites.map((s) => `  ${s.name}: ${s.description}`).join('\n')}`)
    return 0
  }
  const only = args.only ?? []
  const selected = suites.filter((s) => only.length === 0 || only.some((o) => s.name.includes(o)))
  if (selected.length === 0) {
    console.error(`No suite matches --only ${only.join(', ')}: choose from ${suites.map((s) => s.name).join(', ')}`)
    return 2
  }

  const quick = args.quick === true
  const log = (line: string): void => { console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`) }
  const startedAt = new Date().toISOString()
  const results: SuiteResult[] = []
  const failures: Array<{ suite: string, error: string }> = []
  for (const suite of selected) {
    log(`${suite.name}: start${quick ? ' (quick)' : ''}`)
    try {
      const result = await suite.run({ quick, log })
      results.push(result)
      console.log(`${formatResult(result)}\n`)
    } catch (err) {
      const error = (err as Error).stack ?? String(err)
      failures.push({ suite: suite.name, error })
      console.error(`${suite.name} failed: ${error}`)
    }
  }

  if (args.json !== undefined) {
    const report = { startedAt, finishedAt: new Date().toISOString(), host: hostInfo(), options: { quick, only }, results, failures }
    await writeFile(args.json, `${JSON.stringify(report, null, 2)}\n`)
    log(`results written to ${args.json}`)
  }
  return failures.length > 0 ? 1 : 0
}

process.exitCode = await main()
// Everything a suite starts must be stopped by the time it returns; if something still keeps
// the process alive, say what instead of hanging.
setTimeout(() => {
  console.error(`The benchmark finished but the process is still alive; open resources: ${process.getActiveResourcesInfo().join(', ')}`)
  process.exit(1)
}, 10_000).unref()
