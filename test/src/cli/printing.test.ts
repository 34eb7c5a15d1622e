// Printing: ages, tables, per-kind columns and pod status, output formats, describe layout.

import { describe, expect, it } from 'vitest'
import type { KObject } from '../../../src/cli/client.ts'
import { DescribeWriter, titleCase } from '../../../src/cli/describe-writer.ts'
import { describeObject } from '../../../src/cli/describers.ts'
import type { ResourceInfo } from '../../../src/cli/discovery.ts'
import { formatObjects, formatResourceTable } from '../../../src/cli/output.ts'
import { podStatus } from '../../../src/objects/printers/pod-status.ts'
import { renderTable } from '../../../src/cli/table.ts'

const S = 1000
const M = 60 * S
const H = 60 * M
const D = 24 * H
const NOW = Date.parse('2024-05-01T12:00:00Z')
const ago = (ms: number): string => new Date(NOW - ms).toISOString()

const res = (group: string, kind: string, plural: string, namespaced = true): ResourceInfo =>
  ({ group, version: 'v1', kind, plural, singular: kind.toLowerCase(), shortNames: [], namespaced, verbs: [] })
const POD = res('', 'Pod', 'pods')
const DEPLOY = res('apps', 'Deployment', 'deployments')
const NODE = res('', 'Node', 'nodes', false)
const SVC = res('', 'Service', 'services')

describe('renderTable', () => {
  it('left-aligns columns three spaces apart without trailing spaces', () => {
    expect(renderTable(['NAME', 'AGE'], [['a-long-name', '5s'], ['b', '']])).toBe(
      'NAME          AGE\n' +
      'a-long-name   5s\n' +
      'b\n')
  })
})

describe('pod columns', () => {
  const pod = (name: string, status: object, extra: object = {}): KObject => ({
    metadata: { name, namespace: 'default', creationTimestamp: ago(5 * S) },
    spec: { containers: [{ name: 'a' }, { name: 'b' }], nodeName: 'node-a' },
    status,
    ...extra
  })

  it('shows READY, STATUS, RESTARTS, AGE and, wide, IP, NODE, NOMINATED NODE and READINESS GATES', () => {
    const running = pod('web', {
      phase: 'Running',
      podIP: '10.1.0.5',
      containerStatuses: [
        { name: 'a', ready: true, restartCount: 1, state: { running: {} } },
        { name: 'b', ready: true, restartCount: 2, state: { running: {} } }
      ]
    })
    expect(formatResourceTable(POD, [running], { wide: false, allNamespaces: false, withKind: false, now: NOW })).toBe(
      'NAME   READY   STATUS    RESTARTS   AGE\n' +
      'web    2/2     Running   3          5s\n')
    expect(formatResourceTable(POD, [running], { wide: true, allNamespaces: true, withKind: false, now: NOW })).toBe(
      'NAMESPACE   NAME   READY   STATUS    RESTARTS   AGE   IP         NODE     NOMINATED NODE   READINESS GATES\n' +
      'default     web    2/2     Running   3          5s    10.1.0.5   node-a   <none>           <none>\n')
  })

  it('shows the nominated node and how many readiness gates are True, as kubectl does', () => {
    const gated = pod('gated', {
      phase: 'Running',
      nominatedNodeName: 'node-b',
      conditions: [{ type: 'Ready', status: 'True' }, { type: 'example.com/lb', status: 'True' }, { type: 'example.com/dns', status: 'False' }]
    }, { spec: { containers: [{ name: 'a' }], nodeName: 'node-a', readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }] } })
    expect(formatResourceTable(POD, [gated], { wide: true, allNamespaces: false, withKind: false, now: NOW }).split('\n')[1]).toMatch(/\snode-a\s+node-b\s+1\/2$/)
  })

  it('derives STATUS from container states like kubectl', () => {
    expect(podStatus(pod('p', { phase: 'Pending' }))).toBe('Pending')
    expect(podStatus(pod('p', { phase: 'Pending', containerStatuses: [{ name: 'a', state: { waiting: { reason: 'ContainerCreating' } } }] }))).toBe('ContainerCreating')
    expect(podStatus(pod('p', { phase: 'Running', containerStatuses: [{ name: 'a', state: { waiting: { reason: 'CrashLoopBackOff' } } }] }))).toBe('CrashLoopBackOff')
    expect(podStatus(pod('p', { phase: 'Succeeded', containerStatuses: [{ name: 'a', state: { terminated: { reason: 'Completed', exitCode: 0 } } }] }))).toBe('Completed')
    expect(podStatus(pod('p', { phase: 'Failed', containerStatuses: [{ name: 'a', state: { terminated: { exitCode: 137 } } }] }))).toBe('ExitCode:137')
    expect(podStatus(pod('p', { phase: 'Pending', initContainerStatuses: [{ name: 'i', state: { running: {} } }] }, { spec: { initContainers: [{ name: 'i' }, { name: 'j' }] } }))).toBe('Init:0/2')
    expect(podStatus(pod('p', { phase: 'Running' }, { metadata: { name: 'p', deletionTimestamp: ago(0) } }))).toBe('Terminating')
  })
})

