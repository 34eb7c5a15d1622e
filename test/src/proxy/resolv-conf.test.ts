// Upstream servers from resolv.conf(5): nameserver lines in order, the server's own address
// left out so it never forwards to itself.

import { describe, expect, it } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readResolvConfUpstreams, upstreamsFromResolvConf } from '../../../src/proxy/resolv-conf.ts'

const text = [
  '# generated',
  'search default.svc.cluster.local svc.cluster.local',
  'nameserver 10.0.0.2',
  '  nameserver   10.0.0.10   # the node itself',
  'nameserver fd00:0::1',
  'nameserver not-an-ip',
  'nameserver fe80::1%eth0',
  'options ndots:5'
].join('\n')

describe('upstreamsFromResolvConf', () => {
  it('reads nameservers in order on port 53, skipping what is not an IP', () => {
    expect(upstreamsFromResolvConf(text)).toEqual([
      { host: '10.0.0.2', port: 53 },
      { host: '10.0.0.10', port: 53 },
      { host: 'fd00:0::1', port: 53 },
      { host: 'fe80::1%eth0', port: 53 }
    ])
  })

  it("skips the server's own address and port, IPv6 compared canonically", () => {
    const own = [{ host: '10.0.0.10', port: 53 }, { host: 'fd00::1', port: 53 }]
    expect(upstreamsFromResolvConf(text, own).map((u) => u.host)).toEqual(['10.0.0.2', 'fe80::1%eth0'])
    // The same address on another port is a different server.
    expect(upstreamsFromResolvConf(text, [{ host: '10.0.0.10', port: 5353 }]).map((u) => u.host)).toContain('10.0.0.10')
  })

  it('reads a file, and treats a missing one as no upstreams', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'resolv-'))
    try {
      await writeFile(join(dir, 'resolv.conf'), 'nameserver 127.0.0.53\n')
      expect(await readResolvConfUpstreams([], join(dir, 'resolv.conf'))).toEqual([{ host: '127.0.0.53', port: 53 }])
      expect(await readResolvConfUpstreams([], join(dir, 'missing'))).toEqual([])
    } finally {
      await rm(dir, { recursive: true })
    }
  })
})
