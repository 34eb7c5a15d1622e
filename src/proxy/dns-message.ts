// A DNS message (RFC 1035 §4.1): header, question, answer, authority and additional
// sections, with EDNS0 (RFC 6891) lifted out of the additional section into `edns`.
//
// parseMessage() reads queries and responses alike and throws DnsFormatError on anything
// malformed (never another exception, never a hang); parseHeader() reads just the 12-byte
// header, so a server can still answer FORMERR to a query whose body is broken.
// encodeMessage() compresses names; encodeForUdp() fits a response into a UDP payload
// limit (512 bytes, or what the query's OPT record offers), setting TC when answers had to
// be dropped so the client retries over TCP.

import { WireReader, WireWriter, DnsFormatError } from './dns-wire.ts'
import { CLASS_IN, RecordType, readRecord, writeRecord, type DnsRecord } from './dns-records.ts'

export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5
} as const

export const OPCODE_QUERY = 0
export const HEADER_LENGTH = 12
/** RFC 1035 §4.2.1: the largest UDP message without EDNS0. */
export const CLASSIC_UDP_LIMIT = 512

export interface DnsFlags {
  /** Response (true) or query. */
  qr: boolean
  opcode: number
  /** Authoritative answer. */
  aa: boolean
  /** Truncated: the client should retry over TCP. */
  tc: boolean
  /** Recursion desired (copied from query to response). */
  rd: boolean
  /** Recursion available. */
  ra: boolean
  ad: boolean
  cd: boolean
  /** The header's 4-bit response code (see Rcode). */
  rcode: number
}

export interface DnsHeader {
  id: number
  flags: DnsFlags
  counts: { questions: number, answers: number, authorities: number, additionals: number }
}

export interface DnsQuestion {
  name: string
  /** Type code (RecordType). */
  type: number
  class: number
}

/** What an OPT pseudo-record says (RFC 6891 §6.1.3); options are skipped. */
export interface Edns {
  /** Largest UDP payload the sender can reassemble. */
  udpPayloadSize: number
  extendedRcode: number
  version: number
  /** DNSSEC OK bit. */
  dnssecOk: boolean
}

export interface DnsMessage {
  id: number
  flags: DnsFlags
  questions: DnsQuestion[]
  answers: DnsRecord[]
  authorities: DnsRecord[]
  /** Additional records other than OPT. */
  additionals: DnsRecord[]
  edns?: Edns
}

export function parseHeader (bytes: Uint8Array): DnsHeader {
  const reader = new WireReader(bytes)
  const id = reader.u16('header')
  const bits = reader.u16('header')
  const flags: DnsFlags = {
    qr: (bits & 0x8000) !== 0,
    opcode: (bits >> 11) & 0xf,
    aa: (bits & 0x0400) !== 0,
    tc: (bits & 0x0200) !== 0,
    rd: (bits & 0x0100) !== 0,
    ra: (bits & 0x0080) !== 0,
    ad: (bits & 0x0020) !== 0,
    cd: (bits & 0x0010) !== 0,
    rcode: bits & 0xf
  }
  const counts = { questions: reader.u16('header'), answers: reader.u16('header'), authorities: reader.u16('header'), additionals: reader.u16('header') }
  return { id, flags, counts }
}

export function parseMessage (bytes: Uint8Array): DnsMessage {
  const { id, flags, counts } = parseHeader(bytes)
  const reader = new WireReader(bytes, HEADER_LENGTH)
  const message: DnsMessage = { id, flags, questions: [], answers: [], authorities: [], additionals: [] }
  for (let i = 0; i < counts.questions; i++) {
    message.questions.push({ name: reader.name(), type: reader.u16('question type'), class: reader.u16('question class') })
  }
  for (let i = 0; i < counts.answers; i++) message.answers.push(readRecord(reader))
  for (let i = 0; i < counts.authorities; i++) message.authorities.push(readRecord(reader))
  for (let i = 0; i < counts.additionals; i++) {
    if (!isOptNext(reader)) {
      message.additionals.push(readRecord(reader))
      continue
    }
    const at = reader.offset
    if (message.edns !== undefined) throw new DnsFormatError('more than one OPT record', at)
    message.edns = readOpt(reader)
  }
  return message
}

/** Whether the record at the reader's position is an OPT (its name is the root: one zero byte). */
function isOptNext (reader: WireReader): boolean {
  const at = reader.offset
  return reader.bytes[at] === 0 && reader.remaining >= 3 &&
    (((reader.bytes[at + 1] ?? 0) << 8) | (reader.bytes[at + 2] ?? 0)) === RecordType.OPT
}

function readOpt (reader: WireReader): Edns {
  reader.u8()
  reader.u16()
  const udpPayloadSize = reader.u16('OPT payload size')
  const extendedRcode = reader.u8('OPT extended rcode')
  const version = reader.u8('OPT version')
  const flags = reader.u16('OPT flags')
  reader.take(reader.u16('OPT data length'), 'OPT options')
  return { udpPayloadSize, extendedRcode, version, dnssecOk: (flags & 0x8000) !== 0 }
}

