// Snapshot bytes in a file of their own, next to the LevelDB that holds the Raft log.
//
// Why not in LevelDB: a snapshot is the whole state (tens of MiB for a large cluster). As a
// LevelDB value it passes through the memtable, the write-ahead log and compactions, and LevelDB
// and malloc keep arenas of that size around long after; measured here ~100 MiB of an agent's
// RSS at 30k objects. A plain file costs one write and nothing resident.
//
// Contract:
// - writeSnapshotFile is atomic: the bytes go to a temp file, which is fsynced, renamed to its
//   final name, and the directory fsynced. A crash leaves either no file under the final name
//   or the complete one; stray temp files are removed by removeSnapshotFilesExcept.
// - The caller records the file's name, size and CRC-32 (SnapshotFileRef) in the log's own
//   durable records only after the write resolved, and checks both when it reads the file back:
//   a torn or damaged file is reported, never taken for a good one.
// - Every snapshot gets a new name, so a file that a durable record points to is never
//   overwritten.

import { randomBytes } from 'node:crypto'
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { crc32 } from './crc32.ts'

/** What the log records about a snapshot file. */
export interface SnapshotFileRef {
  /** File name inside the store's directory. */
  readonly file: string
  readonly bytes: number
  /** CRC-32 of the whole file. */
  readonly crc: number
}

const NAME = /^snapshot-\d+-[0-9a-f]+\.(bin|tmp)$/

/** A fresh file name for the snapshot at `index` (never one in use). */
export function snapshotFileName (index: number): string {
  return `snapshot-${index}-${randomBytes(4).toString('hex')}.bin`
}

/** The reference a record holds for `data` written under `file`. */
export function snapshotFileRef (file: string, data: Uint8Array): SnapshotFileRef {
  return { file, bytes: data.length, crc: crc32(data) }
}

/** Write `data` to `dir/file` atomically and durably (see the contract above). */
export async function writeSnapshotFile (dir: string, file: string, data: Uint8Array): Promise<void> {
  const temp = join(dir, file.replace(/\.bin$/, '.tmp'))
  const handle = await open(temp, 'w')
  try {
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(temp, join(dir, file))
  await syncDir(dir)
}

/** The whole file, or why it is not the file `ref` describes. */
export async function readSnapshotFile (dir: string, ref: SnapshotFileRef): Promise<Uint8Array | string> {
  let data: Uint8Array
  try {
    data = await readFile(join(dir, ref.file))
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? `its file ${ref.file} is missing` : `its file ${ref.file} cannot be read: ${(err as Error).message}`
  }
  if (data.length !== ref.bytes) return `its file ${ref.file} holds ${data.length} bytes, ${ref.bytes} were written`
  if (crc32(data) !== ref.crc) return `its file ${ref.file} fails its checksum`
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

/** `length` bytes at `offset` of a file the log refers to (fewer at its end). */
export async function readSnapshotRange (dir: string, ref: SnapshotFileRef, offset: number, length: number): Promise<Uint8Array> {
  const size = Math.max(0, Math.min(length, ref.bytes - offset))
  const out = new Uint8Array(size)
  const handle = await open(join(dir, ref.file), 'r')
  try {
    let at = 0
    while (at < size) {
      const { bytesRead } = await handle.read(out, at, size - at, offset + at)
      if (bytesRead === 0) throw new Error(`the snapshot file ${ref.file} in ${dir} ends at ${offset + at} bytes, ${ref.bytes} were written`)
      at += bytesRead
    }
  } finally {
    await handle.close()
  }
  return out
}

/** Remove snapshot files and temp files in `dir` other than `keep` (superseded, or left by a crash). */
export async function removeSnapshotFilesExcept (dir: string, keep: string | null): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name !== keep && NAME.test(name)) await unlink(join(dir, name)).catch(() => {})
  }
}

/** Remove one file if it exists. */
export async function removeSnapshotFile (dir: string, file: string): Promise<void> {
  await unlink(join(dir, file)).catch(() => {})
}

/** fsync a directory, so a rename in it is durable. */
async function syncDir (dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
