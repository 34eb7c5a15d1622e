// How kube-apiserver's printers turn fields into table cells that need more than a lookup:
// label selectors, a Service's EXTERNAL-IP and PORT(S), a Node's STATUS and ROLES, an
// Endpoints' address list, an Ingress's HOSTS and ADDRESS. Absent values become `<none>`.

import type { PrintableObject } from './printable.ts'

type Any = Record<string, any>

/** The text kubectl shows for an absent or empty value. */
export const none = (s: unknown): string => (s === undefined || s === null || s === '' ? '<none>' : String(s))
export const specOf = (o: PrintableObject): Any => (o.spec ?? {}) as Any
export const statusOf = (o: PrintableObject): Any => (o.status ?? {}) as Any

/** `a=b,c=d` for a label map or a LabelSelector's matchLabels/matchExpressions. */
export function formatSelector (sel: unknown): string {
  if (typeof sel !== 'object' || sel === null) return '<none>'
  const s = sel as Any
  const parts: string[] = []
  const labels: Record<string, unknown> = s.matchLabels !== undefined || s.matchExpressions !== undefined ? (s.matchLabels ?? {}) : s
  for (const [k, v] of Object.entries(labels)) parts.push(`${k}=${String(v)}`)
  for (const e of (Array.isArray(s.matchExpressions) ? s.matchExpressions : []) as Any[]) {
    const values = Array.isArray(e.values) ? (e.values as string[]).join(',') : ''
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`)
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`)
    else if (e.operator === 'Exists') parts.push(String(e.key))
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`)
  }
  return parts.length === 0 ? '<none>' : parts.join(',')
}

/** As kubectl: an ExternalName's name; a LoadBalancer's ingress addresses (`<pending>` before any); else spec.externalIPs or `<none>`. */
export function externalIPs (o: PrintableObject): string {
  const sp = specOf(o)
  if (sp.type === 'ExternalName') return none(sp.externalName)
  const external = Array.isArray(sp.externalIPs) ? sp.externalIPs.map(String) : []
  if (sp.type === 'LoadBalancer') {
    const lb = (statusOf(o).loadBalancer ?? {}) as { ingress?: Array<{ ip?: string, hostname?: string }> }
    const ingress = (lb.ingress ?? []).map((i) => i.ip ?? i.hostname ?? '').filter((x) => x !== '')
    const all = [...ingress, ...external]
    return all.length > 0 ? all.join(',') : '<pending>'
  }
  return external.length > 0 ? external.join(',') : '<none>'
}

/** `80/TCP,443:30443/TCP`: port, node port when there is one, protocol. */
export function servicePorts (o: PrintableObject): string {
  const ports = Array.isArray(specOf(o).ports) ? specOf(o).ports as Any[] : []
  return none(ports.map(p => `${p.port}${p.nodePort !== undefined ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(','))
}

/** Ready, NotReady or Unknown from the Ready condition, plus `,SchedulingDisabled` when cordoned. */
export function nodeStatus (o: PrintableObject): string {
  const conditions = Array.isArray(statusOf(o).conditions) ? statusOf(o).conditions as Any[] : []
  const ready = conditions.find(c => c.type === 'Ready')
  let s = ready === undefined ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady'
  if (specOf(o).unschedulable === true) s += ',SchedulingDisabled'
  return s
}

/** The roles named by `node-role.kubernetes.io/<role>` and `kubernetes.io/role` labels, sorted. */
export function nodeRoles (o: PrintableObject): string {
  const roles = new Set<string>()
  for (const [k, v] of Object.entries(o.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/') && k.length > 24) roles.add(k.slice(24))
    else if (k === 'kubernetes.io/role' && v !== '') roles.add(v)
  }
  return none([...roles].sort().join(','))
}

/** The node's first address of `type` (InternalIP, ExternalIP). */
export function nodeAddress (o: PrintableObject, type: string): string {
  const addrs = Array.isArray(statusOf(o).addresses) ? statusOf(o).addresses as Any[] : []
  return none(addrs.find(a => a.type === type)?.address)
}

/** `ip:port` for every ready address and port, the first three then `+ N more...`. */
export function endpointsList (o: PrintableObject): string {
  const out: string[] = []
  for (const s of (Array.isArray(o.subsets) ? o.subsets : []) as Any[]) {
    const ports = Array.isArray(s.ports) && s.ports.length > 0 ? (s.ports as Any[]).map(p => p.port) : [undefined]
    for (const a of (Array.isArray(s.addresses) ? s.addresses : []) as Any[]) {
      for (const p of ports) out.push(p === undefined ? String(a.ip) : `${a.ip}:${p}`)
    }
  }
  if (out.length > 3) return `${out.slice(0, 3).join(',')} + ${out.length - 3} more...`
  return none(out.join(','))
}

/** kubectl's HOSTS: the rules' hosts, the first three then `+ N more...`; `*` when no rule names one. */
export function ingressHosts (o: PrintableObject): string {
  const rules = (Array.isArray(specOf(o).rules) ? specOf(o).rules : []) as Any[]
  const hosts: string[] = []
  let more = false
  for (const r of rules) {
    if (hosts.length === 3) more = true
    if (!more && typeof r.host === 'string' && r.host !== '') hosts.push(r.host)
  }
  if (hosts.length === 0) return '*'
  return more ? `${hosts.join(',')} + ${rules.length - 3} more...` : hosts.join(',')
}

/** kubectl's ADDRESS of a load-balanced object: IPs and hostnames of status.loadBalancer.ingress. */
export function loadBalancerAddresses (o: PrintableObject): string {
  const entries = (Array.isArray(statusOf(o).loadBalancer?.ingress) ? statusOf(o).loadBalancer.ingress : []) as Any[]
  return entries.map(e => String(e.ip ?? e.hostname ?? '')).filter(a => a !== '').join(',')
}

/** Keys in data and binaryData (ConfigMap and Secret DATA). */
export function dataCount (o: PrintableObject): number {
  return Object.keys((o.data ?? {}) as object).length + Object.keys((o.binaryData ?? {}) as object).length
}
