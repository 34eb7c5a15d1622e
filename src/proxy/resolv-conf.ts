// The upstream servers a node already uses: the `nameserver` lines of resolv.conf(5), in
// order. A cluster DNS server that forwards to the host's resolvers must never forward to
// itself (a loop that ends only in timeouts), so the server's own address is left out.
// Parsing is pure; reading the file is a thin wrapper around it.

import { readFile } from 'node:fs/promises'
import { formatIPv6, parseIPv6, ipFamily } from './ip-text.ts'
import type { Upstream } from './dns-upstream.ts'

/**
 * The nameservers of resolv.conf text, each on port 53, except any equal to one of `exclude`
 * (same address and port; IPv6 compared in canonical form). Lines that are not a valid IP
 * address are skipped, as the C library does.
 */
export function upstreamsFromResolvConf (text: string, exclude: Upstream[] = []): Upstream[] {
  const excluded = new Set(exclude.map((u) => `${canonical(u.host)}|${u.port}`))
  const out: Upstream[] = []
  for (const line of text.split('\n')) {
    const words = line.replace(/[#;].*$/, '').trim().split(/\s+/)
    if (words[0] !== 'nameserver' || words[1] === undefined) continue
    const host = words[1]
    // A link-local IPv6 server may carry a zone ("fe80::1%eth0"); dgram takes it as is.
    if (ipFamily(host.replace(/%.*$/, '')) === 0) continue
    if (excluded.has(`${canonical(host)}|53`)) continue
    out.push({ host, port: 53 })
  }
  return out
}

/** upstreamsFromResolvConf over a file (default /etc/resolv.conf); a missing file means no upstreams. */
export async function readResolvConfUpstreams (exclude: Upstream[] = [], path = '/etc/resolv.conf'): Promise<Upstream[]> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  return upstreamsFromResolvConf(text, exclude)
}

function canonical (host: string): string {
  const v6 = parseIPv6(host)
  return v6 === undefined ? host.toLowerCase() : formatIPv6(v6)
}
