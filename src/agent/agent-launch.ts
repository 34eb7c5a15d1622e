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
// - glibc serves an allocation from its heap arena unless it is at least the mmap threshold;
//   what is freed inside the arena stays there, as holes among longer-lived allocations
//   (LevelDB's 4 KiB memtable blocks, network buffers, msgpack buffers). By default the
//   threshold also rises to the size of a freed large buffer (a snapshot's: tens of MiB),
//   after which those go to the arena too. Measured 60 s after 100k writes: 68 MiB of arena
//   of which 17 MiB in use. A fixed MALLOC_MMAP_THRESHOLD_ of 4 KiB gives every allocation
//   of a page or more its own mapping, returned to the system when freed: the arena then
//   held 17-21 MiB (7 in use), RSS 30-40 MiB lower, writes/s the same. (16 and 32 KiB gave
//   no gain over 128 KiB: the holes are made by page-sized allocations.) MALLOC_MMAP_MAX_
//   bounds the mappings glibc makes this way (past it, the arena again), far below the
//   kernel's 65,530 per process that V8's own mappings also need.
// - --expose-gc lets the agent collect a load's garbage once it is idle (idle-gc.ts).

/** Node options for an agent process, before the script. */
export const AGENT_NODE_ARGS: readonly string[] = ['--max-semi-space-size=4', '--expose-gc']

/** Environment variables an agent process starts with (a value already set in the environment wins). */
export const AGENT_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '4096', MALLOC_MMAP_MAX_: '16384' }

/** `base` plus AGENT_ENV, for spawning an agent. */
export function agentEnv (base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...AGENT_ENV, ...base }
}

/**
 * Set to a launcher's pid in an agent's environment: the agent stops (as on SIGTERM) once its
 * parent is no longer that process. `flotilla up` sets it for the agents it starts.
 */
export const STOP_WITH_PARENT_ENV = 'FLOTILLA_STOP_WITH_PARENT'
