// The DNS wire codec (RFC 1035 §4.1): round trips of every record type cluster DNS uses,
// name compression, EDNS0 (RFC 6891), truncation for UDP, and malformed input, which must
// always end in DnsFormatError (never another exception, never a hang).

import { describe, expect, it } from 'vitest'
import {
  buildQuery, encodeForUdp, encodeMessage, headerOnlyReply, parseHeader, parseMessage, replyTo, udpPayloadLimit, Rcode
} from '../../../src/proxy/dns-message.ts'
import { RecordType, type DnsRecord } from '../../../src/proxy/dns-records.ts'
import { DnsFormatError, InvalidDnsNameError, nameToLabels } from '../../../src/proxy/dns-wire.ts'

const header = (id: number, flags: number, qd: number, an = 0, ns = 0, ar = 0): number[] =>
  [id >> 8, id & 0xff, flags >> 8, flags & 0xff, 0, qd, 0, an, 0, ns, 0, ar]

describe('DNS messages', () => {
  it('round-trips a query with its flags and EDNS0 payload size', () => {
    const query = buildQuery(0x1234, 'web.default.svc.cluster.local', RecordType.AAAA, { udpPayloadSize: 4096 })
    const parsed = parseMessage(encodeMessage(query))
    expect(parsed).toEqual(query)
    expect(parsed.flags.rd).toBe(true)
    expect(parsed.edns?.udpPayloadSize).toBe(4096)
  })

  it('round-trips A, AAAA, CNAME, SRV, PTR, NS, SOA and unknown records', () => {
    const records: DnsRecord[] = [
      { name: 'a.example', ttl: 5, class: 1, type: 'A', address: '10.96.0.1' },
      { name: 'a.example', ttl: 5, class: 1, type: 'AAAA', address: 'fd00::1' },
      { name: 'c.example', ttl: 30, class: 1, type: 'CNAME', target: 'a.example' },
      { name: '_http._tcp.a.example', ttl: 5, class: 1, type: 'SRV', priority: 0, weight: 100, port: 8080, target: 'a.example' },
      { name: '1.0.96.10.in-addr.arpa', ttl: 5, class: 1, type: 'PTR', target: 'a.example' },
      { name: 'example', ttl: 5, class: 1, type: 'NS', target: 'ns.example' },
      { name: 'example', ttl: 5, class: 1, type: 'SOA', mname: 'ns.example', rname: 'hostmaster.example', serial: 4294967295, refresh: 7200, retry: 1800, expire: 86400, minimum: 5 },
      { name: 'example', ttl: 5, class: 1, type: 'OTHER', typeCode: RecordType.TXT, data: Uint8Array.from([2, 104, 105]) }
    ]
    const reply = replyTo(buildQuery(7, 'a.example', RecordType.A), { aa: true, ra: true, answers: records.slice(0, 4), authorities: records.slice(4, 7), additionals: records.slice(7) })
    const parsed = parseMessage(encodeMessage(reply))
    expect(parsed.answers).toEqual(records.slice(0, 4))
    expect(parsed.authorities).toEqual(records.slice(4, 7))
    expect(parsed.additionals).toEqual(records.slice(7))
    expect(parsed.flags).toMatchObject({ qr: true, aa: true, ra: true, rd: true, tc: false, rcode: Rcode.NOERROR })
  })

  it('compresses repeated names and reads the pointers back', () => {
    const answers: DnsRecord[] = Array.from({ length: 4 }, (_, i) => ({ name: 'web.default.svc.cluster.local', ttl: 5, type: 'A', address: `10.0.0.${i}` }))
    const bytes = encodeMessage(replyTo(buildQuery(1, 'web.default.svc.cluster.local', RecordType.A), { answers }))
    // Question 31+4 bytes; each answer's name is a 2-byte pointer: 2 + 10 + 4.
    expect(bytes.length).toBe(12 + 35 + 4 * 16)
    expect(parseMessage(bytes).answers.map((a) => a.name)).toEqual(answers.map(() => 'web.default.svc.cluster.local'))
  })

  it('keeps every rcode and the question case', () => {
    for (const rcode of Object.values(Rcode)) {
      const parsed = parseMessage(encodeMessage(replyTo(buildQuery(9, 'WeB.Example', RecordType.A), { rcode })))
      expect(parsed.flags.rcode).toBe(rcode)
      expect(parsed.questions[0]?.name).toBe('WeB.Example')
    }
  })

  it('escapes label bytes that are not plain text and writes them back identically', () => {
    const bytes = Uint8Array.from([...header(1, 0x0100, 1), 3, 0x61, 0x2e, 0x20, 1, 0x5c, 0, 0, 1, 0, 1])
    const parsed = parseMessage(bytes)
    expect(parsed.questions[0]?.name).toBe('a\\.\\032.\\\\')
    expect(encodeMessage(parsed)).toEqual(bytes)
  })

  it('reads a header-only FORMERR reply for a broken query', () => {
    const broken = Uint8Array.from([...header(0xbeef, 0x0100, 1), 5, 0x61])
    const reply = parseMessage(headerOnlyReply(parseHeader(broken), Rcode.FORMERR))
    expect(reply).toMatchObject({ id: 0xbeef, flags: { qr: true, rd: true, rcode: Rcode.FORMERR }, questions: [] })
  })
})

