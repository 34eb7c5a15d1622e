// Runs the `flotilla` CLI in-process against a server URL with a token, capturing output:
// for tests that pair the CLI with a real API server.

import { tmpdir } from 'node:os'
import { main } from '../../../src/cli/main.ts'

export interface CliOutcome { code: number, out: string, err: string }

export async function runCliAgainst (url: string, token: string, argv: string[]): Promise<CliOutcome> {
  let out = ''
  let err = ''
  const code = await main([...argv, '-s', url, '--token', token], {
    stdout: { write: (s: string) => { out += s } },
    stderr: { write: (s: string) => { err += s } },
    env: {},
    cwd: tmpdir(),
    home: tmpdir()
  })
  return { code, out, err }
}
