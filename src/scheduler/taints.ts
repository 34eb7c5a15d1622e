// Taints and tolerations (k8s.io/api/core/v1 toleration.go): a toleration with an empty key
// and operator Exists tolerates everything; otherwise keys must be equal, and with operator
// Equal (the default) so must values. An empty effect tolerates every effect.

import type { Taint } from '../objects/node.ts'
import type { Toleration } from '../objects/pod-spec.ts'

export function tolerates (t: Toleration, taint: Taint): boolean {
  if (t.effect !== undefined && t.effect !== ('' as string) && t.effect !== taint.effect) return false
  const operator = t.operator ?? 'Equal'
  if ((t.key ?? '') === '') return operator === 'Exists'
  if (t.key !== taint.key) return false
  if (operator === 'Exists') return true
  return operator === 'Equal' && (t.value ?? '') === (taint.value ?? '')
}

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
