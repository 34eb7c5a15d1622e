// Validation of a pod spec, the rules Kubernetes enforces most often: containers present, each
// with a unique DNS-label name and an image; ports, protocols and pull policies; resource
// quantities (requests <= limits); volumes and the mounts that use them; restart and DNS
// policies. `path` prefixes every field (`spec` for a Pod, `spec.template.spec` for templates).

import type { FieldError } from './registry.ts'
import { parseQuantity } from './quantity.ts'
import {
  dns1123LabelErrors, dns1123SubdomainErrors, duplicate, ianaSvcNameErrors, intRange, invalid, isRecord,
  notFound, notSupported, required, syntaxErrors, validateLabels
} from './validation.ts'

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never']
const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None']
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never']
const PROTOCOLS = ['TCP', 'UDP', 'SCTP']
const TOLERATION_OPERATORS = ['Exists', 'Equal']
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute']

export interface PodSpecRules {
  /** Restart policies allowed here (templates of Deployments and ReplicaSets allow only Always). */
  restartPolicies?: readonly string[]
}

export function validatePodSpec (spec: unknown, path: string, rules: PodSpecRules = {}): FieldError[] {
  if (!isRecord(spec)) return [required(path)]
  const errors: FieldError[] = []
  const volumes = validateVolumes(spec.volumes, `${path}.volumes`, errors)
  const names = new Set<string>()
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) errors.push(required(`${path}.containers`))
  else validateContainers(spec.containers, `${path}.containers`, names, volumes, errors)
  if (spec.initContainers !== undefined && spec.initContainers !== null) {
    if (!Array.isArray(spec.initContainers)) errors.push(invalid(`${path}.initContainers`, spec.initContainers, 'must be a list'))
    else validateContainers(spec.initContainers, `${path}.initContainers`, names, volumes, errors)
  }
  const restart = spec.restartPolicy
  const allowedRestart = rules.restartPolicies ?? RESTART_POLICIES
  if (restart !== undefined && !allowedRestart.includes(restart as string)) errors.push(notSupported(`${path}.restartPolicy`, restart, allowedRestart))
  if (spec.dnsPolicy !== undefined && !DNS_POLICIES.includes(spec.dnsPolicy as string)) errors.push(notSupported(`${path}.dnsPolicy`, spec.dnsPolicy, DNS_POLICIES))
  errors.push(...intRange(`${path}.terminationGracePeriodSeconds`, spec.terminationGracePeriodSeconds, 0))
  errors.push(...intRange(`${path}.activeDeadlineSeconds`, spec.activeDeadlineSeconds, 1))
  if (spec.nodeName !== undefined && spec.nodeName !== '') {
    if (typeof spec.nodeName !== 'string') errors.push(invalid(`${path}.nodeName`, spec.nodeName, 'must be a string'))
    else errors.push(...syntaxErrors(`${path}.nodeName`, spec.nodeName, dns1123SubdomainErrors(spec.nodeName)))
  }
  errors.push(...validateLabels(`${path}.nodeSelector`, spec.nodeSelector))
  errors.push(...validateTolerations(spec.tolerations, `${path}.tolerations`))
  return errors
}

function validateVolumes (v: unknown, path: string, errors: FieldError[]): Set<string> {
  const names = new Set<string>()
  if (v === undefined || v === null) return names
  if (!Array.isArray(v)) {
    errors.push(invalid(path, v, 'must be a list'))
    return names
  }
  v.forEach((vol: unknown, i) => {
    const field = `${path}[${i}]`
    if (!isRecord(vol)) return errors.push(invalid(field, vol, 'must be an object'))
    if (typeof vol.name !== 'string' || vol.name === '') return errors.push(required(`${field}.name`))
    errors.push(...syntaxErrors(`${field}.name`, vol.name, dns1123LabelErrors(vol.name)))
    if (names.has(vol.name)) errors.push(duplicate(`${field}.name`, vol.name))
    names.add(vol.name)
    if (isRecord(vol.configMap) && (typeof vol.configMap.name !== 'string' || vol.configMap.name === '')) errors.push(required(`${field}.configMap.name`))
    if (isRecord(vol.secret) && (typeof vol.secret.secretName !== 'string' || vol.secret.secretName === '')) errors.push(required(`${field}.secret.secretName`))
    if (isRecord(vol.hostPath) && (typeof vol.hostPath.path !== 'string' || vol.hostPath.path === '')) errors.push(required(`${field}.hostPath.path`))
    return undefined
  })
  return names
}

