// The contract between the benchmark runner (main.ts) and its suites. A suite measures one
// thing and hands back plain data: tables to print, target checks, notes. Everything in a
// SuiteResult is JSON, so `--json FILE` writes it unchanged for machines to compare runs.

export interface BenchOptions {
  /** Short durations and a single repetition: a smoke test of the harness, not a measurement. */
  readonly quick: boolean
  /** Progress lines (stderr), so stdout keeps only the results. */
  readonly log: (line: string) => void
}

export interface Suite {
  /** Matched by `--only` (substring). */
  readonly name: string
  /** One line: what is measured and how. */
  readonly description: string
  run (opts: BenchOptions): Promise<SuiteResult>
}

export interface Column {
  /** The row field shown in this column. */
  readonly key: string
  readonly header: string
  /** Decimals for numbers; default 0 (integers get thousands separators). */
  readonly digits?: number
}

export type Cell = string | number | boolean | null | readonly number[]
export type Row = Readonly<Record<string, Cell>>

export interface Table {
  readonly title: string
  readonly columns: readonly Column[]
  /** Rows may carry fields no column shows (raw per-run values, for the JSON file). */
  readonly rows: readonly Row[]
}

/** A DESIGN.md target judged against a figure of this run. */
export interface TargetCheck {
  readonly what: string
  readonly target: string
  readonly actual: string
  readonly met: boolean
}

export interface SuiteResult {
  readonly suite: string
  readonly description: string
  readonly tables: readonly Table[]
  readonly targets: readonly TargetCheck[]
  readonly notes: readonly string[]
}
