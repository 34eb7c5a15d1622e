// Which ReplicaSet holds a Deployment's template: templates compare as Kubernetes compares
// them once decoded (EqualIgnoreHash), so the template `kubectl rollout undo` sends back —
// with `creationTimestamp: null` and `resources: {}` — finds the old revision's ReplicaSet.

import { describe, expect, it } from 'vitest'
import { sameTemplate } from '../../../src/controllers/deployment-util.ts'

const stored = {
  metadata: { labels: { app: 'web', 'pod-template-hash': '5497d78844' } },
  spec: { containers: [{ name: 'app', image: 'busybox:1', terminationMessagePath: '/dev/termination-log' }], securityContext: {} }
}

describe('sameTemplate', () => {
  it('ignores the hash label, null fields and empty structs, as a rollback\'s template has them', () => {
    const fromUndo = {
      metadata: { creationTimestamp: null, labels: { app: 'web' } },
      spec: { containers: [{ name: 'app', image: 'busybox:1', resources: {}, terminationMessagePath: '/dev/termination-log' }] }
    }
    expect(sameTemplate(stored, fromUndo)).toBe(true)
  })

  it('still tells different templates apart, and an emptyDir volume from none', () => {
    expect(sameTemplate(stored, { ...stored, spec: { ...stored.spec, containers: [{ name: 'app', image: 'busybox:2' }] } })).toBe(false)
    const withVolume = (v: object): object => ({ metadata: {}, spec: { volumes: [{ name: 'scratch', ...v }] } })
    expect(sameTemplate(withVolume({ emptyDir: {} }), withVolume({}))).toBe(false)
    expect(sameTemplate(withVolume({ emptyDir: {} }), withVolume({ emptyDir: {} }))).toBe(true)
  })
})
