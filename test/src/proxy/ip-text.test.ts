// IP text <-> bytes for A and AAAA records: strict parsing, RFC 5952 formatting.

import { describe, expect, it } from 'vitest'
import { formatIPv6, ipFamily, parseIPv4, parseIPv6 } from '../../../src/proxy/ip-text.ts'

describe('IP text', () => {
  it('parses dotted quads and rejects everything else', () => {
    expect(Array.from(parseIPv4('10.96.0.10') ?? [])).toEqual([10, 96, 0, 10])
    for (const bad of ['10.96.0', '10.96.0.256', '010.1.1.1', '1.2.3.4.5', 'a.b.c.d', '']) expect(parseIPv4(bad)).toBeUndefined()
  })

  it('parses IPv6 with :: and an embedded IPv4 and formats it canonically', () => {
    const cases: Array<[string, string]> = [
      ['FD00:0:0:0:0:0:0:1', 'fd00::1'],
      ['::', '::'],
      ['::1', '::1'],
      ['1::', '1::'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['::ffff:10.0.0.1', '::ffff:a00:1'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8']
    ]
    for (const [text, canonical] of cases) {
      const bytes = parseIPv6(text)
      expect(bytes, text).toBeDefined()
      expect(formatIPv6(bytes ?? new Uint8Array(16))).toBe(canonical)
    }
    for (const bad of ['1:2:3:4:5:6:7', '1::2::3', '1:2:3:4:5:6:7:8:9', 'g::1', '1:2:3:4:5:6:7::8', '10.0.0.1']) expect(parseIPv6(bad), bad).toBeUndefined()
  })

  it('tells the family', () => {
    expect([ipFamily('10.0.0.1'), ipFamily('fd00::1'), ipFamily('None'), ipFamily('')]).toEqual([4, 6, 0, 0])
  })
})
