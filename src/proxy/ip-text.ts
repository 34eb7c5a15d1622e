// IP addresses between their text forms and the bytes DNS carries in A (4 bytes) and AAAA
// (16 bytes) records. Strict: text that is not a plain IPv4 dotted quad or an RFC 4291 IPv6
// address (zone ids are not addresses) yields undefined, so callers can tell "not an IP".
// Formatting follows RFC 5952 (lower case, longest zero run as `::`).

/** The 4 bytes of a dotted-quad IPv4 address, or undefined if `text` is not one. */
export function parseIPv4 (text: string): Uint8Array | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  const out = new Uint8Array(4)
  for (let i = 0; i < 4; i++) {
    const part = parts[i] ?? ''
    // No leading zeros: "010" is octal to some parsers and decimal to others.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined
    const value = Number(part)
    if (value > 255) return undefined
    out[i] = value
  }
  return out
}

/** The 16 bytes of an IPv6 address (`::` and a trailing dotted quad allowed), or undefined. */
export function parseIPv6 (text: string): Uint8Array | undefined {
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const compressed = halves.length === 2
  const head = parseGroups(halves[0] ?? '', !compressed)
  const tail = compressed ? parseGroups(halves[1] ?? '', true) : []
  if (head === undefined || tail === undefined) return undefined
  const count = head.length + tail.length
  if (compressed ? count > 7 : count !== 8) return undefined
  const groups = [...head, ...new Array<number>(8 - count).fill(0), ...tail]
  const out = new Uint8Array(16)
  groups.forEach((group, i) => { out[i * 2] = group >> 8; out[i * 2 + 1] = group & 0xff })
  return out
}

/** Colon-separated 16-bit groups; a dotted quad may end them when `lastMayBeV4`. */
function parseGroups (text: string, lastMayBeV4: boolean): number[] | undefined {
  if (text === '') return []
  const parts = text.split(':')
  const groups: number[] = []
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? ''
    if (lastMayBeV4 && i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIPv4(part)
      if (v4 === undefined) return undefined
      groups.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0))
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
      groups.push(parseInt(part, 16))
    } else {
      return undefined
    }
  }
  return groups
}

export function formatIPv4 (bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 4)).join('.')
}

export function formatIPv6 (bytes: Uint8Array): string {
  const groups: number[] = []
  for (let i = 0; i < 8; i++) groups.push(((bytes[i * 2] ?? 0) << 8) | (bytes[i * 2 + 1] ?? 0))
  // The longest run of two or more zero groups becomes "::" (the first one on a tie).
  let bestStart = -1
  let bestLength = 1
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLength) { bestStart = i; bestLength = j - i }
    i = j
  }
  const hex = (list: number[]): string => list.map((g) => g.toString(16)).join(':')
  if (bestStart < 0) return hex(groups)
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`
}

/** 4 if `text` is an IPv4 address, 6 if IPv6, 0 otherwise (as node:net's isIP). */
export function ipFamily (text: string): 4 | 6 | 0 {
  if (parseIPv4(text) !== undefined) return 4
  if (parseIPv6(text) !== undefined) return 6
  return 0
}
