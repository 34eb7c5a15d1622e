// The fsync baseline: how long one synced 100-byte LevelDB put takes on this machine right
// now. Latency targets are stated relative to it ("≤ 1 ms + one fsync"), so it is measured
// in the same run as the figures it judges.

import { randomBytes } from 'node:crypto'
import { Level } from 'level'
import { percentileSorted, Samples } from './stats.ts'
import { makeTempDir, removeTempDir } from './temp-dirs.ts'

export interface FsyncBaseline {
  readonly medianMs: number
  readonly p90Ms: number
  readonly samples: number
  /** Every measured time, sorted ascending (to pool several baselines). */
  readonly sortedMs: Float64Array
}

/** Time `count` sequential synced puts (after a few unmeasured ones) in a fresh db under os.tmpdir(). */
export async function measureSyncedPut (count: number): Promise<FsyncBaseline> {
  const dir = await makeTempDir('flotilla-bench-fsync')
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' })
  try {
    await db.open()
    const value = randomBytes(100)
    const times = new Samples()
    const warmup = 20
    for (let i = 0; i < warmup + count; i++) {
      const key = Buffer.from(`k${i}`)
      const t0 = performance.now()
      await db.put(key, value, { sync: true })
      if (i >= warmup) times.push(performance.now() - t0)
    }
    const sorted = times.sorted()
    return { medianMs: percentileSorted(sorted, 50), p90Ms: percentileSorted(sorted, 90), samples: count, sortedMs: sorted }
  } finally {
    await db.close()
    await removeTempDir(dir)
  }
}
