// Small statistics for benchmark samples: medians of repeated runs and nearest-rank
// percentiles of latency samples.

/** The median of `values` (mean of the middle two for an even count); NaN when empty. */
export function median (values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = Float64Array.from(values).sort()
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Nearest-rank percentile (p in [0, 100]) of samples already sorted ascending; NaN when empty. */
export function percentileSorted (sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

/** A growable buffer of numbers that does not box each sample. */
export class Samples {
  private data = new Float64Array(1024)
  length = 0

  push (value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2)
      bigger.set(this.data)
      this.data = bigger
    }
    this.data[this.length++] = value
  }

  /** A sorted copy of the samples. */
  sorted (): Float64Array {
    return this.data.slice(0, this.length).sort()
  }
}
