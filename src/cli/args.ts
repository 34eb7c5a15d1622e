// Command-line parsing shared by every verb: a flag spec per verb plus the global connection
// flags, kubectl-style syntax (`-n ns`, `-n=ns`, `--namespace ns`, `--namespace=ns`, `-A`,
// repeatable `-f`), positionals in any order around flags, and `--` to end flags.

import { UsageError } from './errors.ts'

export interface FlagSpec {
  /** Long name without dashes: `namespace`. */
  name: string
  /** One-letter alias without the dash: `n`. */
  short?: string
  /** `string` flags take a value; `boolean` flags take none (or `=true` / `=false`). */
  type: 'string' | 'boolean'
  /** A string flag that may be given several times (values are collected in order). */
  multiple?: boolean
  /** Placeholder for the value in help text. */
  valueName?: string
  description: string
}

/** Flags every verb that talks to a server accepts. */
export const CONNECTION_FLAGS: FlagSpec[] = [
  { name: 'namespace', short: 'n', type: 'string', valueName: 'NS', description: 'namespace (default: the kubeconfig context\'s, else "default")' },
  { name: 'kubeconfig', type: 'string', valueName: 'PATH', description: 'kubeconfig file to use' },
  { name: 'context', type: 'string', valueName: 'NAME', description: 'kubeconfig context to use (default: current-context)' },
  { name: 'data-dir', type: 'string', valueName: 'DIR', description: 'use the kubeconfig a local agent wrote to DIR/kubeconfig' },
  { name: 'server', short: 's', type: 'string', valueName: 'URL', description: 'API server URL (overrides the kubeconfig)' },
  { name: 'token', type: 'string', valueName: 'TOKEN', description: 'bearer token (overrides the kubeconfig)' }
]

export const HELP_FLAG: FlagSpec = { name: 'help', short: 'h', type: 'boolean', description: 'show this help' }

/** The result of parsing one verb's arguments. */
export class ParsedArgs {
  readonly positionals: string[]
  private readonly values: Map<string, string | boolean | string[]>

  constructor (positionals: string[], values: Map<string, string | boolean | string[]>) {
    this.positionals = positionals
    this.values = values
  }

  /** The last value of a string flag, or undefined when absent. */
  string (name: string): string | undefined {
    const v = this.values.get(name)
    if (Array.isArray(v)) return v[v.length - 1]
    return typeof v === 'string' ? v : undefined
  }

  /** Every value of a repeatable string flag, in order. */
  strings (name: string): string[] {
    const v = this.values.get(name)
    if (Array.isArray(v)) return v
    return typeof v === 'string' ? [v] : []
  }

  bool (name: string): boolean {
    return this.values.get(name) === true
  }

  has (name: string): boolean {
    return this.values.has(name)
  }
}

/**
 * Parses `argv` against `specs`. Throws UsageError (naming `verb`) for an unknown flag, a
 * missing value or a malformed boolean.
 */
export function parseArgs (argv: string[], specs: FlagSpec[], verb?: string): ParsedArgs {
  const byLong = new Map(specs.map(s => [s.name, s]))
  const byShort = new Map(specs.filter(s => s.short !== undefined).map(s => [s.short as string, s]))
  const positionals: string[] = []
  const values = new Map<string, string | boolean | string[]>()

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--') { positionals.push(...argv.slice(i + 1)); break }
    if (arg === '-' || !arg.startsWith('-')) { positionals.push(arg); continue }

    const long = arg.startsWith('--')
    const body = long ? arg.slice(2) : arg.slice(1)
    const eq = body.indexOf('=')
    let key = eq >= 0 ? body.slice(0, eq) : body
    let inline: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined
    if (!long && key.length > 1 && inline === undefined) {
      // `-nkube-system`: a short flag with its value attached.
      inline = key.slice(1)
      key = key.slice(0, 1)
    }
    const spec = long ? byLong.get(key) : byShort.get(key)
    if (spec === undefined) throw new UsageError(`unknown flag: ${arg}`, verb)
    const shown = long ? `--${key}` : `-${key}`

    if (spec.type === 'boolean') {
      if (inline === undefined || inline === 'true') values.set(spec.name, true)
      else if (inline === 'false') values.delete(spec.name)
      else throw new UsageError(`invalid value for ${shown}: "${inline}" (expected true or false)`, verb)
      continue
    }
    let value = inline
    if (value === undefined) {
      const next = argv[i + 1]
      if (next === undefined) throw new UsageError(`flag needs an argument: ${shown}`, verb)
      value = next
      i++
    }
    if (spec.multiple === true) {
      const prev = values.get(spec.name)
      values.set(spec.name, [...(Array.isArray(prev) ? prev : []), value])
    } else {
      values.set(spec.name, value)
    }
  }
  return new ParsedArgs(positionals, values)
}

export interface HelpText {
  /** One usage line per form, without the `Usage:` prefix. */
  usage: string[]
  summary: string
  /** Extra paragraphs after the summary. */
  details?: string
  examples?: string[]
  flags: FlagSpec[]
}

/** Renders a verb's `--help` page. */
export function formatHelp (h: HelpText): string {
  const out: string[] = [h.summary, '']
  out.push('Usage:')
  for (const u of h.usage) out.push(`  ${u}`)
  if (h.details !== undefined) out.push('', h.details)
  if (h.examples !== undefined && h.examples.length > 0) {
    out.push('', 'Examples:')
    for (const e of h.examples) out.push(`  ${e}`)
  }
  if (h.flags.length > 0) {
    out.push('', 'Flags:')
    const left = h.flags.map(f => {
      const names = f.short !== undefined ? `-${f.short}, --${f.name}` : `    --${f.name}`
      return f.type === 'string' ? `${names} ${f.valueName ?? 'VALUE'}` : names
    })
    const width = Math.max(...left.map(l => l.length))
    h.flags.forEach((f, i) => out.push(`  ${(left[i] as string).padEnd(width)}   ${f.description}`))
  }
  return out.join('\n') + '\n'
}
