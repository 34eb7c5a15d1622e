// The bytes of a RaftNode snapshot: the state machine's own snapshot plus the proposal ids of
// recent entries (so a retried proposal stays applied once across a snapshot), as a msgpack
// map { sm: bin, ids: bin } (ids: RecentIds.encode(); snapshots written before ids were
// hashed hold [[id, index], …] there, and still restore).
//
// Memory. A snapshot is the largest value an agent packs (the whole state), every few thousand
// entries, and three things about msgpackr made each one leave several times its size behind:
// - it packs into one buffer shared by every Packr in the process and grows it step by step
//   (×4, then ×2), each step a new buffer and a copy;
// - it keeps the grown buffer, and hands out views into it: every later small pack (Raft
//   entries, frames, disk records) keeps such a buffer alive, and when it fills up it is
//   replaced by another of the same large size;
// - packing the envelope around the state machine's bytes copied them once more.
// So: reservePackBuffer gives msgpackr one buffer of about the expected size before a large
// pack, packEnvelope assembles the envelope itself into an exact-size buffer of its own, and
// releasePackBuffer hands msgpackr a small fresh buffer afterwards. The large buffers are then
// garbage as soon as the snapshot is taken and written.

import { Packr } from 'msgpackr'
import type { IdPairs } from './recent-ids.ts'

export interface SnapshotEnvelope {
  /** The state machine's own snapshot. */
  sm: Uint8Array
  /** Recent proposal ids, oldest first: RecentIds.encode(), or [id, index] pairs in an older snapshot. */
  ids: Uint8Array | IdPairs
}

/** Size of the buffer msgpackr gets back: the size it starts with itself. */
const SMALL_BUFFER_BYTES = 8192

const codec = new Packr({ useRecords: false })

/** The map header and keys as msgpackr writes them: map16 of 2 entries, fixstr "sm", fixstr "ids". */
const MAP_2 = [0xde, 0x00, 0x02]
const SM_KEY = [0xa2, 0x73, 0x6d]
const IDS_KEY = [0xa3, 0x69, 0x64, 0x73]

/**
 * The envelope as msgpack, in a buffer of its own (not a view into msgpackr's shared one). The
 * same bytes msgpackr writes for `{ sm, ids }`, without packing `sm` a second time.
 */
export function packEnvelope (envelope: SnapshotEnvelope): Uint8Array {
  const ids = codec.pack(envelope.ids)
  const sm = envelope.sm
  const binHeader = sm.length < 0x100 ? [0xc4, sm.length] : sm.length < 0x10000 ? [0xc5, sm.length >> 8, sm.length & 0xff] : [0xc6, ...u32(sm.length)]
  const out = new Uint8Array(MAP_2.length + SM_KEY.length + binHeader.length + sm.length + IDS_KEY.length + ids.length)
  let at = 0
  const put = (bytes: ArrayLike<number>): void => {
    out.set(bytes, at)
    at += bytes.length
  }
  put([...MAP_2, ...SM_KEY, ...binHeader])
  put(sm)
  put(IDS_KEY)
  put(ids)
  releasePackBuffer()
  return out
}

export function unpackEnvelope (data: Uint8Array): SnapshotEnvelope {
  return codec.unpack(data) as SnapshotEnvelope
}

/**
 * Before a large pack of about `bytes`: give msgpackr a buffer of that size, so it packs
 * without growing one step by step. Harmless if nothing packs (untouched pages cost no RSS).
 */
export function reservePackBuffer (bytes: number): void {
  codec.useBuffer(Buffer.allocUnsafeSlow(Math.max(SMALL_BUFFER_BYTES, Math.ceil(bytes))))
}

/** After a large pack: give msgpackr a small fresh buffer, so it lets go of the large one. */
export function releasePackBuffer (): void {
  codec.useBuffer(Buffer.allocUnsafeSlow(SMALL_BUFFER_BYTES))
}

function u32 (n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]
}
