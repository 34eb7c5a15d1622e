// The meta.k8s.io Tables kubectl prints: per kind, the columns kube-apiserver's built-in
// printers define (names, types, `format: name`, priority 1 for -o wide) and the cells of a
// sample object; and the flotilla CLI's headers, which come from the same printers.

import { describe, expect, it } from 'vitest'
import { columnDefinitions, tableRequest, toTable, type TableRequest } from '../../../src/api/table.ts'
import type { ResourceInfo } from '../../../src/cli/discovery.ts'
import { formatResourceTable } from '../../../src/cli/output.ts'
import type { KObject } from '../../../src/store/types.ts'

const NOW = Date.parse('2024-05-01T12:00:00Z')
const CREATED = '2024-05-01T11:55:00Z'
const TR: TableRequest = { apiVersion: 'meta.k8s.io/v1', includeObject: 'None' }

const obj = (apiVersion: string, kind: string, name: string, fields: Record<string, unknown> = {}, labels?: Record<string, string>): KObject =>
  ({ apiVersion, kind, metadata: { name, namespace: 'default', creationTimestamp: CREATED, ...(labels === undefined ? {} : { labels }) }, ...fields })

const columns = (group: string, kind: string): Array<[string, string, number]> =>
  columnDefinitions({ group, kind }).map(c => [c.name, c.type, c.priority])

const cells = (group: string, kind: string, o: KObject): unknown[] => {
  const t = toTable({ group, kind }, [o], TR, NOW, '7') as { rows: Array<{ cells: unknown[], object?: unknown }> }
  expect(t.rows[0]?.object).toBeUndefined()
  return t.rows[0]?.cells ?? []
}

