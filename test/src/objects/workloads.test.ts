// Deployment and ReplicaSet: defaults, selector/template rules, strategy rules.

import { describe, expect, it } from 'vitest'
import { deploymentKind } from '../../../src/objects/deployment.ts'
import { replicaSetKind } from '../../../src/objects/replicaset.ts'
import { formatFieldError } from '../../../src/objects/validation.ts'
import type { KObject } from '../../../src/store/types.ts'

function deployment (spec: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
      ...spec
    }
  }
}

const errorsOf = (obj: KObject): string[] => deploymentKind.validate(obj).map(formatFieldError)

describe('Deployment', () => {
  it('defaults as Kubernetes, idempotently', () => {
    const d = deployment()
    deploymentKind.defaults(d)
    expect(d.spec).toMatchObject({
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      template: { spec: { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', containers: [{ imagePullPolicy: 'Always' }] } }
    })
    const once = structuredClone(d)
    deploymentKind.defaults(d)
    expect(d).toEqual(once)
    expect(errorsOf(d)).toEqual([])
  })

  it('does not add rollingUpdate to Recreate', () => {
    const d = deployment({ strategy: { type: 'Recreate' } })
    deploymentKind.defaults(d)
    expect((d.spec as { strategy: unknown }).strategy).toEqual({ type: 'Recreate' })
  })

  it('requires a selector that matches the template labels', () => {
    expect(errorsOf(deployment({ selector: undefined }))).toEqual(['spec.selector: Required value'])
    expect(errorsOf(deployment({ selector: { matchLabels: { app: 'api' } } }))).toEqual([
      'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`'
    ])
    expect(errorsOf(deployment({ selector: {} }))).toEqual(['spec.selector: Invalid value: {}: empty selector is invalid for deployment'])
    expect(errorsOf(deployment({ selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] } }))).toEqual([])
    expect(errorsOf(deployment({ selector: { matchExpressions: [{ key: 'app', operator: 'In' }] } }))).toEqual([
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"
    ])
  })

  it('validates the template as a pod spec that always restarts', () => {
    expect(errorsOf(deployment({ template: { metadata: { labels: { app: 'web' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'web' }] } } }))).toEqual([
      'spec.template.spec.containers[0].image: Required value',
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'
    ])
  })

  it('checks replicas and the strategy', () => {
    expect(errorsOf(deployment({ replicas: -1 }))).toEqual(['spec.replicas: Invalid value: -1: must be greater than or equal to 0'])
    expect(errorsOf(deployment({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } } }))).toEqual([
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0'
    ])
    expect(errorsOf(deployment({ strategy: { type: 'Recreate', rollingUpdate: {} } }))).toEqual([
      "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"
    ])
    expect(errorsOf(deployment({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25' } } }))[0]).toMatch(/^spec\.strategy\.rollingUpdate\.maxSurge: Invalid value: "25": a valid percent string/)
    expect(errorsOf(deployment({ strategy: { type: 'BlueGreen' } }))).toEqual(['spec.strategy.type: Unsupported value: "BlueGreen": supported values: "RollingUpdate", "Recreate"'])
  })
})

describe('ReplicaSet', () => {
  const rs = (spec: Record<string, unknown> = {}): KObject => ({ ...deployment(spec), kind: 'ReplicaSet', metadata: { name: 'web-abc', namespace: 'default' } })

  it('defaults replicas and the template', () => {
    const r = rs()
    replicaSetKind.defaults(r)
    expect(r.spec).toMatchObject({ replicas: 1, template: { spec: { schedulerName: 'default-scheduler' } } })
    expect(replicaSetKind.validate(r)).toEqual([])
  })

  it('applies the same selector and replica rules', () => {
    expect(replicaSetKind.validate(rs({ replicas: -2, selector: { matchLabels: { app: 'x' } } })).map(formatFieldError)).toEqual([
      'spec.replicas: Invalid value: -2: must be greater than or equal to 0',
      'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`'
    ])
  })
})
