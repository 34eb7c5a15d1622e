// The environment variables a container gets for the Services of its pod's namespace that exist
// when it starts, as the Kubernetes kubelet sets them: `{NAME}_SERVICE_HOST` and
// `{NAME}_SERVICE_PORT` (the first port), `{NAME}_SERVICE_PORT_{PORT_NAME}` per named port, and
// the Docker-link style `{NAME}_PORT`, `{NAME}_PORT_{port}_{PROTO}`, `…_PROTO`, `…_PORT`,
// `…_ADDR`. NAME is the Service's name in upper case with '-' as '_'. Only Services with a
// cluster IP (not headless, not ExternalName); none when the pod sets enableServiceLinks: false.

import type { Pod } from '../objects/pod.ts'
import type { ObjectReader } from '../store/types.ts'

type Rec = Record<string, unknown>
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v)
const envName = (s: string): string => s.toUpperCase().replace(/-/g, '_')

export function serviceEnv (reader: ObjectReader, pod: Pod): Array<{ name: string, value: string }> {
  if ((pod.spec as Rec).enableServiceLinks === false) return []
  const namespace = pod.metadata.namespace ?? 'default'
  const out: Array<{ name: string, value: string }> = []
  const services = reader.list('', 'Service', namespace).items
    .slice().sort((a, b) => a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0)
  for (const svc of services) {
    const spec = isRecord(svc.spec) ? svc.spec : {}
    const ip = typeof spec.clusterIP === 'string' ? spec.clusterIP : ''
    if (ip === '' || ip === 'None') continue
    const ports = (Array.isArray(spec.ports) ? spec.ports : []).filter(isRecord).filter((p) => typeof p.port === 'number')
    const first = ports[0]
    if (first === undefined) continue
    const name = envName(svc.metadata.name)
    out.push({ name: `${name}_SERVICE_HOST`, value: ip }, { name: `${name}_SERVICE_PORT`, value: String(first.port) })
    for (const p of ports) {
      if (typeof p.name === 'string' && p.name !== '') out.push({ name: `${name}_SERVICE_PORT_${envName(p.name)}`, value: String(p.port) })
    }
    const proto = (p: Rec): string => typeof p.protocol === 'string' ? p.protocol : 'TCP'
    out.push({ name: `${name}_PORT`, value: `${proto(first).toLowerCase()}://${ip}:${String(first.port)}` })
    for (const p of ports) {
      const prefix = `${name}_PORT_${String(p.port)}_${proto(p).toUpperCase()}`
      out.push(
        { name: prefix, value: `${proto(p).toLowerCase()}://${ip}:${String(p.port)}` },
        { name: `${prefix}_PROTO`, value: proto(p).toLowerCase() },
        { name: `${prefix}_PORT`, value: String(p.port) },
        { name: `${prefix}_ADDR`, value: ip }
      )
    }
  }
  return out
}
