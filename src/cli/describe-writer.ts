// Builds `describe` output the way kubectl's tabwriter lays it out: `Key:` and value pairs
// whose values line up across each run of consecutive key/value lines (two spaces after the
// widest key), nested sections indented by two spaces, small tables, and a generic
// pretty-printer for fields no describer knows (camelCase keys shown as Title Case words).

import { renderTable } from './table.ts'

interface Line { text: string, value?: string }

export class DescribeWriter {
  private readonly lines: Line[] = []

  /** `Key:  value`; an array value continues on aligned lines; no value makes a section header. */
  line (indent: number, key: string, value?: string | string[]): void {
    const text = `${'  '.repeat(indent)}${key}:`
    if (value === undefined) { this.lines.push({ text }); return }
    const values = Array.isArray(value) ? (value.length === 0 ? ['<none>'] : value) : [value]
    values.forEach((v, i) => this.lines.push({ text: i === 0 ? text : '', value: v }))
  }

  /** A line printed as is (no alignment). */
  raw (indent: number, text: string): void {
    this.lines.push({ text: `${'  '.repeat(indent)}${text}` })
  }

  /** `Labels:  a=b` then one label per aligned line; `<none>` when empty. */
  map (indent: number, key: string, m: Record<string, unknown> | undefined, sep = '='): void {
    const entries = Object.entries(m ?? {}).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    this.line(indent, key, entries.map(([k, v]) => `${k}${sep}${typeof v === 'string' ? v : JSON.stringify(v)}`))
  }

  /** A table under the current section, with a dashed rule under the headers like kubectl's. */
  table (indent: number, headers: string[], rows: string[][]): void {
    const rule = headers.map(h => '-'.repeat(h.length))
    for (const l of renderTable(headers, [rule, ...rows], 2).trimEnd().split('\n')) this.raw(indent, l)
  }

  /** Any JSON value as nested `Key:  value` lines. */
  value (indent: number, key: string, v: unknown): void {
    if (v === null || v === undefined) { this.line(indent, titleCase(key), '<none>'); return }
    if (Array.isArray(v)) {
      if (v.every(x => typeof x !== 'object' || x === null)) { this.line(indent, titleCase(key), v.map(String).join(', ') || '<none>'); return }
      this.line(indent, titleCase(key))
      v.forEach((item, i) => {
        if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
          this.raw(indent + 1, `[${i}]`)
          for (const [k, x] of Object.entries(item)) this.value(indent + 2, k, x)
        } else {
          this.value(indent + 1, `[${i}]`, item)
        }
      })
      return
    }
    if (typeof v === 'object') {
      const entries = Object.entries(v)
      if (entries.length === 0) { this.line(indent, titleCase(key), '<none>'); return }
      this.line(indent, titleCase(key))
      for (const [k, x] of entries) this.value(indent + 1, k, x)
      return
    }
    this.line(indent, titleCase(key), String(v))
  }

  render (): string {
    const out: string[] = []
    let i = 0
    while (i < this.lines.length) {
      const start = i
      while (i < this.lines.length && this.lines[i]?.value !== undefined) i++
      if (i === start) { out.push(this.lines[i]?.text ?? ''); i++; continue }
      const block = this.lines.slice(start, i)
      const width = Math.max(...block.map(l => l.text.length)) + 2
      for (const l of block) out.push(`${l.text.padEnd(width)}${l.value ?? ''}`.trimEnd())
    }
    return out.join('\n') + '\n'
  }
}

/** `containerPort` → `Container Port`; keys with dots or slashes are left alone. */
export function titleCase (key: string): string {
  if (/[./[]/.test(key)) return key
  const spaced = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
  return spaced.charAt(0).toUpperCase() + spaced.slice(1)
}

/** kubectl's time format in describe: `Mon, 02 Jan 2006 15:04:05 +0000`. */
export function describeTime (ts: unknown): string {
  if (typeof ts !== 'string') return '<unset>'
  const t = Date.parse(ts)
  return Number.isNaN(t) ? ts : new Date(t).toUTCString().replace('GMT', '+0000')
}
