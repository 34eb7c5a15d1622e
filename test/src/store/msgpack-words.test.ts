// msgpack-words: common words as tokens in the bytes the store holds. What the store relies
// on: expand(compact(bytes)) gives back exactly the bytes, for any msgpack msgpackr writes
// (every type and header size), and stored objects get smaller.

import { Packr } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { Rng } from '../../sim/rng.ts'
import { compact, expand, expandedLength, expandInto } from '../../../src/store/msgpack-words.ts'

const packr = new Packr({ useRecords: false })
const WORDISH = ['apiVersion', 'v1', 'default', 'name', 'kind', 'Secret', 'ConfigMap', 'x', 'namespaces', 'defaults', 'data', '']

function randomValue (rng: Rng, depth: number): unknown {
  switch (rng.int(0, depth > 3 ? 6 : 9)) {
    case 0: return rng.pick(WORDISH)
    case 1: return rng.pick([0, 1, -1, 127, 128, -33, 255, 256, 65_535, 65_536, 2 ** 31, -(2 ** 31) - 1, 2 ** 40, 1.5, -0.25, 1e300])
    case 2: return rng.pick([null, true, false])
    case 3: return 'v'.repeat(rng.pick([31, 32, 255, 256, 70_000])) + rng.pick(WORDISH)
    case 4: return new Uint8Array(rng.pick([0, 3, 300, 70_000])).map(() => rng.pick([0xc1, 0xa4, 0x00, 0xff]))
    case 5: return 'ünï' + rng.pick(WORDISH)
    case 6: return rng.pick(WORDISH).toUpperCase()
    case 7: return Array.from({ length: rng.pick([0, 2, 15, 16, 40]) }, () => randomValue(rng, depth + 1))
    default: {
      const obj: Record<string, unknown> = {}
      for (let i = rng.pick([0, 3, 15, 16, 20]); i > 0; i--) obj[rng.pick(WORDISH) + (rng.chance(0.5) ? '' : String(i))] = randomValue(rng, depth + 1)
      return obj
    }
  }
}

describe('msgpack words', () => {
  it('expands exactly to the bytes it compacted, for 300 random values (seeded)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const bytes = Buffer.from(packr.pack(randomValue(new Rng(seed), 0)))
      const compacted = compact(bytes)
      expect(expandedLength(compacted), `seed ${seed}`).toBe(bytes.length)
      expect(expand(compacted).equals(bytes), `seed ${seed}`).toBe(true)
    }
  })

  it('writes into a buffer at an offset, and makes a ConfigMap a third smaller', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web', namespace: 'default', uid: '3f2c8a1e-5b6d-4c7e-9f80-1a2b3c4d5e6f', resourceVersion: '12345', generation: 1, creationTimestamp: '2026-11-23T06:00:00.000Z' }, data: { k: 'v' } }
    const bytes = Buffer.from(packr.pack(cm))
    const compacted = compact(bytes)
    expect(compacted.length).toBeLessThan(bytes.length * 0.67)
    const out = Buffer.alloc(bytes.length + 3)
    expect(expandInto(compacted, out, 3)).toBe(bytes.length)
    expect(out.subarray(3).equals(bytes)).toBe(true)
  })
})
