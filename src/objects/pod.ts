// Pod (core/v1): containers scheduled together on one node. Defaults and validation are those
// of the pod spec (pod-spec.ts); a new pod also starts in phase Pending.

import type { KObject, ObjectMeta } from '../store/types.ts'
import { validateObjectMeta } from './object-meta.ts'
import { defaultPodSpec, type PodSpec } from './pod-spec.ts'
import { validatePodSpec } from './pod-spec-validation.ts'
import type { KindInfo } from './registry.ts'
import { dns1123SubdomainErrors, ensureRecord } from './validation.ts'

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown'

export interface PodCondition {
  type: 'PodScheduled' | 'Initialized' | 'ContainersReady' | 'Ready' | string
  status: 'True' | 'False' | 'Unknown'
  reason?: string
  message?: string
  lastTransitionTime?: string
  lastProbeTime?: string | null
}

export interface ContainerState {
  waiting?: { reason?: string, message?: string }
  running?: { startedAt?: string }
  terminated?: { exitCode: number, reason?: string, message?: string, startedAt?: string, finishedAt?: string, containerID?: string }
}

export interface ContainerStatus {
  name: string
  ready: boolean
  restartCount: number
  image: string
  imageID?: string
  containerID?: string
  started?: boolean
  state?: ContainerState
  lastState?: ContainerState
}

export interface PodStatus {
  phase?: PodPhase
  conditions?: PodCondition[]
  message?: string
  reason?: string
  hostIP?: string
  podIP?: string
  podIPs?: Array<{ ip: string }>
  startTime?: string
  containerStatuses?: ContainerStatus[]
  initContainerStatuses?: ContainerStatus[]
  qosClass?: 'Guaranteed' | 'Burstable' | 'BestEffort'
  nominatedNodeName?: string
}

export interface Pod extends KObject {
  apiVersion: 'v1'
  kind: 'Pod'
  metadata: ObjectMeta
  spec: PodSpec
  status?: PodStatus
}

export const podKind: KindInfo = {
  group: '',
  version: 'v1',
  kind: 'Pod',
  plural: 'pods',
  singular: 'pod',
  shortNames: ['po'],
  namespaced: true,
  categories: ['all'],
  subresources: ['status', 'log', 'exec', 'attach', 'portforward', 'eviction'],
  defaults (obj: KObject): void {
    defaultPodSpec(obj.spec)
    ensureRecord(obj, 'status').phase ??= 'Pending'
  },
  validate (obj: KObject) {
    return [
      ...validateObjectMeta(obj, { namespaced: true, nameErrors: dns1123SubdomainErrors }),
      ...validatePodSpec(obj.spec, 'spec')
    ]
  }
}
