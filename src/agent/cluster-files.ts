// What an agent keeps in its data dir besides the logs:
//   DIR/cluster.json   the cluster's secrets (cluster key, API token, cluster id), mode 0600
//   DIR/identity.key   the libp2p identity (net/identity.ts), so the PeerId survives restarts
//   DIR/join-token     one line: everything a joiner needs besides an address
//   DIR/kubeconfig     admin access to this agent's API
//   DIR/raft/          the Raft log (level)        DIR/state/  the applied objects (level)
// The join token is `flotilla1.` + base64url(JSON { k: compact cluster key, t: API token, c: cluster id }).

import { randomBytes, randomUUID } from 'node:crypto'
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { compactClusterKey, generateClusterKey } from '../../net/index.ts'

export interface ClusterSecrets {
  /** The pnet pre-shared key, compact form. */
  readonly clusterKey: string
  /** The admin bearer token of every agent's API. */
  readonly apiToken: string
  readonly clusterId: string
}

/** A join token that cannot be read. */
export class InvalidJoinTokenError extends Error {
  override readonly name = 'InvalidJoinTokenError'
  constructor (detail: string) {
    super(`The join token is not valid (${detail}): copy it again from DIR/join-token of a running agent`)
  }
}

const TOKEN_PREFIX = 'flotilla1.'

export function dataPaths (dir: string): { clusterFile: string, identity: string, joinToken: string, kubeconfig: string, raft: string, state: string } {
  return {
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
    clusterId: randomUUID()
  }
}

export function encodeJoinToken (s: ClusterSecrets): string {
  return TOKEN_PREFIX + Buffer.from(JSON.stringify({ k: s.clusterKey, t: s.apiToken, c: s.clusterId })).toString('base64url')
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
  const p = parsed as { k?: unknown, t?: unknown, c?: unknown }
  if (typeof p.k !== 'string' || typeof p.t !== 'string' || typeof p.c !== 'string') throw new InvalidJoinTokenError('fields are missing')
  return { clusterKey: p.k, apiToken: p.t, clusterId: p.c }
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
  return { clusterKey: p.clusterKey, apiToken: p.apiToken, clusterId: p.clusterId }
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
