// Durations as kubectl and Go's time.ParseDuration take them, and the flags that use them.

import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { parseDuration } from '../../../src/cli/duration.ts'
import { main } from '../../../src/cli/main.ts'

describe('parseDuration', () => {
  it.each([
    ['4s', 4000], ['500ms', 500], ['1.5s', 1500], ['.5s', 500], ['1m30s', 90_000], ['2h', 7_200_000], ['0', 0], ['0s', 0], ['1500us', 1.5]
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  it.each(['', '4', 's', '4s5', '-1s', '1d', '4 s'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined()
  })
})

describe('agent timing flags', () => {
  it('refuses a duration without a unit before starting anything', async () => {
    let err = ''
    const code = await main(['agent', '--data-dir', '/nonexistent/never-created', '--pod-eviction-timeout', '3'], {
      stdout: { write: () => {} },
      stderr: { write: (s: string) => { err += s } },
      stdin: Readable.from(['']),
      env: {}
    })
    expect(code).toBe(2)
    expect(err).toContain('invalid value "3" for --pod-eviction-timeout: give a duration such as 500ms, 4s or 1m30s')
  })
})
