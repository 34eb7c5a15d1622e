// What cordon, uncordon and drain do to a cluster, apart from printing: set or clear a Node's
// spec.unschedulable (re-reading on a write conflict), decide which of a node's pods a drain
// may delete (kubectl's drain filters), and wait for pods to be gone.

import { ApiError, isNotFound, type ApiClient, type KObject } from './client.ts'
import type { ResourceInfo } from './discovery.ts'

/** Attempts at a cordon when the Node keeps changing underneath (its kubelet posts status). */
const CORDON_ATTEMPTS = 5

/** Set (cordon) or clear (uncordon) spec.unschedulable; false when it already was so. */
export async function setUnschedulable (client: ApiClient, nodes: ResourceInfo, name: string, unschedulable: boolean): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const node = await client.get(nodes, undefined, name)
    const spec = { ...(node.spec as Record<string, unknown> | undefined) }
    if ((spec.unschedulable === true) === unschedulable) return false
    if (unschedulable) spec.unschedulable = true
    else delete spec.unschedulable
    try {
      await client.replace(nodes, undefined, name, { ...node, spec })
      return true
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 409) || attempt >= CORDON_ATTEMPTS) throw err
    }
  }
}

export interface DrainFlags {
  /** Also delete pods that no controller will replace. */
  force: boolean
  /** Leave DaemonSet pods alone instead of refusing. */
  ignoreDaemonSets: boolean
  /** Also delete pods with emptyDir volumes (their data is lost). */
  deleteEmptyDirData: boolean
}

export interface DrainPlan {
  /** The pods to delete. */
  evict: KObject[]
  /** `message: ns/a, ns/b` lines to print as warnings. */
  warnings: string[]
  /** `message: ns/a, ns/b` reasons the drain cannot go on; empty when it can. */
  errors: string[]
}

interface PodShape {
  spec?: { volumes?: Array<{ emptyDir?: unknown }> }
  status?: { phase?: string }
  metadata?: { ownerReferences?: Array<{ kind?: string, controller?: boolean }>, annotations?: Record<string, string> }
}

const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror'

function filterOrder (message: string): number {
  return ['DaemonSet', 'no controller', 'local storage'].findIndex((word) => message.includes(word))
}

/** Which of a node's pods a drain deletes, warns about or refuses, as kubectl drain's filters. */
export function planDrain (pods: KObject[], flags: DrainFlags): DrainPlan {
  const warnings = new Map<string, string[]>()
  const errors = new Map<string, string[]>()
  const note = (to: Map<string, string[]>, message: string, id: string): void => { to.set(message, [...(to.get(message) ?? []), id]) }
  const evict: KObject[] = []
  for (const pod of pods) {
    const p = pod as PodShape
    const id = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`
    // Static pods' mirrors: the node's kubelet owns them, deleting does nothing.
    if (p.metadata?.annotations?.[MIRROR_ANNOTATION] !== undefined) continue
    const finished = p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed'
    const controller = (p.metadata?.ownerReferences ?? []).find((r) => r.controller === true)
    if (controller?.kind === 'DaemonSet') {
      if (flags.ignoreDaemonSets) note(warnings, 'ignoring DaemonSet-managed Pods', id)
      else note(errors, 'cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)', id)
      continue
    }
    let refused = false
    if (controller === undefined && !finished) {
      if (flags.force) note(warnings, 'deleting Pods that declare no controller', id)
      else { note(errors, 'cannot delete Pods that declare no controller (use --force to override)', id); refused = true }
    }
    if (!finished && (p.spec?.volumes ?? []).some((v) => v.emptyDir !== undefined && v.emptyDir !== null)) {
      if (flags.deleteEmptyDirData) note(warnings, 'deleting Pods with local storage', id)
      else { note(errors, 'cannot delete Pods with local storage (use --delete-emptydir-data to override)', id); refused = true }
    }
    if (!refused) evict.push(pod)
  }
  // In the order of kubectl's filters, whatever the order of the pods.
  const lines = (m: Map<string, string[]>): string[] => [...m].sort(([a], [b]) => filterOrder(a) - filterOrder(b)).map(([message, ids]) => `${message}: ${ids.join(', ')}`)
  return { evict, warnings: lines(warnings), errors: lines(errors) }
}

/** True once the pod is gone: not found, or its name now belongs to another pod (another uid). */
export async function podGone (client: ApiClient, pods: ResourceInfo, pod: KObject): Promise<boolean> {
  try {
    const now = await client.get(pods, pod.metadata?.namespace, pod.metadata?.name ?? '')
    return now.metadata?.uid !== pod.metadata?.uid
  } catch (err) {
    if (isNotFound(err)) return true
    throw err
  }
}
