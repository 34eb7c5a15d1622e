// bin/agent-launch.js relaunchAgent: the process bin/flotilla.js becomes when `flotilla agent`
// is started without the launch settings. Real processes: a wrapper that relaunches a small
// stand-in for the agent, which reports what it was started with and which signals reach it.

import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { REPO } from '../../bin/build.js'
import { AGENT_NODE_ARGS, RELAUNCHED_ENV } from '../../bin/agent-launch.js'

const STAND_IN = `
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(s, () => {
    console.log('got ' + s)
    // Long enough for a second copy of the signal to show up if one were sent.
    setTimeout(() => { process.exit(3) }, 300)
  })
}
// Only now: the test sends its signals once it read this line.
console.log(JSON.stringify({
  execArgv: process.execArgv,
  arenas: process.env.MALLOC_ARENA_MAX,
  relaunched: process.env.${RELAUNCHED_ENV},
  watchesParent: process.env.FLOTILLA_STOP_WITH_PARENT === String(process.ppid),
  args: process.argv.slice(2)
}))
if (process.argv[2] === 'die') process.kill(process.pid, 'SIGKILL')
setInterval(() => {}, 1000)
`

let dir = ''
const running = new Set<ChildProcess>()

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-relaunch-'))
  writeFileSync(join(dir, 'agent.mjs'), STAND_IN)
  writeFileSync(join(dir, 'wrapper.mjs'), `import { relaunchAgent } from ${JSON.stringify(pathToFileURL(join(REPO, 'bin', 'agent-launch.js')).href)}\nrelaunchAgent(process.argv[2], process.argv.slice(3))\n`)
})

afterEach(() => {
  for (const p of running) if (p.exitCode === null && p.signalCode === null && p.pid !== undefined) process.kill(p.pid, 'SIGKILL')
  running.clear()
  rmSync(dir, { recursive: true, force: true })
})

interface Run {
  wrapper: ChildProcess
  /** The stand-in's first line. */
  started: Promise<{ execArgv: string[], arenas?: string, relaunched?: string, watchesParent: boolean, args: string[] }>
  lines: string[]
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

/** The wrapper in a process group of its own, as a shell runs a foreground job. */
function start (args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const wrapper = spawn(process.execPath, [join(dir, 'wrapper.mjs'), join(dir, 'agent.mjs'), ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'inherit'], detached: true })
  running.add(wrapper)
  const lines: string[] = []
  let buffered = ''
  let first: (v: unknown) => void = () => {}
  const started = new Promise((resolve) => { first = resolve })
  wrapper.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
    const parts = buffered.split('\n')
    buffered = parts.pop() ?? ''
    for (const line of parts) {
      if (lines.length === 0) first(JSON.parse(line))
      lines.push(line)
    }
  })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => { wrapper.once('exit', (code, signal) => { resolve({ code, signal }) }) })
  return { wrapper, started: started as Run['started'], lines, exited }
}

describe('relaunchAgent', () => {
  it('starts the agent with the node options and MALLOC_ARENA_MAX=2, its arguments, a marker, and a watch on this process', async () => {
    const run = start(['--data-dir', 'd'])
    const s = await run.started
    expect(s.execArgv).toEqual([...AGENT_NODE_ARGS])
    expect(s).toMatchObject({ arenas: '2', relaunched: '1', watchesParent: true, args: ['--data-dir', 'd'] })
    process.kill(run.wrapper.pid as number, 'SIGTERM')
    expect(await run.exited).toEqual({ code: 3, signal: null })
    expect(run.lines.slice(1)).toEqual(['got SIGTERM'])
  })

  it("keeps the user's MALLOC_ARENA_MAX", async () => {
    const run = start([], { MALLOC_ARENA_MAX: '8' })
    expect((await run.started).arenas).toBe('8')
    process.kill(run.wrapper.pid as number, 'SIGHUP')
    expect(await run.exited).toEqual({ code: 3, signal: null })
    expect(run.lines.slice(1)).toEqual(['got SIGHUP'])
  })

  it('a Ctrl-C in the terminal (SIGINT to the whole foreground group) reaches the agent once', async () => {
    const run = start([])
    await run.started
    process.kill(-(run.wrapper.pid as number), 'SIGINT')
    expect(await run.exited).toEqual({ code: 3, signal: null })
    expect(run.lines.slice(1)).toEqual(['got SIGINT'])
  })

  it('dies of the signal the agent died of', async () => {
    const run = start(['die'])
    expect(await run.exited).toEqual({ code: null, signal: 'SIGKILL' })
  })
})
