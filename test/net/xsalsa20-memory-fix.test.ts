// The pnet cipher (xsalsa20) shares one WebAssembly memory between all ciphers; without the
// fix, large messages on several connections grow it to its maximum and the next update throws
// from a socket handler, killing the agent.

import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import '../../net/xsalsa20-memory-fix.ts'

type Cipher = { update: (input: Uint8Array, output?: Uint8Array) => Uint8Array }
const xsalsa20 = createRequire(import.meta.url)('xsalsa20') as (nonce: Uint8Array, key: Uint8Array) => Cipher

describe('xsalsa20 shared-memory fix', () => {
  it('several ciphers encrypt many large chunks without exhausting the shared memory', () => {
    const ciphers = Array.from({ length: 4 }, (_, i) => xsalsa20(new Uint8Array(24).fill(i), new Uint8Array(32).fill(7)))
    const chunk = new Uint8Array(700 * 1024).fill(1)
    for (let round = 0; round < 150; round++) {
      for (const c of ciphers) expect(() => c.update(chunk)).not.toThrow()
    }
  })

  it('still encrypts correctly: the same key and nonce give the same stream', () => {
    const a = xsalsa20(new Uint8Array(24), new Uint8Array(32).fill(3))
    const b = xsalsa20(new Uint8Array(24), new Uint8Array(32).fill(3))
    const big = new Uint8Array(900 * 1024).fill(5)
    a.update(big)
    b.update(big)
    const x = a.update(new Uint8Array(64).fill(9))
    const y = b.update(new Uint8Array(64).fill(9))
    expect(Buffer.from(x).equals(Buffer.from(y))).toBe(true)
  })
})