function validateContainers (list: unknown[], path: string, names: Set<string>, volumes: Set<string>, errors: FieldError[]): void {
  list.forEach((c: unknown, i) => {
    const field = `${path}[${i}]`
    if (!isRecord(c)) {
      errors.push(invalid(field, c, 'must be an object'))
      return
    }
    if (typeof c.name !== 'string' || c.name === '') errors.push(required(`${field}.name`))
    else {
      errors.push(...syntaxErrors(`${field}.name`, c.name, dns1123LabelErrors(c.name)))
      if (names.has(c.name)) errors.push(duplicate(`${field}.name`, c.name))
      names.add(c.name)
    }
    if (typeof c.image !== 'string' || c.image.trim() === '') errors.push(required(`${field}.image`))
    if (c.imagePullPolicy !== undefined && !PULL_POLICIES.includes(c.imagePullPolicy as string)) errors.push(notSupported(`${field}.imagePullPolicy`, c.imagePullPolicy, PULL_POLICIES))
    for (const key of ['command', 'args'] as const) {
      const v = c[key]
      if (v !== undefined && v !== null && (!Array.isArray(v) || v.some((s) => typeof s !== 'string'))) errors.push(invalid(`${field}.${key}`, v, 'must be a list of strings'))
    }
    validatePorts(c.ports, `${field}.ports`, errors)
    validateEnv(c.env, `${field}.env`, errors)
    validateResources(c.resources, `${field}.resources`, errors)
    validateMounts(c.volumeMounts, `${field}.volumeMounts`, volumes, errors)
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) validateProbe(c[probe], `${field}.${probe}`, errors)
  })
}

function validatePorts (v: unknown, path: string, errors: FieldError[]): void {
  if (v === undefined || v === null) return
  if (!Array.isArray(v)) {
    errors.push(invalid(path, v, 'must be a list'))
    return
  }
  const names = new Set<string>()
  v.forEach((p: unknown, i) => {
    const field = `${path}[${i}]`
    if (!isRecord(p)) return errors.push(invalid(field, p, 'must be an object'))
    if (p.containerPort === undefined) errors.push(required(`${field}.containerPort`))
    else errors.push(...intRange(`${field}.containerPort`, p.containerPort, 1, 65535))
    if (p.hostPort !== undefined && p.hostPort !== 0) errors.push(...intRange(`${field}.hostPort`, p.hostPort, 1, 65535))
    if (p.protocol !== undefined && !PROTOCOLS.includes(p.protocol as string)) errors.push(notSupported(`${field}.protocol`, p.protocol, PROTOCOLS))
    if (p.name !== undefined && p.name !== '') {
      if (typeof p.name !== 'string') errors.push(invalid(`${field}.name`, p.name, 'must be a string'))
      else {
        errors.push(...syntaxErrors(`${field}.name`, p.name, ianaSvcNameErrors(p.name)))
        if (names.has(p.name)) errors.push(duplicate(`${field}.name`, p.name))
        names.add(p.name)
      }
    }
    return undefined
  })
}

function validateEnv (v: unknown, path: string, errors: FieldError[]): void {
  if (v === undefined || v === null) return
  if (!Array.isArray(v)) {
    errors.push(invalid(path, v, 'must be a list'))
    return
  }
  v.forEach((e: unknown, i) => {
    const field = `${path}[${i}]`
    if (!isRecord(e)) return errors.push(invalid(field, e, 'must be an object'))
    if (typeof e.name !== 'string' || e.name === '') errors.push(required(`${field}.name`))
    else if (e.name.includes('=')) errors.push(invalid(`${field}.name`, e.name, "a valid environment variable name must consist only of printable ASCII characters other than '='"))
    if (e.value !== undefined && e.valueFrom !== undefined) errors.push(invalid(`${field}.valueFrom`, '', 'may not be specified when `value` is not empty'))
    return undefined
  })
}