describe('malformed DNS messages', () => {
  const cases: Array<[string, number[]]> = [
    ['a short header', [0, 1, 0]],
    ['a missing question', header(1, 0, 1)],
    ['a label past the end', [...header(1, 0, 1), 10, 0x61, 0x62]],
    ['a question without its type', [...header(1, 0, 1), 1, 0x61, 0]],
    ['a pointer to itself', [...header(1, 0, 1), 0xc0, 12, 0, 1, 0, 1]],
    ['a pointer forwards', [...header(1, 0, 1), 0xc0, 14, 1, 0x61, 0, 0, 1, 0, 1]],
    ['a loop of two pointers', [...header(1, 0, 1), 0xc0, 14, 0xc0, 12, 0, 1, 0, 1]],
    ['a pointer cut in half', [...header(1, 0, 1), 0xc0]],
    ['a reserved label type', [...header(1, 0, 1), 0x40, 0, 0, 1, 0, 1]],
    ['an answer whose RDLENGTH runs past the end', [...header(1, 0x8000, 0, 1), 0, 0, 1, 0, 1, 0, 0, 0, 5, 0, 200, 1, 2, 3, 4]],
    ['an A record of 3 bytes', [...header(1, 0x8000, 0, 1), 0, 0, 1, 0, 1, 0, 0, 0, 5, 0, 3, 1, 2, 3]],
    ['a CNAME whose name overruns its RDLENGTH', [...header(1, 0x8000, 0, 1), 0, 0, 5, 0, 1, 0, 0, 0, 5, 0, 2, 3, 0x61, 0x62, 0x63, 0]],
    ['two OPT records', [...header(1, 0, 0, 0, 0, 2), 0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0]]
  ]
  for (const [what, bytes] of cases) {
    it(`rejects ${what} with DnsFormatError`, () => {
      expect(() => parseMessage(Uint8Array.from(bytes))).toThrow(DnsFormatError)
    })
  }

  it('rejects a name longer than 255 bytes made of valid labels', () => {
    const labels: number[] = []
    for (let i = 0; i < 5; i++) labels.push(63, ...new Array<number>(63).fill(0x61))
    expect(() => parseMessage(Uint8Array.from([...header(1, 0, 1), ...labels, 0, 0, 1, 0, 1]))).toThrow(/longer than 255/)
  })

  it('rejects a chain of backward pointers that grows a name past 255 bytes', () => {
    // Each name is a 63-byte label followed by a pointer to the previous name.
    const bytes = [...header(1, 0, 5)]
    let previous = -1
    for (let i = 0; i < 5; i++) {
      const at = bytes.length
      bytes.push(63, ...new Array<number>(63).fill(0x62))
      if (previous < 0) bytes.push(0)
      else bytes.push(0xc0 | (previous >> 8), previous & 0xff)
      bytes.push(0, 1, 0, 1)
      previous = at
    }
    expect(() => parseMessage(Uint8Array.from(bytes))).toThrow(DnsFormatError)
  })

  it('survives random garbage and random corruption of a valid message', () => {
    // A fixed LCG keeps the run reproducible.
    let seed = 42
    const random = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31 }
    const valid = encodeMessage(replyTo(buildQuery(3, 'a.b.svc.cluster.local', RecordType.SRV, { udpPayloadSize: 1232 }), {
      answers: [{ name: 'a.b.svc.cluster.local', ttl: 5, type: 'SRV', priority: 0, weight: 1, port: 80, target: 'x.a.b.svc.cluster.local' }]
    }))
    for (let i = 0; i < 3000; i++) {
      const bytes = i % 2 === 0
        ? Uint8Array.from({ length: Math.floor(random() * 80) }, () => Math.floor(random() * 256))
        : valid.map((b) => random() < 0.05 ? Math.floor(random() * 256) : b).subarray(0, Math.floor(random() * (valid.length + 1)))
      try {
        parseMessage(bytes)
      } catch (err) {
        expect(err).toBeInstanceOf(DnsFormatError)
      }
    }
  })
})

