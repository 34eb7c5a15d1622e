// The connection protector: libp2p pnet (XSalsa20 with the cluster's pre-shared key) plus a
// key check. pnet alone has no integrity: with a wrong key both sides just read noise, and
// the failure surfaces later as a misleading ECONNRESET or EncryptionFailedError. Here each
// side sends a fixed 16-byte marker right after pnet's nonce exchange and checks the one it
// receives, so a key mismatch is detected at once and named: the listener logs one line and
// the dialer gets NotInClusterError. Noise still authenticates and encrypts on top.

import { preSharedKey } from '@libp2p/pnet'
import { byteStream } from '@libp2p/utils'
import type { AbortOptions, ConnectionProtector, MessageStream, MultiaddrConnection } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { describeAddress } from './address.ts'
import { NotInClusterError } from './errors.ts'
import { coalesceSocketWrites } from './socket-coalescing.ts'
import './length-prefix-fix.ts'
import './xsalsa20-memory-fix.ts'
import './yamux-window-fix.ts'

/** Sent by both sides under pnet's cipher; 16 bytes. Decrypts to itself only with the same key. */
const KEY_CHECK = new TextEncoder().encode('/flotilla/psk/1\n')

/** A host refused again within this window is counted, not logged. */
const REPEAT_NOTICE_MS = 60_000

/** Used when libp2p gives no signal: how long the key check may take. */
const DEFAULT_TIMEOUT_MS = 5_000

export interface ClusterProtectorInit {
  /** The cluster key in pnet's text form (see parseClusterKey). */
  psk: Uint8Array
  /** Where the one-line refusal is written. */
  log: (line: string) => void
  /** Handshake timeout when libp2p passes no signal, in ms. Default: 5000. */
  timeout?: number
}

/** A libp2p `connectionProtector` factory for the cluster key. */
export function clusterProtector (init: ClusterProtectorInit): () => ConnectionProtector {
  return () => new ClusterProtector(init)
}

class ClusterProtector implements ConnectionProtector {
  readonly [Symbol.toStringTag] = '@flotilla/cluster-protector'
  private readonly pnet: ConnectionProtector
  private readonly timeout: number
  private readonly notices = new Map<string, { at: number, suppressed: number }>()

  constructor (private readonly init: ClusterProtectorInit) {
    this.pnet = preSharedKey({ psk: init.psk })()
    this.timeout = init.timeout ?? DEFAULT_TIMEOUT_MS
  }

  async protect (connection: MessageStream, options?: AbortOptions): Promise<MessageStream> {
    const signal = options?.signal ?? AbortSignal.timeout(this.timeout)
    // The raw connection: a TCP socket underneath when the transport is TCP.
    coalesceSocketWrites((connection as { socket?: unknown }).socket)
    // Fails (unnamed) if the remote says nothing at all: not necessarily a key problem.
    const boxed = await this.pnet.protect(connection, { ...options, signal })
    const bytes = byteStream(boxed)
    let failure: Error | undefined
    try {
      const write = bytes.write(KEY_CHECK, { signal })
      write.catch(() => {}) // its failure also fails the read below
      const received = await bytes.read({ bytes: KEY_CHECK.byteLength, signal })
      await write
      if (!equalBytes(received.subarray(), KEY_CHECK)) failure = new Error('cluster key mismatch')
    } catch (err) {
      // The remote hung up or went silent after the nonce exchange: it runs pnet with another key
      // (it saw our marker as noise) or does not run pnet at all.
      failure = err instanceof Error ? err : new Error(String(err))
    }
    if (failure === undefined) return bytes.unwrap()
    if (failure.name === 'AbortError') {
      boxed.abort(failure) // we are shutting down: says nothing about the remote
      throw failure
    }

    const address = describeAddress(remoteAddrOf(connection))
    const refused = new NotInClusterError(address, undefined, { cause: failure })
    boxed.abort(refused)
    if (connection.direction === 'inbound') this.noticeRefusal(address)
    throw refused
  }

  /** One line per refused host per REPEAT_NOTICE_MS: a stranger that keeps redialing must not flood the log. */
  private noticeRefusal (address: string): void {
    const host = address.slice(0, address.lastIndexOf(':'))
    const now = Date.now()
    const last = this.notices.get(host)
    if (last !== undefined && now - last.at < REPEAT_NOTICE_MS) {
      last.suppressed++
      return
    }
    if (this.notices.size >= 1024) this.notices.clear()
    this.notices.set(host, { at: now, suppressed: 0 })
    const more = last !== undefined && last.suppressed > 0 ? ` (and ${last.suppressed} more from ${host} since the last notice)` : ''
    this.init.log(`refused a connection from ${address}: the peer is not part of this cluster (wrong or missing cluster key)${more}`)
  }
}

function remoteAddrOf (connection: MessageStream): Multiaddr | undefined {
  return (connection as Partial<MultiaddrConnection>).remoteAddr
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
