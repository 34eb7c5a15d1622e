// Plain-text tables as kubectl prints them: upper-case headers, columns left-aligned and
// separated by three spaces (two inside `describe`), no borders, no trailing spaces.

export function renderTable (headers: string[], rows: string[][], gap = 3): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)))
  const line = (cells: string[]): string =>
    cells.map((c, i) => i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)).join(' '.repeat(gap)).trimEnd()
  return [line(headers), ...rows.map(line)].join('\n') + '\n'
}
