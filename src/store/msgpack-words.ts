// Words a stored object repeats (field names like "creationTimestamp", values like "v1" or
// "default") as two-byte tokens in the msgpack bytes the store holds encoded: a ConfigMap's
// field names alone are ~90 of its ~300 bytes. Only in memory: expand() gives back the exact
// bytes msgpackr wrote, so snapshots and everything read are plain msgpack.
//
// A token is 0xc1 (a byte msgpack never uses) and the word's number in WORDS. Only strings
// msgpack wrote as a fixstr (header 0xa0 | length) become tokens, and a token expands to that
// same fixstr: compact() and expand() are exact inverses. The list is part of the code, not of
// any data: changing it changes nothing on disk or on the wire.

const WORDS: readonly string[] = [
  'apiVersion', 'kind', 'metadata', 'name', 'namespace', 'uid', 'resourceVersion', 'generation',
  'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations',
  'ownerReferences', 'finalizers', 'generateName', 'controller', 'blockOwnerDeletion', 'data',
  'binaryData', 'stringData', 'immutable', 'type', 'spec', 'status', 'v1', 'apps/v1', 'ConfigMap',
  'Secret', 'Deployment', 'ReplicaSet', 'default', 'kube-system', 'kube-public', 'Opaque',
  'kubernetes.io/tls', 'kubernetes.io/dockerconfigjson', 'kubernetes.io/basic-auth',
  'tls.crt', 'tls.key', 'ca.crt', '.dockerconfigjson', 'token', 'app', 'username', 'password'
]

const TOKEN = 0xc1
/** Each word as msgpack writes it (fixstr header, then the word), one byte per character. */
const FIXSTRS = WORDS.map((w) => String.fromCharCode(0xa0 | w.length) + w)
/** CANDIDATES[length * 256 + first byte]: the words of that length and first byte (most slots empty). */
const CANDIDATES: Array<number[] | undefined> = new Array(32 * 256)
WORDS.forEach((w, i) => {
  if (w.length < 2 || w.length > 31 || /[^\x20-\x7e]/.test(w)) throw new Error(`msgpack word "${w}" must be 2-31 printable ASCII characters`)
  const slot = w.length * 256 + w.charCodeAt(0)
  ;(CANDIDATES[slot] ??= []).push(i)
})

/** The number of the word the fixstr at `pos` holds, or -1. */
function wordAt (src: string, pos: number): number {
  const len = src.charCodeAt(pos) & 0x1f
  const candidates = CANDIDATES[len * 256 + src.charCodeAt(pos + 1)]
  if (candidates === undefined) return -1
  for (const i of candidates) if (src.startsWith(WORDS[i] as string, pos + 1)) return i
  return -1
}

/** Big-endian unsigned integer of `n` bytes of `s` from `pos`. */
function uint (s: string, pos: number, n: number): number {
  let v = 0
  for (let i = 0; i < n; i++) v = v * 256 + s.charCodeAt(pos + i)
  return v
}

/**
 * Bytes of the item at `pos` of `s` (msgpack, one byte per character): its header and, for
 * scalars, strings, bin and ext, its payload (not the items of an array or map).
 */
function itemBytes (s: string, pos: number): number {
  const b = s.charCodeAt(pos)
  if (b < 0x80 || b >= 0xe0) return 1 // fixint
  if (b < 0xa0) return 1 // fixmap, fixarray
  if (b < 0xc0) return 1 + (b & 0x1f) // fixstr
  switch (b) {
    case 0xc0: case 0xc2: case 0xc3: return 1
    case TOKEN: return 2
    case 0xc4: case 0xd9: return 2 + uint(s, pos + 1, 1)
    case 0xc5: case 0xda: return 3 + uint(s, pos + 1, 2)
    case 0xc6: case 0xdb: return 5 + uint(s, pos + 1, 4)
    case 0xc7: return 3 + uint(s, pos + 1, 1)
    case 0xc8: return 4 + uint(s, pos + 1, 2)
    case 0xc9: return 6 + uint(s, pos + 1, 4)
    case 0xca: case 0xce: case 0xd2: return 5
    case 0xcb: case 0xcf: case 0xd3: return 9
    case 0xcc: case 0xd0: return 2
    case 0xcd: case 0xd1: return 3
    case 0xd4: return 3
    case 0xd5: return 4
    case 0xd6: return 6
    case 0xd7: return 10
    case 0xd8: return 18
    case 0xdc: case 0xde: return 3
    default: return 5 // 0xdd array32, 0xdf map32
  }
}

/** Where compact() assembles its output (grown when an object is larger). */
let scratch = Buffer.allocUnsafeSlow(4096)

/** `bytes` (msgpack) with every fixstr that is a word replaced by its token, as a one-byte string. */
export function compact (bytes: Uint8Array): string {
  const src = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
  if (scratch.length < src.length) scratch = Buffer.allocUnsafeSlow(src.length * 2)
  const out = scratch
  let o = 0
  let copied = 0 // src[copied..pos) goes out as it is
  for (let pos = 0; pos < src.length;) {
    const size = itemBytes(src, pos)
    const b = src.charCodeAt(pos)
    const word = b >= 0xa2 && b < 0xc0 ? wordAt(src, pos) : -1
    if (word >= 0) {
      for (let i = copied; i < pos; i++) out[o++] = src.charCodeAt(i)
      out[o++] = TOKEN
      out[o++] = word
      copied = pos + size
    }
    pos += size
  }
  for (let i = copied; i < src.length; i++) out[o++] = src.charCodeAt(i)
  return out.toString('latin1', 0, o)
}

/** Length of the msgpack bytes `compacted` expands to. */
export function expandedLength (compacted: string): number {
  let n = compacted.length
  for (let pos = 0; pos < compacted.length; pos += itemBytes(compacted, pos)) {
    if (compacted.charCodeAt(pos) === TOKEN) n += (FIXSTRS[compacted.charCodeAt(pos + 1)] as string).length - 2
  }
  return n
}

/** The msgpack bytes of `compacted`, one per character (a tree of pieces: write it out once). */
function expandToString (compacted: string): string {
  let out = ''
  let copied = 0 // compacted[copied..pos) goes out as it is
  for (let pos = 0; pos < compacted.length;) {
    const size = itemBytes(compacted, pos)
    if (compacted.charCodeAt(pos) === TOKEN) {
      out += compacted.slice(copied, pos) + (FIXSTRS[compacted.charCodeAt(pos + 1)] as string)
      copied = pos + size
    }
    pos += size
  }
  return copied === 0 ? compacted : out + compacted.slice(copied)
}

/** Write the msgpack bytes of `compacted` into `out` at `offset`; returns the bytes written. */
export function expandInto (compacted: string, out: Buffer, offset: number): number {
  return out.write(expandToString(compacted), offset, 'latin1')
}

/** The msgpack bytes of `compacted`. */
export function expand (compacted: string): Buffer {
  return Buffer.from(expandToString(compacted), 'latin1')
}
