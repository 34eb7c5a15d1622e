// Node affinity as Kubernetes defines it (k8s.io/component-helpers/scheduling/corev1): a pod
// fits a node when the node's labels carry every nodeSelector pair and, if the pod has
// required node affinity, at least one nodeSelectorTerm matches. Within a term every
// matchExpression (on labels) and matchField (only metadata.name) must hold; a term with
// neither matches nothing, and an unknown operator or a malformed value fails the term.

import type { NodeFacts } from './node-info.ts'
import type { NodeSelectorRequirement, NodeSelectorTerm, PodInfo } from './pod-info.ts'

const INTEGER = /^-?[0-9]+$/

function matchesRequirement (r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = Array.isArray(r.values) ? r.values : []
  switch (r.operator) {
    case 'In': return value !== undefined && values.includes(value)
    case 'NotIn': return value === undefined || !values.includes(value)
    case 'Exists': return value !== undefined
    case 'DoesNotExist': return value === undefined
    case 'Gt': case 'Lt': {
      const bound = values[0]
      if (values.length !== 1 || bound === undefined || !INTEGER.test(bound) || value === undefined || !INTEGER.test(value)) return false
      return r.operator === 'Gt' ? Number(value) > Number(bound) : Number(value) < Number(bound)
    }
    default: return false
  }
}

function matchesTerm (term: NodeSelectorTerm, node: NodeFacts): boolean {
  const exprs = Array.isArray(term.matchExpressions) ? term.matchExpressions : []
  const fields = Array.isArray(term.matchFields) ? term.matchFields : []
  if (exprs.length === 0 && fields.length === 0) return false
  for (const e of exprs) {
    if (!matchesRequirement(e, Object.hasOwn(node.labels, e.key) ? node.labels[e.key] : undefined)) return false
  }
  for (const f of fields) {
    // Only metadata.name is a supported node field, with In / NotIn.
    if (f.key !== 'metadata.name' || (f.operator !== 'In' && f.operator !== 'NotIn')) return false
    if (!matchesRequirement(f, node.name)) return false
  }
  return true
}

/** Does the node satisfy the pod's nodeSelector and required node affinity? */
export function matchesNodeAffinity (pod: PodInfo, node: NodeFacts): boolean {
  if (pod.nodeSelector !== undefined) {
    for (const [k, v] of pod.nodeSelector) if (node.labels[k] !== v) return false
  }
  const terms = pod.requiredNodeTerms
  if (terms === undefined) return true
  return terms.some((t) => matchesTerm(t, node))
}
