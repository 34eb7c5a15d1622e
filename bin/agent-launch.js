// How an agent process is started: the Node options and environment every agent runs with, and
// the re-exec that gives them to an agent started by hand (`./bin/flotilla.js agent …`).
// Plain JavaScript because bin/flotilla.js reads it before anything is compiled; the
// launchers in TypeScript (`flotilla up`, the benchmarks, the e2e harness) take the same values
// through src/agent/agent-launch.ts. One place, so every agent has the same memory settings.
//
// Why these settings (measured on agents idle after a load run):
// - V8's young generation may grow to 3 × 16 MiB semi-spaces under load and is shrunk only
//   after V8 has seen the process idle for a while; 4 MiB semi-spaces keep it small for good.
// - glibc gives each thread that mallocs (LevelDB's, libuv's pool) an arena of its own, and
//   freed memory in an arena is rarely returned to the system; two arenas hold the same work.
//   MALLOC_ARENA_MAX is read by glibc when the process starts, so it must be in the
//   environment the agent is started with.
// - glibc serves an allocation from its heap arena unless it is at least the mmap threshold,
//   and by default raises that threshold to the size of a freed large buffer (a snapshot's:
//   tens of MiB) and its trim threshold to twice that: every later buffer below it then
//   comes from the arena, and what is freed there stays as holes. Measured 60 s after 100k
//   writes: 68 MiB of arena of which 17 MiB in use. A fixed MALLOC_MMAP_THRESHOLD_ (glibc's
//   own default, 128 KiB) turns that adjustment off: arena 28-42 MiB, RSS 25-30 MiB lower,
//   same writes/s. (4 KiB halves the arena again, but mapping every page-sized buffer, one
//   per socket read, cost 8% of the writes/s at 64 clients; 8-32 KiB gained nothing.)
// - --expose-gc lets the agent collect a load's garbage once it is idle (idle-gc.ts).
//
// Why a re-exec and not the shebang: `#!/usr/bin/env -S VAR=… node --flag` needs `env -S`,
// which BusyBox and older GNU coreutils lack, and it overrides a MALLOC_ARENA_MAX the user set.
// Only the long-running `agent` verb pays for it; other verbs run at once.

import { spawn } from 'node:child_process'
import { constants } from 'node:os'

/** Node options for an agent process, before the script. */
export const AGENT_NODE_ARGS = Object.freeze(['--max-semi-space-size=4', '--expose-gc'])

/** Environment variables an agent process starts with (a value already set in the environment wins). */
export const AGENT_ENV = Object.freeze({ MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' })

/** Set in the environment of a re-executed agent: it never re-executes again. */
export const RELAUNCHED_ENV = 'FLOTILLA_AGENT_RELAUNCHED'

/** Also named in src/agent/agent-launch.ts (STOP_WITH_PARENT_ENV), where the agent reads it. */
const STOP_WITH_PARENT_ENV = 'FLOTILLA_STOP_WITH_PARENT'

/** Global flags that take a value (src/cli/args.ts CONNECTION_FLAGS; a test keeps them the same). */
export const VALUE_FLAGS = Object.freeze(['--kubeconfig', '--context', '--data-dir', '-s', '--server', '--token', '-n', '--namespace'])

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP']

/**
 * Whether `argv` (the arguments after the script) runs the agent verb without the launch
 * settings in effect, so bin/flotilla.js should re-execute node with them.
 * @param {readonly string[]} argv
 * @param {readonly string[]} [execArgv]
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {boolean}
 */
export function needsAgentRelaunch (argv, execArgv = process.execArgv, env = process.env) {
  if (env[RELAUNCHED_ENV] !== undefined) return false
  if (verbOf(argv) !== 'agent' || argv.includes('--help') || argv.includes('-h')) return false
  const inEffect = AGENT_NODE_ARGS.every((a) => execArgv.includes(a)) && Object.keys(AGENT_ENV).every((k) => env[k] !== undefined)
  return !inEffect
}

/**
 * The verb: the first argument that is neither a flag nor a global flag's value (as findVerb
 * in src/cli/main.ts).
 * @param {readonly string[]} argv
 * @returns {string | undefined}
 */
function verbOf (argv) {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--') return undefined
    if (!a.startsWith('-')) return a
    if (VALUE_FLAGS.includes(a)) i++
  }
  return undefined
}

/**
 * Run `script` with `args` in a new node with the launch settings, and become its shadow:
 * SIGINT, SIGTERM and SIGHUP go to it, and this process exits as it does (same code, or the
 * same signal). stdin, stdout and stderr are shared.
 *
 * The child gets a session of its own, so a Ctrl-C in the terminal reaches it once (through
 * here) instead of twice (the terminal's and ours): an agent stops cleanly on the first and is
 * killed at once by a second. It stops as well when this process dies without passing a
 * signal on (SIGKILL): it watches us (STOP_WITH_PARENT_ENV), as agents of `flotilla up` do.
 * @param {string} script
 * @param {readonly string[]} args
 * @returns {import('node:child_process').ChildProcess}
 */
export function relaunchAgent (script, args) {
  const nodeArgs = [...process.execArgv, ...AGENT_NODE_ARGS.filter((a) => !process.execArgv.includes(a))]
  // Our own launcher asked to be watched: we watch it and pass the stop on.
  const watched = Number(process.env[STOP_WITH_PARENT_ENV] ?? 0)
  const env = { ...AGENT_ENV, ...process.env, [RELAUNCHED_ENV]: '1', [STOP_WITH_PARENT_ENV]: String(process.pid) }
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], { env, stdio: 'inherit', detached: true })
  /** @type {Record<string, () => void>} */
  const forwarders = {}
  for (const signal of FORWARDED_SIGNALS) {
    forwarders[signal] = () => { child.kill(signal) }
    process.on(signal, forwarders[signal])
  }
  if (watched > 0) {
    setInterval(() => { if (process.ppid !== watched) child.kill('SIGTERM') }, 1000).unref()
  }
  child.once('error', (err) => {
    process.stderr.write(`flotilla: could not start the agent (${err.message})\n`)
    process.exit(1)
  })
  child.once('exit', (code, signal) => {
    if (signal === null) process.exit(code ?? 1)
    // Die of the same signal, so whoever started us sees what happened to the agent.
    for (const s of FORWARDED_SIGNALS) process.off(s, forwarders[s])
    // A signal node ignores (SIGPIPE) leaves us running: then exit as a shell would report it.
    process.exitCode = 128 + (constants.signals[signal] ?? 0)
    process.kill(process.pid, signal)
  })
  return child
}
