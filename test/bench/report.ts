// Renders suite results as plain-text tables for a terminal: numbers right-aligned with
// thousands separators, missing values as "—", targets listed after the tables.

import type { Cell, Column, SuiteResult, Table } from './types.ts'

export function formatResult (result: SuiteResult): string {
  const parts: string[] = [`== ${result.suite}: ${result.description}`]
  for (const table of result.tables) parts.push(formatTable(table))
  if (result.targets.length > 0) {
    parts.push('targets:')
    for (const t of result.targets) parts.push(`  [${t.met ? 'met' : 'MISSED'}] ${t.what}: ${t.actual} (target ${t.target})`)
  }
  for (const note of result.notes) parts.push(`note: ${note}`)
  return parts.join('\n')
}

export function formatTable (table: Table): string {
  const header = table.columns.map((c) => c.header)
  const body = table.rows.map((row) => table.columns.map((c) => formatCell(row[c.key] ?? null, c)))
  const numeric = table.columns.map((c) => table.rows.some((row) => typeof row[c.key] === 'number'))
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => (cells[i] ?? '').length)))
  const line = (cells: readonly string[]): string => cells
    .map((cell, i) => numeric[i] === true ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))
    .join('  ')
    .trimEnd()
  return [table.title, line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n')
}

function formatCell (value: Cell, column: Column): string {
  if (value === null) return '—'
  if (typeof value === 'boolean') return value ? 'yes' : 'no'
  if (typeof value === 'string') return value
  if (typeof value === 'number') return formatNumber(value, column.digits ?? 0)
  return value.map((v) => formatNumber(v, column.digits ?? 0)).join(', ')
}

function formatNumber (n: number, digits: number): string {
  if (!Number.isFinite(n)) return '—'
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}
