// hashId is MurmurHash3 x86_128 (seed 0) over UTF-16LE code units: the expected words are the
// reference implementation's (Python mmh3 5.3, hash128(s.encode('utf-16-le'), 0,
// x64arch=False)), so every node, whatever its platform, hashes an id the same way.

import { describe, expect, it } from 'vitest'
import { hashId } from '../../raft/id-hash.ts'

const REFERENCE: Array<[string, number[]]> = [
  ['', [0x0, 0x0, 0x0, 0x0]],
  ['a', [0x33bb196, 0xccef4fe1, 0xccef4fe1, 0xccef4fe1]],
  ['abcdefg', [0x851fde5e, 0xf81a9aab, 0x2a351f32, 0xfa8e8ca7]],
  ['abcdefgh', [0x6c357655, 0x8df898a1, 0xa76d230d, 0x42147114]],
  ['3f2c8a1e-5b6d-4c7e-9f80-1a2b3c4d5e6f', [0x9b9a69cf, 0xa5461bbe, 0xca6bf3bc, 0x8f138a14]],
  ['ünï', [0x3dcdd109, 0xddef4b09, 0x981cf860, 0x981cf860]]
]

describe('hashId', () => {
  it.each(REFERENCE)('hashes %j as the reference MurmurHash3 x86_128 does', (id, words) => {
    const out = new Uint32Array(4)
    hashId(id, out)
    expect([...out]).toEqual(words)
  })

  it('writes at the offset it is given', () => {
    const out = new Uint32Array(8)
    hashId('a', out, 4)
    expect([...out]).toEqual([0, 0, 0, 0, 0x33bb196, 0xccef4fe1, 0xccef4fe1, 0xccef4fe1])
  })
})
