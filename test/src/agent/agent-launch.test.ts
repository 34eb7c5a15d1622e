// Every way an agent starts gets the same memory settings: the launchers use agent-launch.ts,
// and bin/flotilla.js re-executes an agent started by hand with the same (bin/agent-launch.js).

import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { RELAUNCHED_ENV, VALUE_FLAGS, needsAgentRelaunch } from '../../../bin/agent-launch.js'
import { AGENT_ENV, AGENT_NODE_ARGS, agentEnv } from '../../../src/agent/agent-launch.ts'
import { CONNECTION_FLAGS } from '../../../src/cli/args.ts'
import { findVerb } from '../../../src/cli/main.ts'

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../..')
const SETTINGS_ENV = { ...AGENT_ENV }

describe('agent launch settings', () => {
  it('bin/flotilla.js starts with a plain node shebang (no `env -S`, which BusyBox and older coreutils lack)', async () => {
    const first = (await readFile(join(REPO, 'bin', 'flotilla.js'), 'utf8')).split('\n', 1)[0]
    expect(first).toBe('#!/usr/bin/env node')
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

describe('needsAgentRelaunch', () => {
  it('re-executes `agent` run without the settings, and nothing else', () => {
    expect(needsAgentRelaunch(['agent', '--data-dir', 'd'], [], {})).toBe(true)
    expect(needsAgentRelaunch(['--data-dir', 'd', 'agent'], [], {})).toBe(true)
    for (const argv of [['get', 'pods'], ['apply', '-f', 'agent'], ['-n', 'agent', 'get', 'pods'], ['up'], [], ['agent', '--help'], ['agent', '-h']]) {
      expect(needsAgentRelaunch(argv, [], {}), argv.join(' ')).toBe(false)
    }
  })

  it('not when the launcher passed the settings (flotilla up, bench, e2e), whatever MALLOC_ARENA_MAX the user chose', () => {
    expect(needsAgentRelaunch(['agent'], [...AGENT_NODE_ARGS], SETTINGS_ENV)).toBe(false)
    expect(needsAgentRelaunch(['agent'], ['--inspect', ...AGENT_NODE_ARGS], { ...SETTINGS_ENV, MALLOC_ARENA_MAX: '8' })).toBe(false)
    // Half of them is not in effect.
    expect(needsAgentRelaunch(['agent'], [...AGENT_NODE_ARGS], {})).toBe(true)
    expect(needsAgentRelaunch(['agent'], [], SETTINGS_ENV)).toBe(true)
  })

  it('never twice: a re-executed agent carries a marker', () => {
    expect(needsAgentRelaunch(['agent'], [], { [RELAUNCHED_ENV]: '1' })).toBe(false)
  })

  it('finds the verb as the CLI does (the same value flags)', () => {
    const cli = CONNECTION_FLAGS.filter((f) => f.type === 'string').flatMap((f) => [`--${f.name}`, ...(f.short !== undefined ? [`-${f.short}`] : [])])
    expect([...VALUE_FLAGS].sort()).toEqual(cli.sort())
    for (const argv of [['--kubeconfig', 'k', 'agent'], ['-s', 'agent', 'get'], ['--', 'agent'], ['-v', 'agent']]) {
      expect(needsAgentRelaunch(argv, [], {}), argv.join(' ')).toBe(findVerb(argv)?.name === 'agent')
    }
  })
})
