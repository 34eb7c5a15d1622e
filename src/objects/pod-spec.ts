// The pod spec: its types (the fields Flotilla reads; others pass through untouched) and the
// defaults Kubernetes fills in. Shared by Pod and by the pod templates of Deployment and
// ReplicaSet. Validation lives in pod-spec-validation.ts.

import { isRecord } from './validation.ts'

export interface ContainerPort {
  name?: string
  containerPort: number
  hostPort?: number
  hostIP?: string
  protocol?: 'TCP' | 'UDP' | 'SCTP'
}

export interface EnvVar {
  name: string
  value?: string
  valueFrom?: Record<string, unknown>
}

export interface ResourceRequirements {
  requests?: Record<string, string | number>
  limits?: Record<string, string | number>
}

export interface Probe {
  exec?: { command?: string[] }
  httpGet?: { path?: string, port: number | string, host?: string, scheme?: 'HTTP' | 'HTTPS' }
  tcpSocket?: { port: number | string, host?: string }
  initialDelaySeconds?: number
  timeoutSeconds?: number
  periodSeconds?: number
  successThreshold?: number
  failureThreshold?: number
}

export interface VolumeMount {
  name: string
  mountPath: string
  readOnly?: boolean
  subPath?: string
}

export interface Container {
  name: string
  image: string
  command?: string[]
  args?: string[]
  workingDir?: string
  env?: EnvVar[]
  ports?: ContainerPort[]
  resources?: ResourceRequirements
  volumeMounts?: VolumeMount[]
  livenessProbe?: Probe
  readinessProbe?: Probe
  startupProbe?: Probe
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never'
  terminationMessagePath?: string
  terminationMessagePolicy?: 'File' | 'FallbackToLogsOnError'
  [field: string]: unknown
}

export interface Volume {
  name: string
  emptyDir?: Record<string, unknown>
  hostPath?: { path: string, type?: string }
  configMap?: { name: string, items?: Array<{ key: string, path: string }>, optional?: boolean }
  secret?: { secretName: string, items?: Array<{ key: string, path: string }>, optional?: boolean }
  [field: string]: unknown
}

export interface Toleration {
  key?: string
  operator?: 'Exists' | 'Equal'
  value?: string
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute'
  tolerationSeconds?: number
}

export interface PodSpec {
  containers: Container[]
  initContainers?: Container[]
  volumes?: Volume[]
  restartPolicy?: 'Always' | 'OnFailure' | 'Never'
  terminationGracePeriodSeconds?: number
  dnsPolicy?: 'ClusterFirst' | 'ClusterFirstWithHostNet' | 'Default' | 'None'
  nodeSelector?: Record<string, string>
  nodeName?: string
  hostNetwork?: boolean
  schedulerName?: string
  serviceAccountName?: string
  tolerations?: Toleration[]
  affinity?: Record<string, unknown>
  priority?: number
  enableServiceLinks?: boolean
  securityContext?: Record<string, unknown>
  [field: string]: unknown
}

export interface PodTemplateSpec {
  metadata?: { labels?: Record<string, string>, annotations?: Record<string, string>, [field: string]: unknown }
  spec: PodSpec
}

/** `Always` for `:latest` or an untagged image, else `IfNotPresent` (a digest counts as a tag). */
export function defaultPullPolicy (image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent'
  const lastSegment = image.slice(image.lastIndexOf('/') + 1)
  const colon = lastSegment.lastIndexOf(':')
  if (colon < 0) return 'Always'
  return lastSegment.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent'
}

function defaultContainer (c: unknown): void {
  if (!isRecord(c)) return
  if (c.imagePullPolicy === undefined && typeof c.image === 'string') c.imagePullPolicy = defaultPullPolicy(c.image)
  c.terminationMessagePath ??= '/dev/termination-log'
  c.terminationMessagePolicy ??= 'File'
  if (Array.isArray(c.ports)) {
    for (const p of c.ports) if (isRecord(p)) p.protocol ??= 'TCP'
  }
  for (const probeKey of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const probe = c[probeKey]
    if (!isRecord(probe)) continue
    probe.timeoutSeconds ??= 1
    probe.periodSeconds ??= 10
    probe.successThreshold ??= 1
    probe.failureThreshold ??= 3
    if (isRecord(probe.httpGet)) {
      probe.httpGet.path ??= '/'
      probe.httpGet.scheme ??= 'HTTP'
    }
  }
}

/** Fill a pod spec's defaults in place, as Kubernetes does. Idempotent. */
export function defaultPodSpec (spec: unknown): void {
  if (!isRecord(spec)) return
  spec.restartPolicy ??= 'Always'
  spec.dnsPolicy ??= 'ClusterFirst'
  spec.terminationGracePeriodSeconds ??= 30
  spec.schedulerName ??= 'default-scheduler'
  spec.enableServiceLinks ??= true
  spec.securityContext ??= {}
  for (const list of [spec.containers, spec.initContainers]) {
    if (Array.isArray(list)) for (const c of list) defaultContainer(c)
  }
  if (Array.isArray(spec.volumes)) {
    for (const v of spec.volumes) {
      if (!isRecord(v)) continue
      if (isRecord(v.configMap)) v.configMap.defaultMode ??= 0o644
      if (isRecord(v.secret)) v.secret.defaultMode ??= 0o644
    }
  }
}
