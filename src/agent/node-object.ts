// The agent's own Node object: its name is the agent's name; annotations carry what other
// agents need to reach it (PeerId and p2p addresses), so membership and addresses are part of
// the replicated state. Written at join (by the leader) and refreshed at every start.

import { arch as osArch, platform } from 'node:os'
import type { KObject, ObjectReader } from '../store/types.ts'
import type { ApiBackend } from '../api/backend.ts'

export const PEER_ID_ANNOTATION = 'flotilla.io/peer-id'
export const P2P_ADDRESSES_ANNOTATION = 'flotilla.io/p2p-addresses'
export const API_ADDRESS_ANNOTATION = 'flotilla.io/api-address'

export interface NodeIdentity {
  name: string
  peerId: string
  /** host:port addresses of its p2p listener. */
  p2pAddresses: string[]
  /** http(s)://host:port of its API. */
  apiAddress: string
  /** The address the node reports as InternalIP. */
  nodeIp: string
}

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' }

export function nodeLabels (name: string): Record<string, string> {
  return {
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': platform(),
    'kubernetes.io/arch': ARCH[osArch()] ?? osArch()
  }
}

export function nodeAnnotations (id: NodeIdentity): Record<string, string> {
  return {
    [PEER_ID_ANNOTATION]: id.peerId,
    [P2P_ADDRESSES_ANNOTATION]: id.p2pAddresses.join(','),
    [API_ADDRESS_ANNOTATION]: id.apiAddress
  }
}

export function buildNode (id: NodeIdentity, uid: string, now: string): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: id.name, uid, creationTimestamp: now, labels: nodeLabels(id.name), annotations: nodeAnnotations(id) },
    spec: {},
    status: {
      addresses: [{ type: 'InternalIP', address: id.nodeIp }, { type: 'Hostname', address: id.name }]
    }
  }
}

export function peerIdOfNode (node: KObject): string | undefined {
  return node.metadata.annotations?.[PEER_ID_ANNOTATION]
}

export function p2pAddressesOfNode (node: KObject): string[] {
  const text = node.metadata.annotations?.[P2P_ADDRESSES_ANNOTATION] ?? ''
  return text === '' ? [] : text.split(',')
}

/** The agent of another PeerId already uses this name. */
export class NameTakenError extends Error {
  override readonly name = 'NameTakenError'
}

/**
 * Create the Node, or update its annotations and addresses if they changed. Throws
 * NameTakenError if a Node of that name belongs to another agent.
 */
export async function upsertNode (backend: ApiBackend, reader: ObjectReader, id: NodeIdentity, signal?: AbortSignal): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = reader.get({ group: '', kind: 'Node', namespace: '', name: id.name })
    if (current === undefined) {
      const r = await backend.write({ op: 'create', object: buildNode(id, backend.newUid(), backend.now()) }, signal)
      if ('error' in r && r.error.reason === 'AlreadyExists') continue
      if ('error' in r) throw new Error(`Cannot register Node ${id.name}: ${r.error.message}`)
      return
    }
    const owner = peerIdOfNode(current)
    if (owner !== undefined && owner !== id.peerId) {
      throw new NameTakenError(`An agent named "${id.name}" is already in the cluster (peer ${owner}): start this one with another --name`)
    }
    const wanted = nodeAnnotations(id)
    const have = current.metadata.annotations ?? {}
    if (Object.entries(wanted).every(([k, v]) => have[k] === v)) return
    const next = structuredClone(current) as KObject
    next.metadata.annotations = { ...have, ...wanted }
    next.metadata.labels = { ...nodeLabels(id.name), ...(current.metadata.labels ?? {}) }
    const r = await backend.write({ op: 'update', object: next }, signal)
    if ('error' in r && r.error.reason === 'Conflict') continue
    if ('error' in r) throw new Error(`Cannot update Node ${id.name}: ${r.error.message}`)
    return
  }
  throw new Error(`Cannot register Node ${id.name}: it kept changing underneath; retry`)
}
