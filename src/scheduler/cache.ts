// The scheduler's picture of the cluster: every Node, and every pod that holds room on one —
// bound pods seen in the local replica, and assumed pods (bound by a write that has not been
// applied yet), so that two pods placed in one batch, or in two batches in flight, never
// overcommit a node. An assumed pod becomes an ordinary bound pod when the replica shows it
// bound; if its write fails it is forgotten.
//
// Each change says whether it may let a pod that fit nowhere fit now (room freed, a node
// added or changed), which is when unschedulable pods are tried again.

import type { Node } from '../objects/node.ts'
import type { Pod } from '../objects/pod.ts'
import { NodeInfo, nodeFactsOf, type NodeFacts } from './node-info.ts'
import { keyOf } from '../controllers/informer.ts'
import { isTerminated, podInfoOf, type PodInfo } from './pod-info.ts'

export interface CachedPod {
  info: PodInfo
  node: string
  assumed: boolean
}

export class SchedulerCache {
  /** Nodes with a Node object. */
  private readonly nodes = new Map<string, NodeInfo>()
  /** Accounting of pods on names without a Node object (yet), so a late Node starts full. */
  private readonly orphans = new Map<string, NodeInfo>()
  private readonly pods = new Map<string, CachedPod>()
  /** Keys of cached pods with required anti-affinity terms (the existing pods' rules). */
  readonly withAntiAffinity = new Set<string>()
  private sorted: NodeInfo[] | null = null

  /** Candidate nodes, in name order (ties between equal scores go to the first). Do not modify. */
  nodeList (): readonly NodeInfo[] {
    this.sorted ??= [...this.nodes.keys()].sort().map((n) => this.nodes.get(n) as NodeInfo)
    return this.sorted
  }

  get nodeCount (): number { return this.nodes.size }

  node (name: string): NodeInfo | undefined { return this.nodes.get(name) }

  pod (key: string): CachedPod | undefined { return this.pods.get(key) }

  allPods (): IterableIterator<CachedPod> { return this.pods.values() }

  /** A Node was added or changed; true if that may make room for pending pods. */
  upsertNode (node: Node): boolean {
    const facts: NodeFacts = nodeFactsOf(node)
    const existing = this.nodes.get(facts.name)
    if (existing !== undefined) {
      const changed = existing.facts.fingerprint !== facts.fingerprint
      existing.facts = facts
      return changed
    }
    const orphan = this.orphans.get(facts.name)
    this.orphans.delete(facts.name)
    const info = orphan ?? new NodeInfo(facts)
    info.facts = facts
    this.nodes.set(facts.name, info)
    this.sorted = null
    return true
  }

  removeNode (name: string): void {
    const info = this.nodes.get(name)
    if (info === undefined) return
    this.nodes.delete(name)
    this.sorted = null
    // Pods still bound there keep their accounting, should the Node come back.
    if (info.podCount > 0) this.orphans.set(name, info)
  }

  /**
   * The replica shows this pod (added or modified). Bound, non-terminated pods hold room on
   * their node; anything else holds none. True if room was freed or a bound pod's labels
   * changed (both may let a pending pod in).
   */
  observePod (pod: Pod): boolean {
    const key = keyOf(pod)
    const node = pod.spec?.nodeName ?? ''
    const prev = this.pods.get(key)
    if (node === '' || isTerminated(pod)) {
      // Unbound: an assumed placement still waits for its write; keep it.
      if (prev?.assumed === true && node === '' && prev.info.uid === (pod.metadata.uid ?? '')) return false
      return this.removePod(key)
    }
    const info = podInfoOf(pod)
    if (prev !== undefined && prev.node === node && !prev.assumed && prev.info.uid === info.uid && sameLabels(prev.info.labels, info.labels)) return false
    const freed = prev !== undefined && !prev.assumed && (prev.node !== node || !sameLabels(prev.info.labels, info.labels))
    if (prev !== undefined) this.detach(prev)
    this.attach({ info, node, assumed: false })
    return freed
  }

  /** The pod is gone from the replica (or holds no room any more). True if it held room. */
  removePod (key: string): boolean {
    const prev = this.pods.get(key)
    if (prev === undefined) return false
    this.detach(prev)
    return !prev.assumed
  }

  /** Count `info` on `node` until its binding is seen applied (observePod) or fails (forget). */
  assume (info: PodInfo, node: string): void {
    const prev = this.pods.get(info.key)
    if (prev !== undefined) this.detach(prev)
    this.attach({ info, node, assumed: true })
  }

  /** The binding of an assumed pod failed: give its room back. A pod seen bound meanwhile stays. */
  forget (key: string): void {
    const prev = this.pods.get(key)
    if (prev?.assumed === true) this.detach(prev)
  }

  isAssumed (key: string): boolean { return this.pods.get(key)?.assumed === true }

  private infoFor (name: string): NodeInfo {
    const known = this.nodes.get(name) ?? this.orphans.get(name)
    if (known !== undefined) return known
    const orphan = new NodeInfo(nodeFactsOf({ apiVersion: 'v1', kind: 'Node', metadata: { name } }))
    this.orphans.set(name, orphan)
    return orphan
  }

  private attach (p: CachedPod): void {
    this.pods.set(p.info.key, p)
    this.infoFor(p.node).addPod(p.info)
    if (p.info.antiAffinity.length > 0) this.withAntiAffinity.add(p.info.key)
  }

  private detach (p: CachedPod): void {
    this.pods.delete(p.info.key)
    this.withAntiAffinity.delete(p.info.key)
    const info = this.nodes.get(p.node) ?? this.orphans.get(p.node)
    if (info === undefined) return
    info.removePod(p.info)
    if (info.podCount === 0 && this.orphans.get(p.node) === info) this.orphans.delete(p.node)
  }
}

function sameLabels (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  if (a === b) return true
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  for (const k of ka) if (a[k] !== b[k]) return false
  return true
}