describe('Table columns and cells per kind', () => {
  it('Namespace: Name, Status, Age', () => {
    expect(columns('', 'Namespace')).toEqual([['Name', 'string', 0], ['Status', 'string', 0], ['Age', 'string', 0]])
    expect(cells('', 'Namespace', obj('v1', 'Namespace', 'team', { status: { phase: 'Terminating' } }))).toEqual(['team', 'Terminating', '5m'])
  })

  it('Node: Status, Roles, Age, Version; wide Internal-IP, External-IP, OS-Image, Kernel-Version, Container-Runtime', () => {
    expect(columns('', 'Node')).toEqual([
      ['Name', 'string', 0], ['Status', 'string', 0], ['Roles', 'string', 0], ['Age', 'string', 0], ['Version', 'string', 0],
      ['Internal-IP', 'string', 1], ['External-IP', 'string', 1], ['OS-Image', 'string', 1], ['Kernel-Version', 'string', 1], ['Container-Runtime', 'string', 1]
    ])
    const node = obj('v1', 'Node', 'n1', {
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        addresses: [{ type: 'InternalIP', address: '10.0.0.5' }],
        nodeInfo: { kubeletVersion: 'v1.32.0-flotilla', osImage: 'Debian 12', kernelVersion: '6.1.0', containerRuntimeVersion: 'fake://1' }
      }
    }, { 'node-role.kubernetes.io/control-plane': '' })
    expect(cells('', 'Node', node)).toEqual(['n1', 'Ready,SchedulingDisabled', 'control-plane', '5m', 'v1.32.0-flotilla', '10.0.0.5', '<none>', 'Debian 12', '6.1.0', 'fake://1'])
  })

  it('Pod: Ready, Status, Restarts, Age; wide IP, Node, Nominated Node, Readiness Gates', () => {
    expect(columns('', 'Pod')).toEqual([
      ['Name', 'string', 0], ['Ready', 'string', 0], ['Status', 'string', 0], ['Restarts', 'string', 0], ['Age', 'string', 0], ['IP', 'string', 1], ['Node', 'string', 1],
      ['Nominated Node', 'string', 1], ['Readiness Gates', 'string', 1]
    ])
    const pod = obj('v1', 'Pod', 'web-1', {
      spec: { nodeName: 'n1', containers: [{ name: 'a' }, { name: 'b' }] },
      status: {
        phase: 'Running',
        podIP: '10.1.0.4',
        containerStatuses: [
          { name: 'a', ready: true, restartCount: 2, state: { running: {} }, lastState: { terminated: { exitCode: 1, finishedAt: '2024-05-01T11:58:00Z' } } },
          { name: 'b', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }
        ]
      }
    })
    expect(cells('', 'Pod', pod)).toEqual(['web-1', '1/2', 'ContainerCreating', '2 (2m ago)', '5m', '10.1.0.4', 'n1', '<none>', '<none>'])
  })

  it('ConfigMap: Data counts data and binaryData as an integer cell', () => {
    expect(columns('', 'ConfigMap')).toEqual([['Name', 'string', 0], ['Data', 'string', 0], ['Age', 'string', 0]])
    expect(cells('', 'ConfigMap', obj('v1', 'ConfigMap', 'cfg', { data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }))).toEqual(['cfg', 3, '5m'])
  })

  it('Secret: Type, Data', () => {
    expect(columns('', 'Secret')).toEqual([['Name', 'string', 0], ['Type', 'string', 0], ['Data', 'string', 0], ['Age', 'string', 0]])
    expect(cells('', 'Secret', obj('v1', 'Secret', 's', { type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==', 'tls.key': 'eQ==' } }))).toEqual(['s', 'kubernetes.io/tls', 2, '5m'])
    expect(cells('', 'Secret', obj('v1', 'Secret', 'o'))).toEqual(['o', 'Opaque', 0, '5m'])
  })

  it('Service: Type, Cluster-IP, External-IP, Port(s), Age; wide Selector', () => {
    expect(columns('', 'Service')).toEqual([
      ['Name', 'string', 0], ['Type', 'string', 0], ['Cluster-IP', 'string', 0], ['External-IP', 'string', 0], ['Port(s)', 'string', 0], ['Age', 'string', 0], ['Selector', 'string', 1]
    ])
    const svc = obj('v1', 'Service', 'web', { spec: { type: 'NodePort', clusterIP: '10.96.0.10', selector: { app: 'web' }, ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }] } })
    expect(cells('', 'Service', svc)).toEqual(['web', 'NodePort', '10.96.0.10', '<none>', '80:30080/TCP,53/UDP', '5m', 'app=web'])
  })

  it('Endpoints: Endpoints', () => {
    expect(columns('', 'Endpoints')).toEqual([['Name', 'string', 0], ['Endpoints', 'string', 0], ['Age', 'string', 0]])
    const ep = obj('v1', 'Endpoints', 'web', { subsets: [{ addresses: [{ ip: '10.1.0.4' }, { ip: '10.1.0.5' }], ports: [{ port: 8080 }] }] })
    expect(cells('', 'Endpoints', ep)).toEqual(['web', '10.1.0.4:8080,10.1.0.5:8080', '5m'])
  })

  const template = { spec: { containers: [{ name: 'app', image: 'nginx:1.27' }, { name: 'log', image: 'busybox' }] } }

  it('Deployment: Ready, Up-to-date, Available (integers), Age; wide Containers, Images, Selector', () => {
    expect(columns('apps', 'Deployment')).toEqual([
      ['Name', 'string', 0], ['Ready', 'string', 0], ['Up-to-date', 'integer', 0], ['Available', 'integer', 0], ['Age', 'string', 0],
      ['Containers', 'string', 1], ['Images', 'string', 1], ['Selector', 'string', 1]
    ])
    const d = obj('apps/v1', 'Deployment', 'web', { spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template }, status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } })
    expect(cells('apps', 'Deployment', d)).toEqual(['web', '2/3', 3, 2, '5m', 'app,log', 'nginx:1.27,busybox', 'app=web'])
  })

  it('ReplicaSet: Desired, Current, Ready (integers), Age; wide Containers, Images, Selector', () => {
    expect(columns('apps', 'ReplicaSet')).toEqual([
      ['Name', 'string', 0], ['Desired', 'integer', 0], ['Current', 'integer', 0], ['Ready', 'integer', 0], ['Age', 'string', 0],
      ['Containers', 'string', 1], ['Images', 'string', 1], ['Selector', 'string', 1]
    ])
    const rs = obj('apps/v1', 'ReplicaSet', 'web-abc', { spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template }, status: { replicas: 2 } })
    expect(cells('apps', 'ReplicaSet', rs)).toEqual(['web-abc', 2, 2, 0, '5m', 'app,log', 'nginx:1.27,busybox', 'app=web'])
  })

  it('Ingress: Class, Hosts, Address, Ports', () => {
    expect(columns('networking.k8s.io', 'Ingress')).toEqual([
      ['Name', 'string', 0], ['Class', 'string', 0], ['Hosts', 'string', 0], ['Address', 'string', 0], ['Ports', 'string', 0], ['Age', 'string', 0]
    ])
    const ing = obj('networking.k8s.io/v1', 'Ingress', 'site', { spec: { ingressClassName: 'flotilla', rules: [{ host: 'a.example' }], tls: [{ hosts: ['a.example'] }] }, status: { loadBalancer: { ingress: [{ ip: '10.0.0.5' }] } } })
    expect(cells('networking.k8s.io', 'Ingress', ing)).toEqual(['site', 'flotilla', 'a.example', '10.0.0.5', '80, 443', '5m'])
  })

  it('Event: Last Seen, Type, Reason, Object, Message; wide Subobject, Source, First Seen, Count, Name', () => {
    expect(columns('', 'Event')).toEqual([
      ['Last Seen', 'string', 0], ['Type', 'string', 0], ['Reason', 'string', 0], ['Object', 'string', 0], ['Subobject', 'string', 1],
      ['Source', 'string', 1], ['Message', 'string', 0], ['First Seen', 'string', 1], ['Count', 'integer', 1], ['Name', 'string', 1]
    ])
    expect(columnDefinitions({ group: '', kind: 'Event' }).find((c) => c.name === 'Name')?.format).toBe('name')
    const event = obj('v1', 'Event', 'web-1.abc', {
      involvedObject: { kind: 'Pod', name: 'web-1', fieldPath: 'spec.containers{app}' },
      reason: 'Failed',
      type: 'Warning',
      message: 'Failed to pull image "x": no such host \n',
      source: { component: 'kubelet', host: 'n1' },
      firstTimestamp: '2024-05-01T11:50:00Z',
      lastTimestamp: '2024-05-01T11:58:00Z',
      count: 3
    })
    expect(cells('', 'Event', event)).toEqual(['2m', 'Warning', 'Failed', 'pod/web-1', 'spec.containers{app}', 'kubelet, n1', 'Failed to pull image "x": no such host', '10m', 3, 'web-1.abc'])
    const bare = obj('v1', 'Event', 'e', { involvedObject: { kind: 'Node', name: 'n1' }, reportingComponent: 'node-controller', lastTimestamp: '2024-05-01T11:58:00Z' })
    expect(cells('', 'Event', bare).slice(4, 6)).toEqual(['', 'node-controller'])
    expect(cells('', 'Event', obj('v1', 'Event', 'f', {})).slice(5, 6)).toEqual(['<unknown>'])
  })

  it('any other kind: the generic Name and Age', () => {
    expect(columns('example.com', 'Widget')).toEqual([['Name', 'string', 0], ['Age', 'string', 0]])
    expect(cells('example.com', 'Widget', obj('example.com/v1', 'Widget', 'w'))).toEqual(['w', '5m'])
  })
})

