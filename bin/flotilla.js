#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=4 --expose-gc
// The `flotilla` executable: runs the compiled bundle (dist/flotilla.js, see bin/build.js),
// rebuilding it first when any source changed since it was built, so it never runs stale
// code. If the build fails (a syntax error, a read-only checkout), it says so in one line on
// stderr and runs the TypeScript sources through tsx instead, as before the bundle existed.
// The polyfill is loaded before the CLI: the bundle's imports of libp2p are evaluated before
// any code inside the bundle runs. FLOTILLA_SOURCE_MAPS=1 (or FLOTILLA_DEBUG) maps stack
// traces to the TypeScript sources.
//
// The first line starts an agent run by hand with the memory settings every launcher gives
// agents (src/agent/agent-launch.ts; a test keeps the two the same). `node bin/flotilla.js`
// skips it: launchers that run it that way pass the settings themselves.

import { spawnSync } from 'node:child_process'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { bundlePaths, isBundleFresh } from './build.js'

// `flotilla get pods | head` closes the pipe early; that is not an error.
process.stdout.on('error', err => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  if (err.code !== 'EIO') throw err
})
// Nobody left to read our log lines (the `flotilla up` that started this agent was killed, a
// closed terminal gives EIO): not a reason to die in the middle of stopping cleanly.
process.stderr.on('error', err => {
  if (err.code !== 'EPIPE' && err.code !== 'EIO') throw err
})

/**
 * Build in a child process: the esbuild module and its service never load into this one (an
 * agent keeps running for days; its memory is measured).
 * @returns {string | null} why the build failed, or null
 */
function rebuild () {
  const script = fileURLToPath(new URL('./build.js', import.meta.url))
  const r = spawnSync(process.execPath, [script, '--if-stale'], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] })
  if (r.error !== undefined) return r.error.message
  if (r.status === 0) return null
  return (r.stderr ?? '').trim().split('\n', 1)[0].replace(/^build failed: /, '') || `build exited with ${r.status ?? r.signal}`
}

/** @returns {string | null} why the bundle cannot be used, or null */
function ensureBundle () {
  try {
    return isBundleFresh() ? null : rebuild()
  } catch (err) {
    return err.message
  }
}

// msgpackr's native string extractor decodes a run of short strings as one string and hands
// out slices of it: every string of a decoded object (a stored object's uid, timestamps,
// values) then keeps the whole message's bytes alive as a string, ~300 bytes per stored
// object. Its JavaScript decoder makes strings of their own, and is as fast here. Read by
// msgpackr when it loads, so before the bundle is imported.
process.env.MSGPACKR_NATIVE_ACCELERATION_DISABLED ??= 'true'

async function loadMain () {
  const problem = ensureBundle()
  if (problem === null) {
    const paths = bundlePaths()
    // Source maps make stack traces name the .ts files, but Node then also reads and keeps
    // the maps of every dependency that ships one (libp2p's do): 7-11 MiB more per agent. So
    // only on request; without them traces name dist/chunk-*.js lines and the original
    // function names (kept by the build).
    if (process.env.FLOTILLA_SOURCE_MAPS === '1' || process.env.FLOTILLA_DEBUG !== undefined) process.setSourceMapsEnabled(true)
    await import(pathToFileURL(paths.polyfill).href)
    return (await import(pathToFileURL(paths.main).href)).main
  }
  process.stderr.write(`flotilla: could not build dist/flotilla.js (${problem}); running the TypeScript sources with tsx\n`)
  const { register } = await import('tsx/esm/api')
  register()
  await import('../polyfill.ts')
  return (await import('../src/cli/main.ts')).main
}

// FLOTILLA_MEMORY_LOG=SECONDS: a line on stderr every SECONDS with where the memory is
// (V8 heap, ArrayBuffers, the rest of RSS is native: LevelDB, malloc, code), for profiling.
const memoryLogSeconds = Number(process.env.FLOTILLA_MEMORY_LOG ?? 0)
if (memoryLogSeconds > 0) {
  const mib = (bytes) => (bytes / 2 ** 20).toFixed(1)
  setInterval(() => {
    const m = process.memoryUsage()
    process.stderr.write(`memory: rss ${mib(m.rss)} MiB, V8 heap ${mib(m.heapUsed)} used of ${mib(m.heapTotal)}, external ${mib(m.external)} (ArrayBuffers ${mib(m.arrayBuffers)})\n`)
  }, memoryLogSeconds * 1000).unref()
}

const main = await loadMain()
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr })
