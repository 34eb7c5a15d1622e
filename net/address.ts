// Addresses as people write them ("10.0.0.5:7001", "[::1]:7001", "node-a.lan:7001") and as
// libp2p dials them (multiaddrs). A bare /ip4/…/tcp/… address (no /p2p/) is dialable: the
// remote's PeerId is learnt in the noise handshake, so a join address needs no PeerId.

import { lookup } from 'node:dns/promises'
import { isIPv4, isIPv6 } from 'node:net'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { InvalidAddressError } from './errors.ts'

/** The multiaddr for a dial target: a multiaddr string as is, host:port resolved to /ip4 or /ip6 + /tcp. */
export async function toMultiaddr (target: string | Multiaddr): Promise<Multiaddr> {
  if (typeof target !== 'string') return target
  const text = target.trim()
  if (text.startsWith('/')) {
    try {
      return multiaddr(text)
    } catch (err) {
      throw new InvalidAddressError(target, (err as Error).message)
    }
  }
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text)
  const port = Number(m?.[3])
  const host = m?.[1] ?? m?.[2]
  if (m === null || host === undefined || !(port > 0 && port < 65536)) throw new InvalidAddressError(target)
  if (isIPv4(host)) return multiaddr(`/ip4/${host}/tcp/${port}`)
  if (isIPv6(host)) return multiaddr(`/ip6/${host}/tcp/${port}`)
  let resolved: { address: string, family: number }
  try {
    resolved = await lookup(host)
  } catch (err) {
    throw new InvalidAddressError(target, `cannot resolve ${host} (${(err as Error).message})`)
  }
  return multiaddr(`/${resolved.family === 6 ? 'ip6' : 'ip4'}/${resolved.address}/tcp/${port}`)
}

/** The multiaddr to listen on: an IP literal and a port (0: any free port). */
export function listenMultiaddr (host: string, port: number): Multiaddr {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidAddressError(`${host}:${port}`, 'the port must be 0–65535')
  if (isIPv4(host)) return multiaddr(`/ip4/${host}/tcp/${port}`)
  if (isIPv6(host)) return multiaddr(`/ip6/${host}/tcp/${port}`)
  throw new InvalidAddressError(host, 'listen on an IP address (e.g. 127.0.0.1 or 10.0.0.5), not a host name')
}

/** "127.0.0.1:54321", "[::1]:4001", or the multiaddr itself when it is not ip/dns + tcp. */
export function describeAddress (ma: Multiaddr | undefined): string {
  if (ma === undefined) return 'an unknown address'
  let host: string | undefined
  let port: string | undefined
  for (const c of ma.getComponents()) {
    if (c.name === 'ip4' || c.name === 'dns4' || c.name === 'dns' || c.name === 'dns6') host = c.value
    else if (c.name === 'ip6') host = `[${c.value ?? ''}]`
    else if (c.name === 'tcp') port = c.value
  }
  return host !== undefined && port !== undefined ? `${host}:${port}` : ma.toString()
}
