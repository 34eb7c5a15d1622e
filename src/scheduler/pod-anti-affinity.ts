// Required pod anti-affinity (InterPodAffinity's filter, anti-affinity half): a pod may not go
// to a topology domain (the nodes sharing a value of topologyKey; kubernetes.io/hostname
// means one node) that holds a pod its terms select — nor to one where an existing pod's
// terms select it. A term selects pods in the pod's own namespace, or in its `namespaces`
// and those matched by its `namespaceSelector` (`{}` is every namespace); a missing
// labelSelector selects nothing. Computed once per attempt: the blocked domains, then one
// lookup per node.

import { selectorMatches } from '../store/label-selector.ts'
import type { SchedulerCache } from './cache.ts'
import { topologyValue, type NodeFacts } from './node-info.ts'
import type { PodAffinityTerm, PodInfo } from './pod-info.ts'

export const REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"
export const REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"

/** Labels of a namespace, for namespaceSelector; undefined when it does not exist. */
export type NamespaceLabels = (namespace: string) => Readonly<Record<string, string>> | undefined

/** Domains blocked by topology key: key → values. */
type Blocked = Map<string, Set<string>>

export interface AntiAffinity {
  /** The reason this node is refused, or undefined when it passes. */
  check (node: NodeFacts): string | undefined
}

function selectsNamespace (term: PodAffinityTerm, ownerNamespace: string, ns: string, nsLabels: NamespaceLabels): boolean {
  const listed = Array.isArray(term.namespaces) ? term.namespaces : []
  const sel = term.namespaceSelector
  if (listed.length === 0 && (sel === undefined || sel === null)) return ns === ownerNamespace
  if (listed.includes(ns)) return true
  return sel !== undefined && sel !== null && selectorMatches(sel, nsLabels(ns) ?? {})
}

function termSelects (term: PodAffinityTerm, ownerNamespace: string, target: PodInfo, nsLabels: NamespaceLabels): boolean {
  return selectsNamespace(term, ownerNamespace, target.namespace, nsLabels) && selectorMatches(term.labelSelector, target.labels)
}

function block (blocked: Blocked, key: string, value: string | undefined): void {
  if (value === undefined) return
  let values = blocked.get(key)
  if (values === undefined) blocked.set(key, values = new Set())
  values.add(value)
}

function isBlocked (blocked: Blocked, node: NodeFacts): boolean {
  for (const [key, values] of blocked) {
    const v = topologyValue(node, key)
    if (v !== undefined && values.has(v)) return true
  }
  return false
}

/** The anti-affinity check for placing `pod`, against the pods the cache holds (bound and assumed). */
export function antiAffinityFor (pod: PodInfo, cache: SchedulerCache, nsLabels: NamespaceLabels): AntiAffinity | undefined {
  const own: Blocked = new Map()
  const existing: Blocked = new Map()
  if (pod.antiAffinity.length > 0) {
    for (const other of cache.allPods()) {
      if (other.info.key === pod.key) continue
      const facts = cache.node(other.node)?.facts
      if (facts === undefined) continue
      for (const term of pod.antiAffinity) {
        if (termSelects(term, pod.namespace, other.info, nsLabels)) block(own, term.topologyKey, topologyValue(facts, term.topologyKey))
      }
    }
  }
  for (const key of cache.withAntiAffinity) {
    const other = cache.pod(key)
    if (other === undefined || key === pod.key) continue
    const facts = cache.node(other.node)?.facts
    if (facts === undefined) continue
    for (const term of other.info.antiAffinity) {
      if (termSelects(term, other.info.namespace, pod, nsLabels)) block(existing, term.topologyKey, topologyValue(facts, term.topologyKey))
    }
  }
  if (own.size === 0 && existing.size === 0) return undefined
  return {
    check (node) {
      if (isBlocked(own, node)) return REASON_ANTI_AFFINITY
      if (isBlocked(existing, node)) return REASON_EXISTING_ANTI_AFFINITY
      return undefined
    }
  }
}
