// DNS resource records (RFC 1035 §3.2, §4.1.3): the types cluster DNS answers with — A,
// AAAA (RFC 3596), CNAME, PTR, NS, SRV (RFC 2782), SOA — as typed values, and their RDATA
// on the wire. Any other type is kept as opaque bytes ('OTHER') so a parsed answer from an
// upstream server can still be read and written back. EDNS0's OPT pseudo-record is not a
// record here: dns-message.ts lifts it into the message's `edns` field.

import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from './ip-text.ts'
import { DnsFormatError, type WireReader, type WireWriter } from './dns-wire.ts'

/** Type codes (IANA "Resource Record (RR) TYPEs"). */
export const RecordType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  ANY: 255
} as const

export const CLASS_IN = 1
export const CLASS_ANY = 255

interface RecordHeader {
  /** Owner name, presentation form without the trailing dot. */
  name: string
  /** Seconds a resolver may cache the record. */
  ttl: number
  /** Default CLASS_IN when building. */
  class?: number
}

export type DnsRecord =
  | (RecordHeader & { type: 'A', address: string })
  | (RecordHeader & { type: 'AAAA', address: string })
  | (RecordHeader & { type: 'CNAME' | 'PTR' | 'NS', target: string })
  | (RecordHeader & { type: 'SRV', priority: number, weight: number, port: number, target: string })
  | (RecordHeader & { type: 'SOA', mname: string, rname: string, serial: number, refresh: number, retry: number, expire: number, minimum: number })
  | (RecordHeader & { type: 'OTHER', typeCode: number, data: Uint8Array })

const NAMED_TYPES = { A: RecordType.A, AAAA: RecordType.AAAA, CNAME: RecordType.CNAME, PTR: RecordType.PTR, NS: RecordType.NS, SRV: RecordType.SRV, SOA: RecordType.SOA } as const

/** The wire type code of a record. */
export function recordTypeCode (record: DnsRecord): number {
  return record.type === 'OTHER' ? record.typeCode : NAMED_TYPES[record.type]
}

/** Reads one resource record (not OPT: the caller checks the type first). */
export function readRecord (reader: WireReader): DnsRecord {
  const name = reader.name()
  const typeCode = reader.u16('record type')
  const recordClass = reader.u16('record class')
  const ttl = reader.u32('record TTL')
  const length = reader.u16('record data length')
  const start = reader.offset
  if (length > reader.remaining) throw new DnsFormatError(`record data of ${length} bytes runs past the end`, start)
  const header = { name, ttl, class: recordClass }
  const record = readData(reader, typeCode, length, header)
  if (reader.offset !== start + length) throw new DnsFormatError(`record data is ${reader.offset - start} bytes, RDLENGTH says ${length}`, start)
  return record
}

function readData (reader: WireReader, typeCode: number, length: number, header: RecordHeader): DnsRecord {
  switch (typeCode) {
    case RecordType.A:
      if (length !== 4) throw new DnsFormatError(`A record data is ${length} bytes, not 4`, reader.offset)
      return { ...header, type: 'A', address: formatIPv4(reader.take(4)) }
    case RecordType.AAAA:
      if (length !== 16) throw new DnsFormatError(`AAAA record data is ${length} bytes, not 16`, reader.offset)
      return { ...header, type: 'AAAA', address: formatIPv6(reader.take(16)) }
    case RecordType.CNAME:
      return { ...header, type: 'CNAME', target: reader.name() }
    case RecordType.PTR:
      return { ...header, type: 'PTR', target: reader.name() }
    case RecordType.NS:
      return { ...header, type: 'NS', target: reader.name() }
    case RecordType.SRV:
      return { ...header, type: 'SRV', priority: reader.u16(), weight: reader.u16(), port: reader.u16(), target: reader.name() }
    case RecordType.SOA:
      return {
        ...header,
        type: 'SOA',
        mname: reader.name(),
        rname: reader.name(),
        serial: reader.u32(),
        refresh: reader.u32(),
        retry: reader.u32(),
        expire: reader.u32(),
        minimum: reader.u32()
      }
    default:
      return { ...header, type: 'OTHER', typeCode, data: reader.take(length).slice() }
  }
}

/** Writes one resource record; names in RDATA are compressed only where RFC 3597 allows (well-known types). */
export function writeRecord (writer: WireWriter, record: DnsRecord): void {
  writer.name(record.name)
  writer.u16(recordTypeCode(record))
  writer.u16(record.class ?? CLASS_IN)
  writer.u32(Math.max(0, Math.floor(record.ttl)))
  const lengthAt = writer.length
  writer.u16(0)
  const start = writer.length
  writeData(writer, record)
  writer.patchU16(lengthAt, writer.length - start)
}

function writeData (writer: WireWriter, record: DnsRecord): void {
  switch (record.type) {
    case 'A': {
      const bytes = parseIPv4(record.address)
      if (bytes === undefined) throw new InvalidRecordError(record.name, `A record address ${JSON.stringify(record.address)} is not an IPv4 address`)
      writer.bytes(bytes)
      return
    }
    case 'AAAA': {
      const bytes = parseIPv6(record.address)
      if (bytes === undefined) throw new InvalidRecordError(record.name, `AAAA record address ${JSON.stringify(record.address)} is not an IPv6 address`)
      writer.bytes(bytes)
      return
    }
    case 'CNAME':
    case 'PTR':
    case 'NS':
      writer.name(record.target)
      return
    case 'SRV':
      writer.u16(record.priority)
      writer.u16(record.weight)
      writer.u16(record.port)
      // RFC 2782: the SRV target is not compressed.
      writer.name(record.target, false)
      return
    case 'SOA':
      writer.name(record.mname)
      writer.name(record.rname)
      for (const value of [record.serial, record.refresh, record.retry, record.expire, record.minimum]) writer.u32(value)
      return
    case 'OTHER':
      writer.bytes(record.data)
  }
}

/** Thrown when a record given to the encoder cannot be written (an A record whose address is not IPv4, …). */
export class InvalidRecordError extends Error {
  override readonly name = 'InvalidRecordError'
  constructor (readonly recordName: string, reason: string) {
    super(`cannot encode record for ${JSON.stringify(recordName)}: ${reason}`)
  }
}