export function encodeMessage (message: DnsMessage): Uint8Array {
  const writer = new WireWriter()
  const f = message.flags
  writer.u16(message.id)
  writer.u16((f.qr ? 0x8000 : 0) | ((f.opcode & 0xf) << 11) | (f.aa ? 0x0400 : 0) | (f.tc ? 0x0200 : 0) |
    (f.rd ? 0x0100 : 0) | (f.ra ? 0x0080 : 0) | (f.ad ? 0x0020 : 0) | (f.cd ? 0x0010 : 0) | (f.rcode & 0xf))
  writer.u16(message.questions.length)
  writer.u16(message.answers.length)
  writer.u16(message.authorities.length)
  writer.u16(message.additionals.length + (message.edns === undefined ? 0 : 1))
  for (const q of message.questions) {
    writer.name(q.name)
    writer.u16(q.type)
    writer.u16(q.class)
  }
  for (const record of message.answers) writeRecord(writer, record)
  for (const record of message.authorities) writeRecord(writer, record)
  for (const record of message.additionals) writeRecord(writer, record)
  if (message.edns !== undefined) {
    const e = message.edns
    writer.u8(0)
    writer.u16(RecordType.OPT)
    writer.u16(e.udpPayloadSize)
    writer.u8(e.extendedRcode)
    writer.u8(e.version)
    writer.u16(e.dnssecOk ? 0x8000 : 0)
    writer.u16(0)
  }
  return writer.finish()
}

/**
 * The UDP payload limit for answering `query`: 512 bytes, or the size its OPT record offers,
 * capped at `serverMax` (default 1232, the DNS Flag Day 2020 size that avoids fragmentation).
 */
export function udpPayloadLimit (query: DnsMessage, serverMax = 1232): number {
  if (query.edns === undefined) return CLASSIC_UDP_LIMIT
  return Math.max(CLASSIC_UDP_LIMIT, Math.min(query.edns.udpPayloadSize, serverMax))
}

/**
 * Encodes `message` in at most `limit` bytes. Additional records go first (without TC, as
 * RFC 2181 §9 allows); if it still does not fit, the authority section goes and as many
 * whole answers as fit are kept, with TC set.
 */
export function encodeForUdp (message: DnsMessage, limit: number): Uint8Array {
  const full = encodeMessage(message)
  if (full.length <= limit) return full
  const lean = encodeMessage({ ...message, additionals: [] })
  if (lean.length <= limit) return lean
  const truncated = (answers: number): Uint8Array =>
    encodeMessage({ ...message, flags: { ...message.flags, tc: true }, answers: message.answers.slice(0, answers), authorities: [], additionals: [] })
  // Binary search the largest answer count that fits; zero answers always fits a sane limit.
  let low = 0
  let high = message.answers.length - 1
  while (low < high) {
    const mid = Math.ceil((low + high) / 2)
    if (truncated(mid).length <= limit) low = mid
    else high = mid - 1
  }
  return truncated(low)
}

export interface ReplyFields {
  rcode?: number
  /** Authoritative answer; default false. */
  aa?: boolean
  /** Recursion available; default false. */
  ra?: boolean
  answers?: DnsRecord[]
  authorities?: DnsRecord[]
  additionals?: DnsRecord[]
  /** UDP payload size to advertise in the reply's OPT record, sent only if the query had one. Default 1232. */
  udpPayloadSize?: number
}

/** A response to `query`: same id, opcode, RD, CD and question, with the given answer. */
export function replyTo (query: DnsMessage, fields: ReplyFields = {}): DnsMessage {
  const reply: DnsMessage = {
    id: query.id,
    flags: {
      qr: true,
      opcode: query.flags.opcode,
      aa: fields.aa ?? false,
      tc: false,
      rd: query.flags.rd,
      ra: fields.ra ?? false,
      ad: false,
      cd: query.flags.cd,
      rcode: fields.rcode ?? Rcode.NOERROR
    },
    questions: query.questions.map((q) => ({ ...q })),
    answers: fields.answers ?? [],
    authorities: fields.authorities ?? [],
    additionals: fields.additionals ?? []
  }
  if (query.edns !== undefined) reply.edns = { udpPayloadSize: fields.udpPayloadSize ?? 1232, extendedRcode: 0, version: 0, dnssecOk: false }
  return reply
}

/** A reply carrying only a header (no sections): for queries whose body could not be read. */
export function headerOnlyReply (query: DnsHeader, rcode: number): Uint8Array {
  return encodeMessage({
    id: query.id,
    flags: { qr: true, opcode: query.flags.opcode, aa: false, tc: false, rd: query.flags.rd, ra: false, ad: false, cd: false, rcode },
    questions: [],
    answers: [],
    authorities: [],
    additionals: []
  })
}

/** A query for `name` (convenience for clients, forwarders and tests). */
export function buildQuery (id: number, name: string, type: number, options: { rd?: boolean, udpPayloadSize?: number } = {}): DnsMessage {
  const query: DnsMessage = {
    id,
    flags: { qr: false, opcode: OPCODE_QUERY, aa: false, tc: false, rd: options.rd ?? true, ra: false, ad: false, cd: false, rcode: 0 },
    questions: [{ name, type, class: CLASS_IN }],
    answers: [],
    authorities: [],
    additionals: []
  }
  if (options.udpPayloadSize !== undefined) query.edns = { udpPayloadSize: options.udpPayloadSize, extendedRcode: 0, version: 0, dnssecOk: false }
  return query
}
