// Which taints a pod's tolerations leave standing (matching rules: src/objects/tolerations.ts).

import type { Taint } from '../objects/node.ts'
import type { Toleration } from '../objects/pod-spec.ts'
import { tolerates } from '../objects/tolerations.ts'

export { tolerates }

/** The first taint that no toleration tolerates, if any. */
export function firstUntolerated (taints: readonly Taint[], tolerations: readonly Toleration[]): Taint | undefined {
  return taints.find((taint) => !tolerations.some((t) => tolerates(t, taint)))
}

/** How many of these taints nothing tolerates. */
export function countUntolerated (taints: readonly Taint[], tolerations: readonly Toleration[]): number {
  let n = 0
  for (const taint of taints) if (!tolerations.some((t) => tolerates(t, taint))) n++
  return n
}
