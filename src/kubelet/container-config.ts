// What a container is started with, resolved from its pod: env (value, valueFrom
// configMapKeyRef/secretKeyRef/fieldRef, envFrom ConfigMaps and Secrets) and resource limits.
// A reference that cannot be resolved (missing ConfigMap, Secret or key, not optional) is the
// pod's problem, not the agent's: it becomes ContainerConfigError, shown as the container's
// waiting reason CreateContainerConfigError, and the pod is synced again when objects change.

import { serviceEnv } from './service-env.ts'
import type { Container } from '../objects/pod-spec.ts'
import type { Pod } from '../objects/pod.ts'
import { parseQuantity } from '../objects/quantity.ts'
import type { KObject, ObjectReader } from '../store/types.ts'

/** The container's config refers to something missing; the message is the one kubectl users know. */
export class ContainerConfigError extends Error {
  override readonly name = 'ContainerConfigError'
}

type Source = 'configmap' | 'secret'

function sourceData (reader: ObjectReader, namespace: string, source: Source, name: string): Record<string, string> | undefined {
  const obj = reader.get({ group: '', kind: source === 'configmap' ? 'ConfigMap' : 'Secret', namespace, name })
  if (obj === undefined) return undefined
  return dataOf(obj, source)
}

/** A ConfigMap's data, or a Secret's data decoded (plus stringData), as text. */
export function dataOf (obj: KObject, source: Source): Record<string, string> {
  const out: Record<string, string> = {}
  const data = (obj.data ?? {}) as Record<string, unknown>
  for (const [k, v] of Object.entries(data)) {
    if (typeof v !== 'string') continue
    out[k] = source === 'secret' ? Buffer.from(v, 'base64').toString('utf8') : v
  }
  if (source === 'configmap') {
    for (const [k, v] of Object.entries((obj.binaryData ?? {}) as Record<string, unknown>)) if (typeof v === 'string') out[k] = Buffer.from(v, 'base64').toString('utf8')
  } else {
    for (const [k, v] of Object.entries((obj.stringData ?? {}) as Record<string, unknown>)) if (typeof v === 'string') out[k] = v
  }
  return out
}

function fieldValue (pod: Pod, path: string, podIP: string, hostIP: string): string {
  const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path)
  if (label !== null) return (pod.metadata[label[1] as 'labels' | 'annotations'] ?? {})[label[2] as string] ?? ''
  switch (path) {
    case 'metadata.name': return pod.metadata.name
    case 'metadata.namespace': return pod.metadata.namespace ?? ''
    case 'metadata.uid': return pod.metadata.uid ?? ''
    case 'spec.nodeName': return pod.spec.nodeName ?? ''
    case 'spec.serviceAccountName': return pod.spec.serviceAccountName ?? 'default'
    case 'status.podIP': return podIP
    case 'status.hostIP': return hostIP
    default: throw new ContainerConfigError(`unsupported fieldRef.fieldPath "${path}"`)
  }
}

interface KeyRef { name?: string, key?: string, optional?: boolean }

function keyRefValue (reader: ObjectReader, namespace: string, source: Source, ref: KeyRef): string | undefined {
  const name = ref.name ?? ''
  const data = sourceData(reader, namespace, source, name)
  if (data === undefined) {
    if (ref.optional === true) return undefined
    throw new ContainerConfigError(`${source} "${name}" not found`)
  }
  const value = data[ref.key ?? '']
  if (value === undefined && ref.optional !== true) throw new ContainerConfigError(`couldn't find key ${ref.key ?? ''} in ${source === 'configmap' ? 'ConfigMap' : 'Secret'} ${namespace}/${name}`)
  return value
}

/** `$(VAR)` references to earlier variables are expanded; `$$(VAR)` escapes, as Kubernetes. */
function expand (value: string, env: Map<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (name === undefined) return '$'
    return env.get(name) ?? m
  })
}

/** The container's environment, in Kubernetes order: Services' variables, envFrom, then env (later wins). */
export function resolveEnv (reader: ObjectReader, pod: Pod, c: Container, podIP: string, hostIP: string): Array<{ name: string, value: string }> {
  const namespace = pod.metadata.namespace ?? 'default'
  const env = new Map<string, string>(serviceEnv(reader, pod).map((e) => [e.name, e.value]))
  const envFrom = Array.isArray(c.envFrom) ? c.envFrom as Array<Record<string, unknown>> : []
  for (const from of envFrom) {
    const prefix = typeof from.prefix === 'string' ? from.prefix : ''
    const ref = (from.configMapRef ?? from.secretRef) as KeyRef | undefined
    if (ref === undefined) continue
    const source: Source = from.configMapRef !== undefined ? 'configmap' : 'secret'
    const data = sourceData(reader, namespace, source, ref.name ?? '')
    if (data === undefined) {
      if (ref.optional === true) continue
      throw new ContainerConfigError(`${source} "${ref.name ?? ''}" not found`)
    }
    for (const [k, v] of Object.entries(data)) env.set(prefix + k, v)
  }
  for (const e of c.env ?? []) {
    if (e.valueFrom === undefined) {
      env.set(e.name, expand(e.value ?? '', env))
      continue
    }
    const vf = e.valueFrom as { configMapKeyRef?: KeyRef, secretKeyRef?: KeyRef, fieldRef?: { fieldPath?: string } }
    let value: string | undefined
    if (vf.configMapKeyRef !== undefined) value = keyRefValue(reader, namespace, 'configmap', vf.configMapKeyRef)
    else if (vf.secretKeyRef !== undefined) value = keyRefValue(reader, namespace, 'secret', vf.secretKeyRef)
    else if (vf.fieldRef !== undefined) value = fieldValue(pod, vf.fieldRef.fieldPath ?? '', podIP, hostIP)
    else throw new ContainerConfigError(`env ${e.name}: unsupported valueFrom (use configMapKeyRef, secretKeyRef or fieldRef)`)
    if (value !== undefined) env.set(e.name, value)
  }
  return [...env].map(([name, value]) => ({ name, value }))
}

/** limits.cpu in cores and limits.memory in bytes; undefined where there is no limit. */
export function resourceLimits (c: Container): { cpu?: number, memory?: number } {
  const limits = c.resources?.limits ?? {}
  const out: { cpu?: number, memory?: number } = {}
  const cpu = parseQuantity(limits.cpu)
  const memory = parseQuantity(limits.memory)
  if (cpu !== undefined && cpu > 0) out.cpu = cpu
  if (memory !== undefined && memory > 0) out.memory = Math.round(memory)
  return out
}
