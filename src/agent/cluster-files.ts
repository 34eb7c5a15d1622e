// What an agent keeps in its data dir besides the logs:
//   DIR/cluster.json   the cluster's secrets (cluster key, API token, cluster id, CA), mode 0600
//   DIR/identity.key   the libp2p identity (net/identity.ts), so the PeerId survives restarts
//   DIR/join-token     one line: everything a joiner needs besides an address
//   DIR/kubeconfig     admin access to this agent's API
//   DIR/tls/           this agent's API serving certificate and key, issued by the cluster CA
//   DIR/raft/          the Raft log (level)        DIR/state/  the applied objects (level)
// The join token is `flotilla1.` + base64url(JSON { k: compact cluster key, t: API token, c: cluster id,
// a: CA certificate, b: CA key (both DER, base64url) }). A joiner needs the CA key to issue its
// own serving certificate. Clusters created before TLS have no CA (no `ca`, no `a`/`b`): their
// agents serve plain HTTP only.

import { createPrivateKey, randomBytes, randomUUID, X509Certificate } from 'node:crypto'
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { compactClusterKey, generateClusterKey } from '../../net/index.ts'
import { createClusterCa, type KeyAndCertificate } from './tls/certificate.ts'

export interface ClusterSecrets {
  /** The pnet pre-shared key, compact form. */
  readonly clusterKey: string
  /** The admin bearer token of every agent's API. */
  readonly apiToken: string
  readonly clusterId: string
  /** The cluster CA (PEM) that signs every agent's API serving certificate; absent in clusters created before TLS. */
  readonly ca?: KeyAndCertificate
}

/** A join token that cannot be read. */
export class InvalidJoinTokenError extends Error {
  override readonly name = 'InvalidJoinTokenError'
  constructor (detail: string) {
    super(`The join token is not valid (${detail}): copy it again from DIR/join-token of a running agent`)
  }
}

const TOKEN_PREFIX = 'flotilla1.'

export function dataPaths (dir: string): { clusterFile: string, identity: string, joinToken: string, kubeconfig: string, raft: string, state: string, servingCert: string, servingKey: string } {
  return {
    servingCert: join(dir, 'tls', 'serving.crt'),
    servingKey: join(dir, 'tls', 'serving.key'),
    clusterFile: join(dir, 'cluster.json'),
    identity: join(dir, 'identity.key'),
    joinToken: join(dir, 'join-token'),
    kubeconfig: join(dir, 'kubeconfig'),
    raft: join(dir, 'raft'),
    state: join(dir, 'state')
  }
}

export function newClusterSecrets (): ClusterSecrets {
  return {
    clusterKey: compactClusterKey(generateClusterKey()),
    apiToken: randomBytes(24).toString('base64url'),
    clusterId: randomUUID(),
    ca: createClusterCa()
  }
}

export function encodeJoinToken (s: ClusterSecrets): string {
  // DER rather than PEM: the token is pasted on command lines, and DER is a third shorter.
  const ca = s.ca === undefined
    ? {}
    : { a: new X509Certificate(s.ca.cert).raw.toString('base64url'), b: createPrivateKey(s.ca.key).export({ type: 'pkcs8', format: 'der' }).toString('base64url') }
  return TOKEN_PREFIX + Buffer.from(JSON.stringify({ k: s.clusterKey, t: s.apiToken, c: s.clusterId, ...ca })).toString('base64url')
}

export function decodeJoinToken (token: string): ClusterSecrets {
  const text = token.trim()
  if (!text.startsWith(TOKEN_PREFIX)) throw new InvalidJoinTokenError(`it does not start with "${TOKEN_PREFIX}"`)
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(text.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'))
  } catch {
    throw new InvalidJoinTokenError('it is truncated or altered')
  }
  const p = parsed as { k?: unknown, t?: unknown, c?: unknown, a?: unknown, b?: unknown }
  if (typeof p.k !== 'string' || typeof p.t !== 'string' || typeof p.c !== 'string') throw new InvalidJoinTokenError('fields are missing')
  const secrets = { clusterKey: p.k, apiToken: p.t, clusterId: p.c }
  if (p.a === undefined && p.b === undefined) return secrets
  if (typeof p.a !== 'string' || typeof p.b !== 'string') throw new InvalidJoinTokenError('the cluster CA is incomplete')
  try {
    const cert = new X509Certificate(Buffer.from(p.a, 'base64url')).toString()
    const key = createPrivateKey({ key: Buffer.from(p.b, 'base64url'), format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }) as string
    return { ...secrets, ca: { cert, key } }
  } catch {
    throw new InvalidJoinTokenError('the cluster CA in it is damaged')
  }
}

export async function readClusterSecrets (dir: string): Promise<ClusterSecrets | null> {
  let text: string
  try {
    text = await readFile(dataPaths(dir).clusterFile, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  const p = JSON.parse(text) as Partial<ClusterSecrets>
  if (typeof p.clusterKey !== 'string' || typeof p.apiToken !== 'string' || typeof p.clusterId !== 'string') {
    throw new Error(`${dataPaths(dir).clusterFile} is damaged: restore it from a backup, or remove the data dir and join the cluster again`)
  }
  const secrets = { clusterKey: p.clusterKey, apiToken: p.apiToken, clusterId: p.clusterId }
  if (p.ca === undefined) return secrets
  if (typeof p.ca?.cert !== 'string' || typeof p.ca.key !== 'string') {
    throw new Error(`${dataPaths(dir).clusterFile} is damaged (its "ca" needs "cert" and "key"): restore it from a backup, or remove the data dir and join the cluster again`)
  }
  return { ...secrets, ca: { cert: p.ca.cert, key: p.ca.key } }
}

export async function writeClusterSecrets (dir: string, s: ClusterSecrets): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await writePrivate(dataPaths(dir).clusterFile, JSON.stringify(s, null, 2) + '\n')
  await writePrivate(dataPaths(dir).joinToken, encodeJoinToken(s) + '\n')
}

async function writePrivate (path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, text, { mode: 0o600 })
  await chmod(tmp, 0o600)
  await rename(tmp, path)
}
