// Pure pieces of the Docker runtime: the image name a pull asks for, and the sandbox image the
// agent makes itself (a static x86-64 ELF in a one-file tar).

import { describe, expect, it } from 'vitest'
import { withTag } from '../../../src/kubelet/docker-runtime.ts'
import { pauseElfX64, tarOneFile } from '../../../src/kubelet/sandbox-image.ts'

describe('image names pulled', () => {
  it('pull one tag: an untagged name means :latest, a tag or digest stays', () => {
    expect(withTag('busybox')).toBe('busybox:latest')
    expect(withTag('localhost:5000/app')).toBe('localhost:5000/app:latest')
    expect(withTag('flotilla/busybox:test')).toBe('flotilla/busybox:test')
    expect(withTag('app@sha256:abc')).toBe('app@sha256:abc')
  })
})

describe('sandbox image', () => {
  it('is a 129-byte static ELF64 x86-64 executable whose entry point is its code', () => {
    const elf = pauseElfX64()
    expect(elf.length).toBe(129)
    expect([...elf.subarray(0, 5)]).toEqual([0x7f, 0x45, 0x4c, 0x46, 2])
    expect(elf.readUInt16LE(18)).toBe(0x3e)
    expect(elf.readBigUInt64LE(24)).toBe(0x400078n)
  })

  it('goes into a ustar archive with a valid header checksum, padded to 512-byte blocks', () => {
    const tar = tarOneFile('pause', pauseElfX64())
    expect(tar.length % 512).toBe(0)
    expect(tar.subarray(257, 262).toString('latin1')).toBe('ustar')
    const header = Buffer.from(tar.subarray(0, 512))
    const stored = parseInt(header.subarray(148, 154).toString('latin1'), 8)
    header.fill(0x20, 148, 156)
    expect(header.reduce((a, b) => a + b, 0)).toBe(stored)
    expect(parseInt(header.subarray(124, 135).toString('latin1'), 8)).toBe(129)
  })
})
