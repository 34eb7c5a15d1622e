// A node's identity: an Ed25519 private key kept in a file (mode 0600), so its PeerId — which
// is also its Raft id — stays the same across restarts. The file holds the key's libp2p
// protobuf encoding in base64 on one line. Creation is atomic and first-writer-wins: two
// processes starting on the same data dir end up with the same key.

import { randomBytes } from 'node:crypto'
import { chmod, link, mkdir, open, readFile, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { InvalidIdentityError } from './errors.ts'

/** Reads the private key at `path`, or creates one there (and its directory) if there is none. */
export async function loadOrCreateIdentity (path: string): Promise<PrivateKey> {
  const existing = await readIdentity(path)
  if (existing !== undefined) return existing
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const key = await generateKeyPair('Ed25519')
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  const file = await open(tmp, 'wx', 0o600)
  try {
    await file.writeFile(Buffer.from(privateKeyToProtobuf(key)).toString('base64') + '\n')
    await file.sync()
  } finally {
    await file.close()
  }
  try {
    await link(tmp, path) // fails with EEXIST if another process created it meanwhile
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  } finally {
    await unlink(tmp)
  }
  const stored = await readIdentity(path)
  if (stored === undefined) throw new InvalidIdentityError(path)
  return stored
}

/** The PeerId string of a private key. */
export function peerIdOf (key: PrivateKey): string {
  return peerIdFromPrivateKey(key).toString()
}

async function readIdentity (path: string): Promise<PrivateKey | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  let key: PrivateKey
  try {
    key = privateKeyFromProtobuf(Buffer.from(text.trim(), 'base64'))
  } catch (err) {
    throw new InvalidIdentityError(path, { cause: err })
  }
  await chmod(path, 0o600) // a copied backup may have come back world-readable
  return key
}
