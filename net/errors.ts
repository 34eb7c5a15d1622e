// Named errors of the net layer. Each says when it is thrown and what the caller can do next.
// Callers match on `name` (or instanceof); messages are written for the person reading a log.

/** Thrown when a peer cannot be dialed or a stream to it cannot be opened; `cause` has the transport's reason. */
export class PeerUnreachableError extends Error {
  override readonly name: string = 'PeerUnreachableError'
  constructor (readonly peer: string, message?: string, options?: { cause?: unknown }) {
    super(message ?? `Cannot reach peer ${peer}${causeSuffix(options?.cause)}`, options)
  }
}

/**
 * Thrown by a dial when the remote does not hold this cluster's key (or holds another one):
 * the pre-shared-key handshake failed. It is a PeerUnreachableError, so callers that only
 * care about reachability can keep matching on that.
 */
export class NotInClusterError extends PeerUnreachableError {
  override readonly name = 'NotInClusterError'
  constructor (peer: string, message?: string, options?: { cause?: unknown }) {
    super(peer, message ?? `Cannot connect to ${peer}: it is not part of this node's cluster (the cluster keys differ). ` +
      'Check that the join token (or cluster key) given to this node is the one printed by the cluster\'s first agent', options)
  }
}

/** Thrown for a dial target that is neither a multiaddr nor host:port. */
export class InvalidAddressError extends Error {
  override readonly name = 'InvalidAddressError'
  constructor (readonly address: string, reason = 'expected host:port (e.g. 10.0.0.5:7001), a multiaddr (/ip4/10.0.0.5/tcp/7001) or a known PeerId') {
    super(`Invalid peer address "${address}": ${reason}`)
  }
}

/** Thrown for a cluster key that is neither the pnet text form nor the compact form. */
export class InvalidClusterKeyError extends Error {
  override readonly name = 'InvalidClusterKeyError'
  constructor (message = 'Invalid cluster key: expected the text form "/key/swarm/psk/1.0.0/…" or a 43-character compact key from a join token') {
    super(message)
  }
}

/** Thrown when the identity file exists but does not hold a private key. */
export class InvalidIdentityError extends Error {
  override readonly name = 'InvalidIdentityError'
  constructor (readonly path: string, options?: { cause?: unknown }) {
    super(`The identity file ${path} does not hold a valid private key${causeSuffix(options?.cause)}: ` +
      'restore it from a backup, or delete it to start this node with a new PeerId (it then joins as a new member)', options)
  }
}

/** Thrown (and fails the stream) when a frame's declared length is above the limit. */
export class FrameTooLargeError extends Error {
  override readonly name = 'FrameTooLargeError'
  constructor (readonly length: number, readonly limit: number) {
    super(`A frame of ${length} bytes is larger than the limit of ${limit} bytes: the peer sent a too large value or the stream is corrupt`)
  }
}

/** Thrown (and fails the stream) when a frame does not hold a valid msgpack value. */
export class FrameDecodeError extends Error {
  override readonly name = 'FrameDecodeError'
}

/**
 * Thrown by rpc.call when the remote handler threw. `remoteName` and `remoteMessage` are the
 * remote error's, and `data` its other own fields, so callers can re-create a named error
 * (e.g. a NotLeaderError with its leader hint).
 */
export class RpcError extends Error {
  override readonly name = 'RpcError'
  constructor (
    readonly method: string,
    readonly peer: string,
    readonly remoteName: string,
    readonly remoteMessage: string,
    readonly data?: Record<string, unknown>
  ) {
    super(`${method} on ${peer} failed: ${remoteName}: ${remoteMessage}`)
  }
}

/** Thrown by rpc.call / callStream when the call's AbortSignal timed out before the response came. */
export class RpcTimeoutError extends Error {
  override readonly name = 'RpcTimeoutError'
  constructor (readonly method: string, readonly peer: string, options?: { cause?: unknown }) {
    super(`${method} on ${peer} timed out: the peer may be overloaded or partitioned away; retry or try another peer`, options)
  }
}

/** Thrown by calls made after stop(). */
export class NetStoppedError extends Error {
  override readonly name = 'NetStoppedError'
  constructor (message = 'The net service is stopped') {
    super(message)
  }
}

function causeSuffix (cause: unknown): string {
  return cause instanceof Error && cause.message !== '' ? ` (${cause.message})` : ''
}