describe('other kinds', () => {
  it('deployments: READY, UP-TO-DATE, AVAILABLE, AGE', () => {
    const d: KObject = { metadata: { name: 'web', creationTimestamp: ago(3 * M) }, spec: { replicas: 3 }, status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } }
    expect(formatResourceTable(DEPLOY, [d], { wide: false, allNamespaces: false, withKind: false, now: NOW })).toBe(
      'NAME   READY   UP-TO-DATE   AVAILABLE   AGE\n' +
      'web    2/3     3            2           3m\n')
  })

  it('services: TYPE, CLUSTER-IP, EXTERNAL-IP, PORT(S), AGE', () => {
    const s: KObject = { metadata: { name: 'web', creationTimestamp: ago(3 * H) }, spec: { type: 'NodePort', clusterIP: '10.96.0.7', ports: [{ port: 80, nodePort: 30080 }, { port: 53, protocol: 'UDP' }] } }
    const lb: KObject = { metadata: { name: 'lb', creationTimestamp: ago(3 * H) }, spec: { type: 'LoadBalancer', clusterIP: '10.96.0.8', ports: [{ port: 80, nodePort: 30081 }] }, status: { loadBalancer: { ingress: [{ ip: '127.0.0.2' }, { ip: '127.0.0.3' }] } } }
    const pending: KObject = { metadata: { name: 'lb2', creationTimestamp: ago(3 * H) }, spec: { type: 'LoadBalancer', clusterIP: '10.96.0.9', ports: [{ port: 80, nodePort: 30082 }] } }
    const ext: KObject = { metadata: { name: 'ext', creationTimestamp: ago(3 * H) }, spec: { type: 'ExternalName', externalName: 'db.example.com' } }
    expect(formatResourceTable(SVC, [s, lb, pending, ext], { wide: false, allNamespaces: false, withKind: false, now: NOW })).toBe(
      'NAME   TYPE           CLUSTER-IP   EXTERNAL-IP           PORT(S)               AGE\n' +
      'web    NodePort       10.96.0.7    <none>                80:30080/TCP,53/UDP   3h\n' +
      'lb     LoadBalancer   10.96.0.8    127.0.0.2,127.0.0.3   80:30081/TCP          3h\n' +
      'lb2    LoadBalancer   10.96.0.9    <pending>             80:30082/TCP          3h\n' +
      'ext    ExternalName   <none>       db.example.com        <none>                3h\n')
  })

  it('ingresses: CLASS, HOSTS (first three, then a count), ADDRESS, PORTS, AGE', () => {
    const ING = res('networking.k8s.io', 'Ingress', 'ingresses')
    const many: KObject = {
      metadata: { name: 'many', creationTimestamp: ago(2 * M) },
      spec: { ingressClassName: 'flotilla', rules: [{ host: 'a.io' }, {}, { host: 'b.io' }, { host: 'c.io' }, { host: 'd.io' }], tls: [{ hosts: ['a.io'] }] },
      status: { loadBalancer: { ingress: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }] } }
    }
    const plain: KObject = { metadata: { name: 'plain', creationTimestamp: ago(5 * S) }, spec: { rules: [{ http: { paths: [] } }] } }
    expect(formatResourceTable(ING, [many, plain], { wide: false, allNamespaces: false, withKind: false, now: NOW })).toBe(
      'NAME    CLASS      HOSTS                        ADDRESS             PORTS     AGE\n' +
      'many    flotilla   a.io,b.io,c.io + 2 more...   10.0.0.1,10.0.0.2   80, 443   2m\n' +
      'plain   <none>     *                            <none>              80        5s\n')
  })

  it('nodes: STATUS, ROLES, AGE, VERSION; no NAMESPACE column even with -A', () => {
    const n: KObject = {
      metadata: { name: 'node-a', creationTimestamp: ago(4 * D), labels: { 'node-role.kubernetes.io/control-plane': '' } },
      spec: { unschedulable: true },
      status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'v1.30.0-flotilla' } }
    }
    expect(formatResourceTable(NODE, [n], { wide: false, allNamespaces: true, withKind: false, now: NOW })).toBe(
      'NAME     STATUS                     ROLES           AGE   VERSION\n' +
      'node-a   Ready,SchedulingDisabled   control-plane   4d    v1.30.0-flotilla\n')
  })

  it('unknown kinds get NAME and AGE; several kinds print kind/name', () => {
    const thing = res('example.com', 'Widget', 'widgets')
    expect(formatResourceTable(thing, [{ metadata: { name: 'w', creationTimestamp: ago(5 * S) } }], { wide: false, allNamespaces: false, withKind: true, now: NOW })).toBe(
      'NAME                   AGE\n' +
      'widget.example.com/w   5s\n')
  })
})

