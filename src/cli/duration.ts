// Durations on the command line as kubectl and Go's time.ParseDuration write them: a sequence
// of decimal numbers with units (`300ms`, `4s`, `1.5s`, `2m30s`, `1h`), or a plain `0`.

import { UsageError } from './errors.ts'

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y

/** Milliseconds in `text`, or undefined if it is not a duration. */
export function parseDuration (text: string): number | undefined {
  if (text === '0') return 0
  if (text === '') return undefined
  let ms = 0
  PART.lastIndex = 0
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex
    const m = PART.exec(text)
    if (m === null || m.index !== start) return undefined
    ms += Number(m[1]) * (UNIT_MS[m[2] as string] as number)
  }
  return ms
}

/** The duration a flag was given, in milliseconds; undefined when the flag is absent. */
export function durationFlag (value: string | undefined, flag: string, verb: string): number | undefined {
  if (value === undefined) return undefined
  const ms = parseDuration(value)
  if (ms === undefined) throw new UsageError(`invalid value "${value}" for --${flag}: give a duration such as 500ms, 4s or 1m30s`, verb)
  return ms
}
