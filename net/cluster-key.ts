// The cluster key: a 32-byte pre-shared key (libp2p pnet) that every agent of a cluster holds.
// Its canonical form is pnet's text ("/key/swarm/psk/1.0.0/\n/base16/\n<64 hex>"), which is
// what the first agent writes into its data dir; the compact form (43 characters of
// base64url) is what a join token embeds. parseClusterKey accepts either.

import { generateKey } from '@libp2p/pnet'
import { InvalidClusterKeyError } from './errors.ts'

const KEY_BYTES = 32
const HEADER = '/key/swarm/psk/1.0.0/\n/base16/\n'
const TEXT_LENGTH = 95 // what @libp2p/pnet's generateKey writes: header + 64 hex digits

/** A new random cluster key in the text form @libp2p/pnet expects. */
export function generateClusterKey (): Uint8Array {
  const key = new Uint8Array(TEXT_LENGTH)
  generateKey(key)
  return key
}

/** The compact form of a cluster key, for a join token: 43 characters of base64url. */
export function compactClusterKey (key: Uint8Array | string): string {
  return Buffer.from(rawKey(key)).toString('base64url')
}

/** The text form (pnet's) of a key given in either form. Throws InvalidClusterKeyError. */
export function parseClusterKey (key: Uint8Array | string): Uint8Array {
  const hex = Buffer.from(rawKey(key)).toString('hex')
  return new TextEncoder().encode(HEADER + hex)
}

/** The 32 secret bytes of a key given in either form. */
function rawKey (key: Uint8Array | string): Uint8Array {
  const text = (typeof key === 'string' ? key : new TextDecoder().decode(key)).trim()
  if (text.startsWith('/key/swarm/psk/1.0.0/')) {
    const lines = text.split(/\r?\n|\r/)
    const hex = lines[2] ?? ''
    if (lines[1] !== '/base16/' || !/^[0-9a-fA-F]{64}$/.test(hex)) throw new InvalidClusterKeyError()
    return Buffer.from(hex, 'hex')
  }
  if (/^[A-Za-z0-9_-]{43}$/.test(text)) {
    const raw = Buffer.from(text, 'base64url')
    if (raw.byteLength === KEY_BYTES) return raw
  }
  throw new InvalidClusterKeyError()
}
