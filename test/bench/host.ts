// What the machine was doing while a figure was taken: the host's shape, and the background
// load sampled beside each measurement (the machine is shared, so figures are only
// comparable with the load next to them).

import { cpus, loadavg, platform, release, totalmem } from 'node:os'

export interface HostInfo {
  readonly node: string
  readonly platform: string
  readonly cpus: number
  readonly cpuModel: string
  readonly memoryGiB: number
}

export function hostInfo (): HostInfo {
  const list = cpus()
  return {
    node: process.version,
    platform: `${platform()} ${release()}`,
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30 * 10) / 10
  }
}

/** The 1-minute load average (it includes this process's own work). */
export function load1 (): number {
  return loadavg()[0] ?? Number.NaN
}