describe('toTable', () => {
  it('marks Name with format name and carries descriptions, the resourceVersion and the requested row objects', () => {
    const tr = tableRequest('application/json;as=Table;v=v1;g=meta.k8s.io', 'Object')
    expect(tr).toEqual({ apiVersion: 'meta.k8s.io/v1', includeObject: 'Object' })
    const cm = obj('v1', 'ConfigMap', 'cfg')
    const t = toTable({ group: '', kind: 'ConfigMap' }, [cm], tr as TableRequest, NOW, '7')
    expect(t).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '7' }, rows: [{ cells: ['cfg', 0, '5m'], object: cm }] })
    const defs = (t as { columnDefinitions: Array<{ name: string, format: string, description: string }> }).columnDefinitions
    expect(defs.map(d => d.format)).toEqual(['name', '', ''])
    for (const d of defs) expect(d.description).not.toBe('')
  })

  it('leaves out the columns when asked (watch events after the first)', () => {
    const t = toTable({ group: '', kind: 'Service' }, [], TR, NOW, undefined, false)
    expect(t).toEqual({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: {}, columnDefinitions: [], rows: [] })
  })
})

// The CLI prints the same columns the API sends kubectl: a header per column, upper-cased,
// the priority-1 ones only with -o wide.
describe('the flotilla CLI and the API agree', () => {
  const kinds: Array<[string, string, string]> = [
    ['', 'Namespace', 'namespaces'], ['', 'Node', 'nodes'], ['', 'Pod', 'pods'], ['', 'ConfigMap', 'configmaps'], ['', 'Secret', 'secrets'],
    ['', 'Service', 'services'], ['', 'Endpoints', 'endpoints'], ['apps', 'Deployment', 'deployments'], ['apps', 'ReplicaSet', 'replicasets'],
    ['networking.k8s.io', 'Ingress', 'ingresses']
  ]
  it.each(kinds)('%s/%s', (group, kind, plural) => {
    const r: ResourceInfo = { group, version: 'v1', kind, plural, singular: kind.toLowerCase(), shortNames: [], namespaced: true, verbs: [] }
    const header = (wide: boolean): string[] => formatResourceTable(r, [], { wide, allNamespaces: false, withKind: false, now: NOW }).trimEnd().split(/ {3}/)
    const defs = columnDefinitions({ group, kind })
    expect(header(false)).toEqual(defs.filter(d => d.priority === 0).map(d => d.name.toUpperCase()))
    expect(header(true)).toEqual(defs.map(d => d.name.toUpperCase()))
  })
})
