// How an agent process is started: the Node options and environment every launcher gives it
// (`flotilla up`, the benchmarks, the e2e harness; bin/flotilla.js's first line does the same
// for an agent started by hand). One place, so every agent runs with the same memory settings.
//
// Why (measured on agents idle after a load run):
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

/** Node options for an agent process, before the script. */
export const AGENT_NODE_ARGS: readonly string[] = ['--max-semi-space-size=4', '--expose-gc']

/** Environment variables an agent process starts with (a value already set in the environment wins). */
export const AGENT_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' }

/** `base` plus AGENT_ENV, for spawning an agent. */
export function agentEnv (base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...AGENT_ENV, ...base }
}

/**
 * Set to a launcher's pid in an agent's environment: the agent stops (as on SIGTERM) once its
 * parent is no longer that process. `flotilla up` sets it for the agents it starts.
 */
export const STOP_WITH_PARENT_ENV = 'FLOTILLA_STOP_WITH_PARENT'
