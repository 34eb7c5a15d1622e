// Taints and tolerations, as k8s.io/api/core/v1 Toleration.ToleratesTaint: a toleration with
// an empty key and operator Exists tolerates every taint; otherwise the keys must be equal,
// and with operator Equal (the default) so must the values. An empty effect tolerates every
// effect. Shared by the scheduler (which taints keep a pod off a node) and node lifecycle
// (which pods a NoExecute taint evicts). A malformed toleration tolerates nothing.

import type { Taint } from './node.ts'

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export function tolerates (toleration: unknown, taint: Taint): boolean {
  if (!isRecord(toleration)) return false
  const { key, operator, value, effect } = toleration
  if (effect !== undefined && effect !== '' && effect !== taint.effect) return false
  if (key !== undefined && key !== '' && key !== taint.key) return false
  switch (operator ?? 'Equal') {
    // An empty key with Exists matches every taint; with a key, every value of it.
    case 'Exists': return true
    case 'Equal': return key !== undefined && key !== '' && (value ?? '') === (taint.value ?? '')
    default: return false
  }
}