function validateResources (v: unknown, path: string, errors: FieldError[]): void {
  if (v === undefined || v === null) return
  if (!isRecord(v)) {
    errors.push(invalid(path, v, 'must be an object'))
    return
  }
  const parsed: Record<'requests' | 'limits', Map<string, number>> = { requests: new Map(), limits: new Map() }
  for (const kind of ['requests', 'limits'] as const) {
    const m = v[kind]
    if (m === undefined || m === null) continue
    if (!isRecord(m)) {
      errors.push(invalid(`${path}.${kind}`, m, 'must be a map of resource names to quantities'))
      continue
    }
    for (const [name, q] of Object.entries(m)) {
      const value = parseQuantity(q)
      if (value === undefined) errors.push(invalid(`${path}.${kind}[${name}]`, q, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"))
      else if (value < 0) errors.push(invalid(`${path}.${kind}[${name}]`, q, 'must be greater than or equal to 0'))
      else parsed[kind].set(name, value)
    }
  }
  for (const [name, request] of parsed.requests) {
    const limit = parsed.limits.get(name)
    if (limit !== undefined && request > limit) {
      errors.push(invalid(`${path}.requests`, (v.requests as Record<string, unknown>)[name], `must be less than or equal to ${name} limit of ${String((v.limits as Record<string, unknown>)[name])}`))
    }
  }
}

function validateMounts (v: unknown, path: string, volumes: Set<string>, errors: FieldError[]): void {
  if (v === undefined || v === null) return
  if (!Array.isArray(v)) {
    errors.push(invalid(path, v, 'must be a list'))
    return
  }
  const paths = new Set<string>()
  v.forEach((m: unknown, i) => {
    const field = `${path}[${i}]`
    if (!isRecord(m)) return errors.push(invalid(field, m, 'must be an object'))
    if (typeof m.name !== 'string' || m.name === '') errors.push(required(`${field}.name`))
    else if (!volumes.has(m.name)) errors.push(notFound(`${field}.name`, m.name))
    if (typeof m.mountPath !== 'string' || m.mountPath === '') errors.push(required(`${field}.mountPath`))
    else {
      if (paths.has(m.mountPath)) errors.push(invalid(`${field}.mountPath`, m.mountPath, 'must be unique'))
      paths.add(m.mountPath)
    }
    return undefined
  })
}

function validateProbe (v: unknown, path: string, errors: FieldError[]): void {
  if (v === undefined || v === null) return
  if (!isRecord(v)) {
    errors.push(invalid(path, v, 'must be an object'))
    return
  }
  const handlers = ['exec', 'httpGet', 'tcpSocket', 'grpc'].filter((h) => v[h] !== undefined && v[h] !== null)
  if (handlers.length === 0) errors.push(required(path, 'must specify a handler type'))
  else if (handlers.length > 1) errors.push(invalid(path, handlers, 'may not specify more than 1 handler type'))
  for (const key of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    errors.push(...intRange(`${path}.${key}`, v[key], key === 'initialDelaySeconds' ? 0 : 1))
  }
  for (const h of ['httpGet', 'tcpSocket'] as const) {
    const handler = v[h]
    if (!isRecord(handler)) continue
    const port = handler.port
    if (typeof port === 'number') errors.push(...intRange(`${path}.${h}.port`, port, 1, 65535))
    else if (typeof port === 'string') errors.push(...syntaxErrors(`${path}.${h}.port`, port, ianaSvcNameErrors(port)))
    else errors.push(required(`${path}.${h}.port`))
  }
}

function validateTolerations (v: unknown, path: string): FieldError[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) return [invalid(path, v, 'must be a list')]
  const errors: FieldError[] = []
  v.forEach((t: unknown, i) => {
    const field = `${path}[${i}]`
    if (!isRecord(t)) return errors.push(invalid(field, t, 'must be an object'))
    if (t.operator !== undefined && !TOLERATION_OPERATORS.includes(t.operator as string)) errors.push(notSupported(`${field}.operator`, t.operator, TOLERATION_OPERATORS))
    if (t.operator === 'Exists' && t.value !== undefined && t.value !== '') errors.push(invalid(`${field}.operator`, t.operator, 'value must be empty when `operator` is \'Exists\''))
    if ((t.key === undefined || t.key === '') && t.operator !== 'Exists') errors.push(invalid(`${field}.operator`, t.operator ?? 'Equal', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'))
    if (t.effect !== undefined && t.effect !== '' && !TAINT_EFFECTS.includes(t.effect as string)) errors.push(notSupported(`${field}.effect`, t.effect, TAINT_EFFECTS))
    return undefined
  })
  return errors
}
