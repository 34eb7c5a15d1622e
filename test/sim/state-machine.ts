// The replicated state machine of the simulation: the ordered list of effects of client
// proposals. The core does not deduplicate proposal ids (the driver above it does), so
// this state machine applies through a set of seen ids: a retried proposal that committed
// twice takes effect once. Snapshots encode the whole list (and with it the seen ids), so
// a restore reproduces the state exactly. Like real snapshots, two snapshots of the same
// state are not byte-identical: each starts with where and when it was taken, so chunks
// of different snapshots spliced together fail the trailing CRC-32.

import { crc32 } from '../../raft/crc32.ts'
import type { Entry } from '../../raft/types.ts'

export interface Effect {
  readonly index: number
  readonly term: number
  readonly id: string
}

const encoder = new TextEncoder()
const CLIENT_ID = /^p([1-9][0-9]{0,14})$/
const decoder = new TextDecoder()

export function proposalData (id: string): Uint8Array {
  return encoder.encode(id)
}

export class StateMachine {
  effects: Effect[] = []
  /** Last log index applied (entries or a snapshot). */
  appliedIndex = 0
  private seen = new Set<string>()

  /**
   * Apply one committed entry. Returns the effect, or null for a no-op, a membership change
   * or a proposal id already applied.
   */
  apply (e: Entry): Effect | null {
    this.appliedIndex = e.index
    if (e.data.length === 0) return null
    const id = e.id ?? decoder.decode(e.data)
    if (this.seen.has(id)) return null
    this.seen.add(id)
    const effect = { index: e.index, term: e.term, id }
    this.effects.push(effect)
    return effect
  }

  has (id: string): boolean {
    return this.seen.has(id)
  }

  /** `origin` says where and when the snapshot was taken ("n3@1234"). */
  encode (origin: string): Uint8Array {
    return encodeState(this.appliedIndex, this.effects, origin)
  }

  restore (data: Uint8Array): void {
    const { appliedIndex, effects } = decodeState(data)
    this.appliedIndex = appliedIndex
    this.effects = effects
    this.seen = new Set(effects.map((e) => e.id))
  }
}

// Encoding: varint origin length, origin bytes, varint appliedIndex, varint count, then per
// effect: varint index delta, varint term delta, and the id: a client id "p<n>" as varint
// 2n+1, any other as varint 2·length then its bytes; last, the CRC-32 of all that (4 bytes,
// big-endian). About four bytes per effect keeps snapshots (sent in 64-byte chunks) short.

export function encodeState (appliedIndex: number, effects: readonly Effect[], origin: string): Uint8Array {
  const out: number[] = []
  const originBytes = encoder.encode(origin)
  writeVarint(out, originBytes.length)
  for (const b of originBytes) out.push(b)
  writeVarint(out, appliedIndex)
  writeVarint(out, effects.length)
  let prevIndex = 0
  let prevTerm = 0
  for (const e of effects) {
    writeVarint(out, e.index - prevIndex)
    writeVarint(out, e.term - prevTerm)
    const client = CLIENT_ID.exec(e.id)
    if (client !== null) {
      writeVarint(out, Number(client[1]) * 2 + 1)
    } else {
      const id = encoder.encode(e.id)
      writeVarint(out, id.length * 2)
      for (const b of id) out.push(b)
    }
    prevIndex = e.index
    prevTerm = e.term
  }
  const crc = crc32(Uint8Array.from(out))
  out.push(crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff)
  return Uint8Array.from(out)
}

/** Decode snapshot data; throws if it is damaged (truncated, spliced, bad checksum). */
export function decodeState (whole: Uint8Array): { appliedIndex: number, effects: Effect[], origin: string } {
  if (whole.length < 4) throw new Error(`Snapshot data is ${whole.length} bytes: too short`)
  const data = whole.subarray(0, whole.length - 4)
  const want = ((whole[whole.length - 4] as number) * 2 ** 24) + ((whole[whole.length - 3] as number) << 16) + ((whole[whole.length - 2] as number) << 8) + (whole[whole.length - 1] as number)
  if (crc32(data) !== want) throw new Error('Snapshot data fails its CRC-32: chunks of different snapshots were spliced, or bytes were lost')
  const at = { pos: 0 }
  const originLen = readVarint(data, at)
  const origin = decoder.decode(data.subarray(at.pos, at.pos + originLen))
  at.pos += originLen
  const appliedIndex = readVarint(data, at)
  const count = readVarint(data, at)
  const effects: Effect[] = []
  let index = 0
  let term = 0
  for (let i = 0; i < count; i++) {
    index += readVarint(data, at)
    term += readVarint(data, at)
    const tag = readVarint(data, at)
    let id: string
    if (tag % 2 === 1) {
      id = `p${(tag - 1) / 2}`
    } else {
      const len = tag / 2
      if (at.pos + len > data.length) throw new Error('Snapshot data is truncated')
      id = decoder.decode(data.subarray(at.pos, at.pos + len))
      at.pos += len
    }
    effects.push({ index, term, id })
  }
  if (at.pos !== data.length) throw new Error(`Snapshot data has ${data.length - at.pos} trailing bytes`)
  return { appliedIndex, effects, origin }
}

function writeVarint (out: number[], n: number): void {
  let v = n
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80)
    v = Math.floor(v / 128)
  }
  out.push(v)
}

function readVarint (data: Uint8Array, at: { pos: number }): number {
  let result = 0
  let mul = 1
  for (;;) {
    const b = data[at.pos++]
    if (b === undefined) throw new Error('Snapshot data is truncated')
    result += (b & 0x7f) * mul
    if (b < 0x80) return result
    mul *= 128
  }
}
