// Node identity on disk (stable PeerId, mode 0600) and the cluster key's two forms.

import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { compactClusterKey, generateClusterKey, parseClusterKey } from '../../net/cluster-key.ts'
import { InvalidClusterKeyError, InvalidIdentityError } from '../../net/errors.ts'
import { loadOrCreateIdentity, peerIdOf } from '../../net/identity.ts'
import { tempDir } from './helpers.ts'

describe('loadOrCreateIdentity', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => { await Promise.all(cleanups.splice(0).map(async c => { await c() })) })

  it('creates an Ed25519 key readable only by its owner, and returns the same key afterwards', async () => {
    const dir = await tempDir()
    cleanups.push(dir.remove)
    const path = join(dir.path, 'data', 'identity.key')
    const first = await loadOrCreateIdentity(path)
    expect(first.type).toBe('Ed25519')
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    const again = await loadOrCreateIdentity(path)
    expect(peerIdOf(again)).toBe(peerIdOf(first))
  })

  it('gives concurrent creators the same key', async () => {
    const dir = await tempDir()
    cleanups.push(dir.remove)
    const path = join(dir.path, 'identity.key')
    const keys = await Promise.all([1, 2, 3, 4].map(async () => await loadOrCreateIdentity(path)))
    expect(new Set(keys.map(peerIdOf)).size).toBe(1)
  })

  it('refuses a damaged file instead of silently replacing the identity', async () => {
    const dir = await tempDir()
    cleanups.push(dir.remove)
    const path = join(dir.path, 'identity.key')
    await writeFile(path, 'not a key\n')
    await expect(loadOrCreateIdentity(path)).rejects.toThrow(InvalidIdentityError)
    expect(await readFile(path, 'utf8')).toBe('not a key\n')
  })
})

describe('cluster key', () => {
  it('is generated in the text form @libp2p/pnet reads', () => {
    const text = new TextDecoder().decode(generateClusterKey())
    expect(text).toMatch(/^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}$/)
  })

  it('goes to a 43-character compact form and back', () => {
    const key = generateClusterKey()
    const compact = compactClusterKey(key)
    expect(compact).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(parseClusterKey(compact)).toEqual(key)
    expect(parseClusterKey(new TextDecoder().decode(key))).toEqual(key)
    expect(compactClusterKey(compact)).toBe(compact)
  })

  it('names a malformed key', () => {
    expect(() => parseClusterKey('hello')).toThrow(InvalidClusterKeyError)
    expect(() => parseClusterKey('/key/swarm/psk/1.0.0/\n/base16/\nabcd')).toThrow(InvalidClusterKeyError)
  })
})