describe('formatObjects', () => {
  const items = [{ metadata: { name: 'a' } }, { metadata: { name: 'b' } }]

  it('-o name prints kind/name, qualified by group', () => {
    expect(formatObjects('name', items.map(obj => ({ r: DEPLOY, obj })), false)).toBe('deployment.apps/a\ndeployment.apps/b\n')
  })

  it('-o json prints one object, or a List with apiVersion and kind filled in', () => {
    expect(JSON.parse(formatObjects('json', [{ r: POD, obj: items[0] as KObject }], true))).toEqual({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' } })
    const list = JSON.parse(formatObjects('json', items.map(obj => ({ r: DEPLOY, obj })), false))
    expect(list).toEqual({
      apiVersion: 'v1',
      kind: 'List',
      metadata: { resourceVersion: '' },
      items: [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'a' } }, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'b' } }]
    })
  })

  it('-o yaml starts with apiVersion and kind', () => {
    expect(formatObjects('yaml', [{ r: POD, obj: items[0] as KObject }], true)).toBe('apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n')
  })
})

describe('DescribeWriter', () => {
  it('aligns each run of key/value lines and continues multi-line values', () => {
    const w = new DescribeWriter()
    w.line(0, 'Name', 'web')
    w.map(0, 'Labels', { b: '2', a: '1' })
    w.line(0, 'Containers')
    w.line(1, 'web')
    w.line(2, 'Image', 'nginx')
    w.line(2, 'Restart Count', '0')
    expect(w.render()).toBe(
      'Name:    web\n' +
      'Labels:  a=1\n' +
      '         b=2\n' +
      'Containers:\n' +
      '  web:\n' +
      '    Image:          nginx\n' +
      '    Restart Count:  0\n')
  })

  it('pretty-prints unknown fields as Title Case keys', () => {
    const w = new DescribeWriter()
    w.value(0, 'spec', { replicas: 2, template: { containerPort: 80 }, tags: ['a', 'b'] })
    // Like kubectl's tabwriter, alignment spans consecutive key/value lines whatever their depth.
    expect(w.render()).toBe('Spec:\n  Replicas:  2\n  Template:\n    Container Port:  80\n  Tags:              a, b\n')
    expect(titleCase('podCIDR')).toBe('Pod CIDR')
  })
})

describe('describeObject', () => {
  it('falls back to a generic page for kinds without a describer', () => {
    const widget = res('example.com', 'Widget', 'widgets')
    const text = describeObject(widget, {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', namespace: 'd', creationTimestamp: '2024-05-01T11:00:00Z' },
      spec: { sizeLimit: 3, ports: [{ name: 'http', port: 80 }] },
      status: { ready: true },
      extra: 'x'
    }, { now: NOW, events: undefined })
    expect(text).toBe([
      'Name:               w',
      'Namespace:          d',
      'Labels:             <none>',
      'Annotations:        <none>',
      'CreationTimestamp:  Wed, 01 May 2024 11:00:00 +0000',
      'API Version:        example.com/v1',
      'Kind:               Widget',
      'Spec:',
      '  Size Limit:  3',
      '  Ports:',
      '    [0]',
      '      Name:  http',
      '      Port:  80',
      'Status:',
      '  Ready:  true',
      'Extra:    x',
      'Events:   <none>',
      ''
    ].join('\n'))
  })
})
