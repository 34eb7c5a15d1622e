// The low-level DNS wire format (RFC 1035 §3.1, §4.1.4): a bounds-checked reader and a
// growing writer for big-endian integers and domain names, with name compression.
//
// Names travel between here and callers in presentation form without the trailing dot
// ("my-svc.default.svc.cluster.local"; the root is ""). Label bytes that would be ambiguous
// in that form are escaped as in zone files: "\." and "\\", and "\DDD" for bytes outside
// printable ASCII, so any name read from the wire writes back byte for byte.
//
// Reading never trusts the packet: every read is bounds-checked, compression pointers must
// point strictly before the name run that holds them (so a chain of them always ends: no
// loops), and labels and names must respect the 63 and 255 byte limits. Any violation
// throws DnsFormatError, which the server turns into FORMERR.

/** Thrown when bytes are not a well-formed DNS message: truncated, bad pointer, oversized label or name. */
export class DnsFormatError extends Error {
  override readonly name = 'DnsFormatError'
  /** @param offset where in the message the problem was found */
  constructor (message: string, readonly offset: number) {
    super(`malformed DNS message at byte ${offset}: ${message}`)
  }
}

/** Thrown when a name given to the encoder cannot be a DNS name (empty or oversized label, name over 255 bytes). */
export class InvalidDnsNameError extends Error {
  override readonly name = 'InvalidDnsNameError'
  constructor (readonly dnsName: string, reason: string) {
    super(`invalid DNS name ${JSON.stringify(dnsName)}: ${reason}`)
  }
}

export const MAX_LABEL_LENGTH = 63
/** Wire length of a whole name, length bytes and the final zero included. */
export const MAX_NAME_LENGTH = 255

export class WireReader {
  offset: number
  constructor (readonly bytes: Uint8Array, offset = 0) {
    this.offset = offset
  }

  get remaining (): number {
    return this.bytes.length - this.offset
  }

  private need (n: number, what: string): void {
    if (this.offset + n > this.bytes.length) throw new DnsFormatError(`${what} runs past the end (${this.bytes.length} bytes)`, this.offset)
  }

  u8 (what = 'byte'): number {
    this.need(1, what)
    return this.bytes[this.offset++] ?? 0
  }

  u16 (what = '16-bit field'): number {
    this.need(2, what)
    const value = ((this.bytes[this.offset] ?? 0) << 8) | (this.bytes[this.offset + 1] ?? 0)
    this.offset += 2
    return value
  }

  u32 (what = '32-bit field'): number {
    this.need(4, what)
    const high = this.u16(what)
    return high * 0x10000 + this.u16(what)
  }

  take (n: number, what = 'data'): Uint8Array {
    this.need(n, what)
    const out = this.bytes.subarray(this.offset, this.offset + n)
    this.offset += n
    return out
  }

  /** A possibly compressed domain name; the reader ends up after the name's bytes in place. */
  name (): string {
    const bytes = this.bytes
    const labels: string[] = []
    let pos = this.offset
    let runStart = pos
    let end = -1
    let wireLength = 1
    for (;;) {
      if (pos >= bytes.length) throw new DnsFormatError('name runs past the end', pos)
      const length = bytes[pos] ?? 0
      const kind = length & 0xc0
      if (length === 0) {
        if (end < 0) end = pos + 1
        break
      }
      if (kind === 0xc0) {
        if (pos + 1 >= bytes.length) throw new DnsFormatError('compression pointer runs past the end', pos)
        const target = ((length & 0x3f) << 8) | (bytes[pos + 1] ?? 0)
        // Strictly backwards from the start of the current run: each jump lowers runStart,
        // so a chain of pointers cannot loop.
        if (target >= runStart) throw new DnsFormatError(`compression pointer to ${target} does not point backwards`, pos)
        if (end < 0) end = pos + 2
        pos = target
        runStart = target
        continue
      }
      if (kind !== 0) throw new DnsFormatError(`reserved label type 0x${kind.toString(16)}`, pos)
      if (pos + 1 + length > bytes.length) throw new DnsFormatError('label runs past the end', pos)
      wireLength += length + 1
      if (wireLength > MAX_NAME_LENGTH) throw new DnsFormatError(`name longer than ${MAX_NAME_LENGTH} bytes`, pos)
      labels.push(escapeLabel(bytes.subarray(pos + 1, pos + 1 + length)))
      pos += 1 + length
    }
    this.offset = end
    return labels.join('.')
  }
}

