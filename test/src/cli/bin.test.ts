// The installed entry point: `node bin/flotilla.js` loads TypeScript through tsx and runs the
// CLI as a real process, with exit codes.

import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FAKE_TOKEN, startFakeApiServer, type FakeApiServer } from './fake-api-server.ts'

const BIN = fileURLToPath(new URL('../../../bin/flotilla.js', import.meta.url))

function flotilla (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise(resolve => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, KUBECONFIG: '' }, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1
      resolve({ code, stdout, stderr })
    })
  })
}

let api: FakeApiServer

beforeAll(async () => { api = await startFakeApiServer({ now: () => Date.now() }) })
afterAll(async () => await api.close())

describe('bin/flotilla.js', () => {
  it('prints usage for --help and exits 0', async () => {
    const r = await flotilla(['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Usage:\n  flotilla VERB [ARGS] [flags]')
    expect(r.stdout).toContain('apply')
  })

  it('talks to a server and exits 2 on an unknown verb', async () => {
    const ok = await flotilla(['get', 'nodes', '--server', api.url, '--token', FAKE_TOKEN])
    expect(ok).toMatchObject({ code: 0, stdout: '', stderr: 'No resources found\n' })
    expect((await flotilla(['nope'])).code).toBe(2)
  })
})
