// What a pod's containers learn of Services: the environment variables for the Services of its
// namespace (as the Kubernetes kubelet names them) and its resolver per dnsPolicy / dnsConfig.

import { describe, expect, it } from 'vitest'
import { podDns } from '../../../src/kubelet/pod-dns.ts'
import { serviceEnv } from '../../../src/kubelet/service-env.ts'
import type { Pod } from '../../../src/objects/pod.ts'
import { bootstrapCommands } from '../../../src/store/bootstrap.ts'
import type { KObject } from '../../../src/store/types.ts'
import { StoreBackend } from '../store-backend.ts'

async function backend (withClusterDns: boolean): Promise<StoreBackend> {
  const b = await StoreBackend.open()
  if (withClusterDns) {
    // The cluster objects a new cluster gets (the namespaces exist already: those creates fail harmlessly).
    await b.write({ op: 'batch', commands: bootstrapCommands(b.now(), () => b.newUid(), { serviceCidr: '10.100.0.0/16' }) })
  }
  return b
}

async function create (b: StoreBackend, obj: KObject): Promise<void> {
  const r = await b.write({ op: 'create', object: obj })
  if (!r.ok) throw new Error(JSON.stringify(r))
}

const pod = (spec: Record<string, unknown> = {}, namespace = 'default'): Pod => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace }, spec: { containers: [{ name: 'c', image: 'i' }], ...spec }
}) as Pod

const svc = (name: string, spec: Record<string, unknown>, namespace = 'default'): KObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec })

describe('service environment variables', () => {
  it('names every Service of the pod\'s namespace with a cluster IP, as the kubelet does', async () => {
    const b = await backend(false)
    await create(b, svc('redis-primary', { ports: [{ name: 'redis', port: 6379, protocol: 'TCP' }, { name: 'metrics', port: 9121, protocol: 'TCP' }] }))
    await create(b, svc('headless', { clusterIP: 'None', ports: [{ port: 80, protocol: 'TCP' }] }))
    await create(b, svc('elsewhere', { ports: [{ port: 80, protocol: 'TCP' }] }, 'kube-system'))
    const env = Object.fromEntries(serviceEnv(b.reader, pod()).map((e) => [e.name, e.value]))
    expect(env).toEqual({
      REDIS_PRIMARY_SERVICE_HOST: '10.96.0.1',
      REDIS_PRIMARY_SERVICE_PORT: '6379',
      REDIS_PRIMARY_SERVICE_PORT_REDIS: '6379',
      REDIS_PRIMARY_SERVICE_PORT_METRICS: '9121',
      REDIS_PRIMARY_PORT: 'tcp://10.96.0.1:6379',
      REDIS_PRIMARY_PORT_6379_TCP: 'tcp://10.96.0.1:6379',
      REDIS_PRIMARY_PORT_6379_TCP_PROTO: 'tcp',
      REDIS_PRIMARY_PORT_6379_TCP_PORT: '6379',
      REDIS_PRIMARY_PORT_6379_TCP_ADDR: '10.96.0.1',
      REDIS_PRIMARY_PORT_9121_TCP: 'tcp://10.96.0.1:9121',
      REDIS_PRIMARY_PORT_9121_TCP_PROTO: 'tcp',
      REDIS_PRIMARY_PORT_9121_TCP_PORT: '9121',
      REDIS_PRIMARY_PORT_9121_TCP_ADDR: '10.96.0.1'
    })
    expect(serviceEnv(b.reader, pod({ enableServiceLinks: false }))).toEqual([])
  })
})

describe('pod DNS', () => {
  it('ClusterFirst: the cluster DNS at kube-dns\' cluster IP, with the namespace search path', async () => {
    const b = await backend(true)
    expect(podDns(b.reader, pod({}, 'shop'))).toEqual({
      servers: ['10.100.0.10'],
      searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
      options: ['ndots:5']
    })
  })

  it('the node\'s resolver for Default, for hostNetwork pods unless ClusterFirstWithHostNet, and when the cluster has no DNS', async () => {
    const b = await backend(true)
    expect(podDns(b.reader, pod({ dnsPolicy: 'Default' }))).toBeUndefined()
    expect(podDns(b.reader, pod({ hostNetwork: true }))).toBeUndefined()
    expect(podDns(b.reader, pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }))?.servers).toEqual(['10.100.0.10'])
    expect(podDns((await backend(false)).reader, pod())).toBeUndefined()
  })

  it('adds dnsConfig, and None takes only dnsConfig', async () => {
    const b = await backend(true)
    const dnsConfig = { nameservers: ['1.1.1.1'], searches: ['corp.example'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] }
    expect(podDns(b.reader, pod({ dnsConfig }))).toEqual({
      servers: ['10.100.0.10', '1.1.1.1'],
      searches: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example'],
      options: ['ndots:2', 'edns0']
    })
    expect(podDns(b.reader, pod({ dnsPolicy: 'None', dnsConfig }))).toEqual({ servers: ['1.1.1.1'], searches: ['corp.example'], options: ['ndots:2', 'edns0'] })
  })
})
