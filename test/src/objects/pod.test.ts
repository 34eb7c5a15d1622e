// Pod defaults (as the Kubernetes API server fills them) and the pod spec rules.

import { describe, expect, it } from 'vitest'
import { defaultPullPolicy } from '../../../src/objects/pod-spec.ts'
import { podKind } from '../../../src/objects/pod.ts'
import { formatFieldError } from '../../../src/objects/validation.ts'
import type { KObject } from '../../../src/store/types.ts'

function pod (spec: Record<string, unknown>): KObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec }
}

const errorsOf = (obj: KObject): string[] => podKind.validate(obj).map(formatFieldError)

describe('Pod defaults', () => {
  it('fills what Kubernetes fills, and is idempotent', () => {
    const p = pod({ containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }, { name: 'side', image: 'busybox' }] })
    podKind.defaults(p)
    expect(p.spec).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
      containers: [
        { imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', ports: [{ containerPort: 80, protocol: 'TCP' }] },
        { imagePullPolicy: 'Always' }
      ]
    })
    expect(p.status).toEqual({ phase: 'Pending' })
    const once = structuredClone(p)
    podKind.defaults(p)
    expect(p).toEqual(once)
  })

  it('keeps what the user set', () => {
    const p = pod({ restartPolicy: 'Never', containers: [{ name: 'c', image: 'nginx', imagePullPolicy: 'Never' }] })
    podKind.defaults(p)
    expect((p.spec as { restartPolicy: string }).restartPolicy).toBe('Never')
    expect((p.spec as { containers: Array<{ imagePullPolicy: string }> }).containers[0]?.imagePullPolicy).toBe('Never')
  })

  it.each([
    ['nginx', 'Always'], ['nginx:latest', 'Always'], ['nginx:1.25', 'IfNotPresent'],
    ['localhost:5000/app', 'Always'], ['localhost:5000/app:v2', 'IfNotPresent'], ['nginx@sha256:abc', 'IfNotPresent']
  ])('pull policy of %s is %s', (image, policy) => {
    expect(defaultPullPolicy(image)).toBe(policy)
  })
})

describe('Pod validation', () => {
  it('accepts a minimal pod', () => {
    expect(errorsOf(pod({ containers: [{ name: 'c', image: 'nginx' }] }))).toEqual([])
  })

  it('requires containers', () => {
    expect(errorsOf(pod({ containers: [] }))).toEqual(['spec.containers: Required value'])
    expect(errorsOf({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'd' } })).toEqual(['spec: Required value'])
  })

  it('requires unique DNS-label container names and an image', () => {
    expect(errorsOf(pod({ containers: [{ name: 'web', image: 'a' }, { name: 'web', image: '' }], initContainers: [{ name: 'Init', image: 'b' }] }))).toEqual([
      'spec.containers[1].name: Duplicate value: "web"',
      'spec.containers[1].image: Required value',
      expect.stringMatching(/^spec\.initContainers\[0\]\.name: Invalid value: "Init": a lowercase RFC 1123 label must consist of/)
    ])
  })

  it('checks ports, protocols and pull policy', () => {
    expect(errorsOf(pod({ containers: [{ name: 'c', image: 'i', imagePullPolicy: 'Sometimes', ports: [{ containerPort: 0 }, { containerPort: 70000, protocol: 'ICMP' }, { name: 'http', containerPort: 80 }, { name: 'http', containerPort: 81 }] }] }))).toEqual([
      'spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"',
      'spec.containers[0].ports[0].containerPort: Invalid value: 0: must be between 1 and 65535, inclusive',
      'spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.containers[0].ports[1].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
      'spec.containers[0].ports[3].name: Duplicate value: "http"'
    ])
  })

  it('checks resources and volume mounts', () => {
    expect(errorsOf(pod({
      volumes: [{ name: 'data', emptyDir: {} }],
      containers: [{ name: 'c', image: 'i', resources: { requests: { cpu: '2', memory: 'lots' }, limits: { cpu: '1' } }, volumeMounts: [{ name: 'data', mountPath: '/d' }, { name: 'logs', mountPath: '/l' }] }]
    }))).toEqual([
      'spec.containers[0].resources.requests[memory]: Invalid value: "lots": quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'',
      'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
      'spec.containers[0].volumeMounts[1].name: Not found: "logs"'
    ])
  })

  it('checks policies and the grace period', () => {
    expect(errorsOf(pod({ containers: [{ name: 'c', image: 'i' }], restartPolicy: 'Sometimes', dnsPolicy: 'Magic', terminationGracePeriodSeconds: -1 }))).toEqual([
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      'spec.dnsPolicy: Unsupported value: "Magic": supported values: "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"',
      'spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0'
    ])
  })

  it('a defaulted valid pod stays valid', () => {
    const p = pod({ containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80 }], livenessProbe: { httpGet: { port: 80 } } }] })
    podKind.defaults(p)
    expect(errorsOf(p)).toEqual([])
  })
})
