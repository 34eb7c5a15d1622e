// Every way an agent starts gets the same memory settings: the launchers use agent-launch.ts,
// and bin/flotilla.js's first line (an agent started by hand) must say the same.

import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { AGENT_ENV, AGENT_NODE_ARGS, agentEnv } from '../../../src/agent/agent-launch.ts'

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../..')

describe('agent launch settings', () => {
  it('bin/flotilla.js starts node with the same options and environment', async () => {
    const first = (await readFile(join(REPO, 'bin', 'flotilla.js'), 'utf8')).split('\n', 1)[0]
    const env = Object.entries(AGENT_ENV).map(([k, v]) => `${k}=${v}`)
    expect(first).toBe(`#!/usr/bin/env -S ${[...env, 'node', ...AGENT_NODE_ARGS].join(' ')}`)
  })

  it('node accepts the options, and the process sees the environment', async () => {
    const script = 'console.log(JSON.stringify({ arenas: process.env.MALLOC_ARENA_MAX, mmap: process.env.MALLOC_MMAP_THRESHOLD_, execArgv: process.execArgv }))'
    const { stdout } = await promisify(execFile)(process.execPath, [...AGENT_NODE_ARGS, '-e', script], { env: agentEnv({ PATH: process.env.PATH }) })
    expect(JSON.parse(stdout)).toEqual({ arenas: '2', mmap: '131072', execArgv: [...AGENT_NODE_ARGS, '-e', script] })
  })

  it('keeps a value the caller already set', () => {
    expect(agentEnv({ MALLOC_ARENA_MAX: '8' }).MALLOC_ARENA_MAX).toBe('8')
  })
})
