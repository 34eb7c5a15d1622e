// bin/flotilla, the shell script npm installs as the `flotilla` command: `flotilla agent` runs
// node with the agents' launch settings in place of the shell (same pid: no extra process),
// other verbs run node plainly. A stand-in for bin/flotilla.js reports what it got.

import { execFile } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AGENT_ENV, AGENT_NODE_ARGS, VALUE_FLAGS } from '../../bin/agent-launch.js'
import { REPO } from '../../bin/build.js'

const SCRIPT = join(REPO, 'bin', 'flotilla')
let dir = ''

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-sh-'))
  copyFileSync(SCRIPT, join(dir, 'flotilla'))
  writeFileSync(join(dir, 'flotilla.js'), 'console.log(JSON.stringify({ pid: process.pid, execArgv: process.execArgv, arenas: process.env.MALLOC_ARENA_MAX ?? null, args: process.argv.slice(2) }))\n')
})

afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

interface Report { pid: number, execArgv: string[], arenas: string | null, args: string[] }

/** Run the script under sh and read the stand-in's report; `pid` is the shell's. */
async function run (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Report & { shellPid: number }> {
  const child = execFile('sh', [join(dir, 'flotilla'), ...args], { env: { PATH: process.env.PATH, ...env } })
  const shellPid = child.pid as number
  const stdout = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (c: Buffer) => { out += c.toString() })
    child.once('error', reject)
    child.once('exit', (code) => { code === 0 ? resolve(out) : reject(new Error(`sh exited with ${code}`)) })
  })
  return { ...(JSON.parse(stdout) as Report), shellPid }
}

describe('bin/flotilla', () => {
  it('agent: node with the launch settings replaces the shell, arguments unchanged', async () => {
    const r = await run(['agent', '--data-dir', 'd', '--runtime', 'fake'])
    expect(r.execArgv).toEqual([...AGENT_NODE_ARGS])
    expect(r.arenas).toBe(AGENT_ENV.MALLOC_ARENA_MAX)
    expect(r.args).toEqual(['agent', '--data-dir', 'd', '--runtime', 'fake'])
    expect(r.pid).toBe(r.shellPid)
  })

  it("agent keeps the user's MALLOC_ARENA_MAX; a global flag's value before the verb is not the verb", async () => {
    expect((await run(['--data-dir', 'x', 'agent'], { MALLOC_ARENA_MAX: '8' })).arenas).toBe('8')
    const notAgent = await run(['--data-dir', 'agent', 'get', 'pods'])
    expect(notAgent.execArgv).toEqual([])
    expect(notAgent.arenas).toBeNull()
  })

  it('other verbs run node plainly, in place of the shell too', async () => {
    const r = await run(['get', 'pods', '-n', 'kube-system'])
    expect(r).toMatchObject({ execArgv: [], arenas: null, args: ['get', 'pods', '-n', 'kube-system'] })
    expect(r.pid).toBe(r.shellPid)
  })

  it('names the same settings and value flags as bin/agent-launch.js', () => {
    const text = readFileSync(SCRIPT, 'utf8')
    expect(text).toContain(`exec node ${AGENT_NODE_ARGS.join(' ')} "$here/flotilla.js" "$@"`)
    for (const [name, value] of Object.entries(AGENT_ENV)) expect(text).toContain(`${name}=\${${name}:-${value}}`)
    expect(text).toContain(`    ${VALUE_FLAGS.join('|')}) skip=1 ;;`)
  })
})
