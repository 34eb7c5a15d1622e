// A 128-bit hash of a proposal id: MurmurHash3 x86_128 (seed 0) over the id's UTF-16 code
// units, little-endian (two code units per 32-bit word). Pure arithmetic on 32-bit integers,
// so every node, on any platform, computes the same words for the same id.
//
// Why 128 bits: RecentIds keeps only the hash of an id, and two ids with the same hash would
// make the second proposal count as a retry of the first (not applied). With 128 bits and a
// window of 100,000 ids, that takes on the order of 10^28 proposals.

const C1 = 0x239b961b
const C2 = 0xab0e9789
const C3 = 0x38b34ae5
const C4 = 0xa1e38b93

function rotl (x: number, r: number): number {
  return (x << r) | (x >>> (32 - r))
}

function fmix (h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}

/** Two code units of `s` from `i` as one word; past the end counts as 0. */
function word (s: string, i: number): number {
  return (s.charCodeAt(i) | 0) | ((s.charCodeAt(i + 1) | 0) << 16)
}

/** Write the four 32-bit words of `s`'s hash into `out[at..at+3]`. */
export function hashId (s: string, out: Uint32Array, at = 0): void {
  let h1 = 0
  let h2 = 0
  let h3 = 0
  let h4 = 0
  const blocks = s.length >> 3 // 8 code units = 16 bytes per block
  for (let b = 0; b < blocks; b++) {
    const i = b << 3
    h1 ^= Math.imul(rotl(Math.imul(word(s, i), C1), 15), C2)
    h1 = (Math.imul(rotl(h1, 19) + h2 | 0, 5) + 0x561ccd1b) | 0
    h2 ^= Math.imul(rotl(Math.imul(word(s, i + 2), C2), 16), C3)
    h2 = (Math.imul(rotl(h2, 17) + h3 | 0, 5) + 0x0bcaa747) | 0
    h3 ^= Math.imul(rotl(Math.imul(word(s, i + 4), C3), 17), C4)
    h3 = (Math.imul(rotl(h3, 15) + h4 | 0, 5) + 0x96cd1c35) | 0
    h4 ^= Math.imul(rotl(Math.imul(word(s, i + 6), C4), 18), C1)
    h4 = (Math.imul(rotl(h4, 13) + h1 | 0, 5) + 0x32ac3b17) | 0
  }
  // The tail (0-7 code units), zero-padded: mixing a zero word changes nothing, as in the
  // reference code where a word the tail does not reach is skipped.
  const t = blocks << 3
  h4 ^= Math.imul(rotl(Math.imul(word(s, t + 6), C4), 18), C1)
  h3 ^= Math.imul(rotl(Math.imul(word(s, t + 4), C3), 17), C4)
  h2 ^= Math.imul(rotl(Math.imul(word(s, t + 2), C2), 16), C3)
  h1 ^= Math.imul(rotl(Math.imul(word(s, t), C1), 15), C2)
  const len = s.length * 2
  h1 ^= len
  h2 ^= len
  h3 ^= len
  h4 ^= len
  h1 = (h1 + h2 + h3 + h4) | 0
  h2 = (h2 + h1) | 0
  h3 = (h3 + h1) | 0
  h4 = (h4 + h1) | 0
  h1 = fmix(h1)
  h2 = fmix(h2)
  h3 = fmix(h3)
  h4 = fmix(h4)
  h1 = (h1 + h2 + h3 + h4) | 0
  out[at] = h1
  out[at + 1] = h2 + h1
  out[at + 2] = h3 + h1
  out[at + 3] = h4 + h1
}
