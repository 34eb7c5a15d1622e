// The sandbox ("pause") image, made on this machine because no registry may be reachable: a
// one-file image holding /pause, a 129-byte static x86-64 Linux program that calls pause(2)
// forever (killed by SIGTERM under docker-init, as every container here runs with Init).
// On other architectures the host's static busybox is used instead (/pause = busybox, run as
// `/pause sleep 2147483647`). The image is imported with `docker import` from a tar the agent
// writes itself; nothing is downloaded.

import { readFileSync } from 'node:fs'
import { arch } from 'node:os'

export const SANDBOX_IMAGE = 'flotilla/pause:1'

/** A minimal static ELF64 x86-64 executable: `loop: mov eax, 34 (pause); syscall; jmp loop`. */
export function pauseElfX64 (): Buffer {
  const code = Buffer.from([0xb8, 0x22, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xeb, 0xf7])
  const base = 0x400000
  const headers = 64 + 56
  const b = Buffer.alloc(headers + code.length)
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0) // ELF, 64-bit, little endian, version 1, System V
  b.writeUInt16LE(2, 16) // ET_EXEC
  b.writeUInt16LE(0x3e, 18) // x86-64
  b.writeUInt32LE(1, 20)
  b.writeBigUInt64LE(BigInt(base + headers), 24) // entry point: the code after the headers
  b.writeBigUInt64LE(64n, 32) // program headers right after this header
  b.writeUInt16LE(64, 52)
  b.writeUInt16LE(56, 54)
  b.writeUInt16LE(1, 56)
  b.writeUInt16LE(64, 58)
  const ph = 64
  b.writeUInt32LE(1, ph) // PT_LOAD
  b.writeUInt32LE(5, ph + 4) // R + X
  b.writeBigUInt64LE(0n, ph + 8)
  b.writeBigUInt64LE(BigInt(base), ph + 16)
  b.writeBigUInt64LE(BigInt(base), ph + 24)
  b.writeBigUInt64LE(BigInt(b.length), ph + 32)
  b.writeBigUInt64LE(BigInt(b.length), ph + 40)
  b.writeBigUInt64LE(0x1000n, ph + 48)
  code.copy(b, headers)
  return b
}

/** A tar archive holding one executable file. */
export function tarOneFile (name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512)
  const field = (text: string, offset: number, length: number): void => { header.write(text.padEnd(length, '\0').slice(0, length), offset, 'latin1') }
  const octal = (n: number, length: number): string => n.toString(8).padStart(length - 1, '0') + '\0'
  field(name, 0, 100)
  field(octal(0o755, 8), 100, 8)
  field(octal(0, 8), 108, 8)
  field(octal(0, 8), 116, 8)
  field(octal(content.length, 12), 124, 12)
  field(octal(0, 12), 136, 12)
  field('        ', 148, 8)
  field('0', 156, 1)
  field('ustar\0' + '00', 257, 8)
  let sum = 0
  for (const byte of header) sum += byte
  field(octal(sum, 7) + ' ', 148, 8)
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512)
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)])
}

/** The sandbox image's files and the command its container runs. */
export function sandboxImageContent (busyboxPath = '/bin/busybox'): { tar: Buffer, cmd: string[] } {
  if (arch() === 'x64') return { tar: tarOneFile('pause', pauseElfX64()), cmd: ['/pause'] }
  let busybox: Buffer
  try {
    busybox = readFileSync(busyboxPath)
  } catch {
    throw new Error(`Cannot make the sandbox image ${SANDBOX_IMAGE} on ${arch()}: no ${busyboxPath} to build it from. Install a static busybox (apt-get install -y busybox-static) or load an image named ${SANDBOX_IMAGE} whose /pause sleeps forever`)
  }
  return { tar: tarOneFile('pause', busybox), cmd: ['/pause', 'sleep', '2147483647'] }
}