export class WireWriter {
  private buffer = new Uint8Array(512)
  length = 0
  /** Offsets of names already written, keyed by their exact presentation form (compression targets). */
  private readonly written = new Map<string, number>()

  private ensure (n: number): void {
    if (this.length + n <= this.buffer.length) return
    const next = new Uint8Array(Math.max(this.buffer.length * 2, this.length + n))
    next.set(this.buffer.subarray(0, this.length))
    this.buffer = next
  }

  u8 (value: number): void {
    this.ensure(1)
    this.buffer[this.length++] = value & 0xff
  }

  u16 (value: number): void {
    this.u8(value >> 8)
    this.u8(value)
  }

  u32 (value: number): void {
    this.u16(Math.floor(value / 0x10000) & 0xffff)
    this.u16(value & 0xffff)
  }

  bytes (data: Uint8Array): void {
    this.ensure(data.length)
    this.buffer.set(data, this.length)
    this.length += data.length
  }

  /** Overwrites a 16-bit field already written (an RDLENGTH once its data is known). */
  patchU16 (offset: number, value: number): void {
    this.buffer[offset] = (value >> 8) & 0xff
    this.buffer[offset + 1] = value & 0xff
  }

  /** Writes `name`, pointing at an earlier copy of its longest known suffix when `compress`. */
  name (name: string, compress = true): void {
    const labels = nameToLabels(name)
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).map(escapeLabel).join('.')
      const earlier = compress ? this.written.get(suffix) : undefined
      if (earlier !== undefined) {
        this.u16(0xc000 | earlier)
        return
      }
      // Pointers hold 14 bits: names written later than that cannot be targets.
      if (this.length < 0x4000 && !this.written.has(suffix)) this.written.set(suffix, this.length)
      const label = labels[i] ?? new Uint8Array()
      this.u8(label.length)
      this.bytes(label)
    }
    this.u8(0)
  }

  finish (): Uint8Array {
    return this.buffer.slice(0, this.length)
  }
}

/** The labels of a presentation-form name (one trailing dot tolerated), unescaped. */
export function nameToLabels (name: string): Uint8Array[] {
  const labels: Uint8Array[] = []
  if (name === '' || name === '.') return labels
  let current: number[] = []
  let wireLength = 1
  const close = (): void => {
    if (current.length === 0) throw new InvalidDnsNameError(name, 'empty label')
    if (current.length > MAX_LABEL_LENGTH) throw new InvalidDnsNameError(name, `label longer than ${MAX_LABEL_LENGTH} bytes`)
    wireLength += current.length + 1
    labels.push(Uint8Array.from(current))
    current = []
  }
  const encoder = new TextEncoder()
  for (let i = 0; i < name.length; i++) {
    const ch = name[i] ?? ''
    if (ch === '.') {
      close()
    } else if (ch === '\\') {
      const digits = name.slice(i + 1, i + 4)
      if (/^[0-9]{3}$/.test(digits) && Number(digits) <= 255) {
        current.push(Number(digits))
        i += 3
      } else if (i + 1 < name.length) {
        current.push(...encoder.encode(name[i + 1] ?? ''))
        i += 1
      } else {
        throw new InvalidDnsNameError(name, 'ends in a lone backslash')
      }
    } else {
      current.push(...encoder.encode(ch))
    }
  }
  // An empty `current` here means the name ended in a dot, which is tolerated.
  if (current.length > 0) close()
  if (wireLength > MAX_NAME_LENGTH) throw new InvalidDnsNameError(name, `longer than ${MAX_NAME_LENGTH} bytes on the wire`)
  return labels
}

function escapeLabel (label: Uint8Array): string {
  let out = ''
  for (const byte of label) {
    if (byte === 0x2e || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`
    else if (byte > 0x20 && byte < 0x7f) out += String.fromCharCode(byte)
    else out += `\\${byte.toString().padStart(3, '0')}`
  }
  return out
}
