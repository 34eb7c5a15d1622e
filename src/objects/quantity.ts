// Kubernetes resource quantities (`500m`, `1.5`, `128Mi`, `1G`, `1e3`) as plain numbers in
// base units: cores for cpu, bytes for memory. Used by validation and by the scheduler.
// Float precision is enough for scheduling arithmetic; callers that sum many small cpu values
// should work in milli-units (`Math.round(q * 1000)`).

const QUANTITY = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/

const SUFFIX: Record<string, number> = {
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18
}

/** The quantity's value in base units, or undefined when it is not a quantity. */
export function parseQuantity (q: unknown): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined
  if (typeof q !== 'string') return undefined
  const m = QUANTITY.exec(q.trim())
  if (m === null) return undefined
  const base = Number(m[1])
  const suffix = m[2]
  if (suffix === undefined) return base
  const scale = SUFFIX[suffix]
  if (scale !== undefined) return base * scale
  return base * 10 ** Number(suffix.slice(1))
}

/** The quantity in milli-units, rounded up (as Kubernetes' MilliValue does). */
export function milliValue (q: unknown): number | undefined {
  const v = parseQuantity(q)
  return v === undefined ? undefined : Math.ceil(Math.round(v * 1e6) / 1e3)
}