describe('names given to the encoder', () => {
  it('tolerates one trailing dot and rejects empty or oversized labels', () => {
    expect(nameToLabels('a.b.').length).toBe(2)
    expect(nameToLabels('.')).toEqual([])
    expect(() => nameToLabels('a..b')).toThrow(InvalidDnsNameError)
    expect(() => nameToLabels(`${'x'.repeat(64)}.local`)).toThrow(/label longer than 63/)
    expect(() => nameToLabels(Array.from({ length: 130 }, () => 'a').join('.'))).toThrow(/255/)
  })
})

describe('UDP truncation', () => {
  const many = (n: number): DnsRecord[] => Array.from({ length: n }, (_, i) => ({ name: 'big.default.svc.cluster.local', ttl: 5, type: 'A', address: `10.1.${i >> 8}.${i & 0xff}` }))

  it('sends a reply that fits whole, without TC', () => {
    const query = buildQuery(1, 'big.default.svc.cluster.local', RecordType.A)
    const bytes = encodeForUdp(replyTo(query, { answers: many(10) }), 512)
    const parsed = parseMessage(bytes)
    expect(parsed.flags.tc).toBe(false)
    expect(parsed.answers).toHaveLength(10)
  })

  it('keeps as many whole answers as fit in 512 bytes and sets TC', () => {
    const query = buildQuery(1, 'big.default.svc.cluster.local', RecordType.A)
    const bytes = encodeForUdp(replyTo(query, { answers: many(100) }), udpPayloadLimit(query))
    expect(bytes.length).toBeLessThanOrEqual(512)
    const parsed = parseMessage(bytes)
    expect(parsed.flags.tc).toBe(true)
    // 12 header + 35 question = 47; each compressed A answer is 16 bytes: 29 fit.
    expect(parsed.answers).toHaveLength(29)
  })

  it('uses the size a query offers in EDNS0, capped by the server', () => {
    const query = buildQuery(1, 'big.default.svc.cluster.local', RecordType.A, { udpPayloadSize: 4096 })
    expect(udpPayloadLimit(query)).toBe(1232)
    expect(udpPayloadLimit(query, 8192)).toBe(4096)
    expect(udpPayloadLimit(buildQuery(1, 'x', 1, { udpPayloadSize: 100 }))).toBe(512)
    const parsed = parseMessage(encodeForUdp(replyTo(query, { answers: many(100) }), udpPayloadLimit(query)))
    expect(parsed.flags.tc).toBe(true)
    expect(parsed.answers.length).toBeGreaterThan(29)
    expect(parsed.edns?.udpPayloadSize).toBe(1232)
  })

  it('drops additional records before answers, without TC', () => {
    const query = buildQuery(1, 'big.default.svc.cluster.local', RecordType.A)
    const parsed = parseMessage(encodeForUdp(replyTo(query, { answers: many(20), additionals: many(20) }), 512))
    expect(parsed.flags.tc).toBe(false)
    expect(parsed.answers).toHaveLength(20)
    expect(parsed.additionals).toHaveLength(0)
  })
})
