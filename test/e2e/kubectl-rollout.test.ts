// kubectl's rollout commands on a Deployment and its node commands, run by the real kubectl
// against a 3-agent cluster (fake runtime) through an agent that is not the leader:
// `rollout status|history|undo|pause|resume|restart`, then `cordon`, `drain` (its pods are
// evicted and come back on the other nodes) and `uncordon`. Skipped, with a warning, without
// kubectl.

import { beforeAll, describe, expect, it } from 'vitest'
import { e2eClusters, waitFor } from './cluster-harness.ts'
import { haveKubectl, KUBECTL, ok, type Kubectl } from './harness/kubectl.ts'
import { kubectlCluster } from './harness/kubectl-cluster.ts'

const clusters = e2eClusters()
const HAS_KUBECTL = haveKubectl()

let k: Kubectl

const ROLL = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: roll
spec:
  replicas: 3
  selector:
    matchLabels:
      app: roll
  template:
    metadata:
      labels:
        app: roll
    spec:
      containers:
      - name: app
        image: flotilla/busybox:test
        command: ["sleep", "3600"]
`

async function until<T> (what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  return await waitFor(what, probe, { timeoutMs, intervalMs: 300 })
}

async function jsonOf (args: string[]): Promise<any> {
  return JSON.parse(await ok(k, [...args, '-o', 'json']))
}

/** The ReplicaSets of `roll`: revision → image. */
async function revisions (): Promise<Record<string, string>> {
  const items = (await jsonOf(['get', 'rs', '-l', 'app=roll'])).items as any[]
  return Object.fromEntries(items.map((rs) => [rs.metadata.annotations['deployment.kubernetes.io/revision'], rs.spec.template.spec.containers[0].image]))
}

/** `rollout status` to its end: it must report success. */
async function rolledOut (): Promise<void> {
  const out = await ok(k, ['rollout', 'status', 'deploy/roll', '--timeout=60s'])
  expect(out).toMatch(/deployment "roll" successfully rolled out\n$/)
}

describe('kubectl rollout and node commands through a follower of a 3-agent cluster', () => {
  beforeAll(async () => {
    if (!HAS_KUBECTL) return
    k = (await kubectlCluster(clusters, 'kubectl-rollout')).k
  }, 120_000)

  it('rollout status, history, undo (to the old revision\'s ReplicaSet), pause, resume, restart', async () => {
    if (!HAS_KUBECTL) {
      console.warn(`kubectl-rollout: ${KUBECTL} is missing, so this test did not run kubectl (install kubectl v1.32 to run it)`)
      return
    }
    expect(await ok(k, ['apply', '-f', '-'], { stdin: ROLL })).toBe('deployment.apps/roll created\n')
    await rolledOut()
    expect(await ok(k, ['set', 'image', 'deploy/roll', 'app=flotilla/busybox:v2'])).toBe('deployment.apps/roll image updated\n')
    await rolledOut()
    expect(await revisions()).toEqual({ 1: 'flotilla/busybox:test', 2: 'flotilla/busybox:v2' })
    const history = await ok(k, ['rollout', 'history', 'deploy/roll'])
    expect(history).toMatch(/^deployment\.apps\/roll \nREVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n\n$/)
    const one = await ok(k, ['rollout', 'history', 'deploy/roll', '--revision=1'])
    expect(one).toMatch(/^deployment\.apps\/roll with revision #1\nPod Template:\n/)
    expect(one).toMatch(/Image:\s+flotilla\/busybox:test\n/)

    // undo: revision 1's template comes back, in revision 1's ReplicaSet (now revision 3).
    expect(await ok(k, ['rollout', 'undo', 'deploy/roll'])).toBe('deployment.apps/roll rolled back\n')
    await rolledOut()
    expect(await revisions()).toEqual({ 2: 'flotilla/busybox:v2', 3: 'flotilla/busybox:test' })
    expect(await ok(k, ['rollout', 'history', 'deploy/roll'])).toMatch(/\nREVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>\n\n$/)
    expect(await ok(k, ['rollout', 'undo', 'deploy/roll', '--to-revision=2'])).toBe('deployment.apps/roll rolled back\n')
    await rolledOut()
    expect(await revisions()).toEqual({ 3: 'flotilla/busybox:test', 4: 'flotilla/busybox:v2' })
    const describe = await ok(k, ['describe', 'deploy', 'roll'])
    expect(describe).toMatch(/^NewReplicaSet:\s+roll-\S+ \(3\/3 replicas created\)$/m)
    expect(describe).toMatch(/^OldReplicaSets:\s+roll-\S+ \(0\/0 replicas created\)$/m)

    // pause: a template change waits; resume rolls it out.
    expect(await ok(k, ['rollout', 'pause', 'deploy/roll'])).toBe('deployment.apps/roll paused\n')
    const again = await k(['rollout', 'pause', 'deploy/roll'])
    expect(again).toMatchObject({ code: 1, stderr: 'error: deployments.apps "roll" is already paused\n' })
    await ok(k, ['set', 'image', 'deploy/roll', 'app=flotilla/busybox:v3'])
    const waiting = await k(['rollout', 'status', 'deploy/roll', '--timeout=2s'])
    expect(waiting.code).toBe(1)
    expect(waiting.stdout).toMatch(/^Waiting for deployment "roll" rollout to finish: 0 out of 3 new replicas have been updated\.\.\.\n/)
    expect(waiting.stderr).toBe('error: timed out waiting for the condition\n')
    expect(Object.values(await revisions())).not.toContain('flotilla/busybox:v3')
    expect(await ok(k, ['rollout', 'resume', 'deploy/roll'])).toBe('deployment.apps/roll resumed\n')
    await rolledOut()
    expect(await revisions()).toMatchObject({ 5: 'flotilla/busybox:v3' })

    // restart: a new revision whose template carries restartedAt; every pod replaced.
    const before = new Set(((await jsonOf(['get', 'pods', '-l', 'app=roll'])).items as any[]).map((p) => p.metadata.name))
    expect(await ok(k, ['rollout', 'restart', 'deploy/roll'])).toBe('deployment.apps/roll restarted\n')
    await rolledOut()
    const restarted = await jsonOf(['get', 'deploy', 'roll'])
    expect(restarted.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    expect(restarted.metadata.annotations['deployment.kubernetes.io/revision']).toBe('6')
    const after = await until('3 pods, none of the ones before the restart', async () => {
      const pods = ((await jsonOf(['get', 'pods', '-l', 'app=roll'])).items as any[]).filter((p) => p.metadata.deletionTimestamp === undefined)
      return pods.length === 3 && pods.every((p) => !before.has(p.metadata.name)) ? pods : undefined
    })
    expect(after).toHaveLength(3)
  }, 180_000)

  it('cordon, drain --ignore-daemonsets --delete-emptydir-data (its pods are evicted and run elsewhere), uncordon', async () => {
    if (!HAS_KUBECTL) return
    const node = (await ok(k, ['get', 'pods', '-l', 'app=roll', '-o', 'jsonpath={.items[0].spec.nodeName}'])).trim()
    expect(['a', 'b', 'c']).toContain(node)
    const onNode = ((await jsonOf(['get', 'pods', '-l', 'app=roll', '--field-selector', `spec.nodeName=${node}`])).items as any[]).map((p) => p.metadata.name)
    expect(onNode.length).toBeGreaterThan(0)

    expect(await ok(k, ['cordon', node])).toBe(`node/${node} cordoned\n`)
    expect(await ok(k, ['get', 'node', node])).toMatch(new RegExp(`^${node}\\s+Ready,SchedulingDisabled\\s`, 'm'))
    expect((await jsonOf(['get', 'node', node])).spec.unschedulable).toBe(true)

    const drain = await k(['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=60s'])
    expect(drain.stderr).toBe('')
    expect(drain.code).toBe(0)
    expect(drain.stdout).toMatch(new RegExp(`^node/${node} already cordoned\n`))
    for (const pod of onNode) {
      // Evicted (pods/eviction), not deleted: kubectl found the subresource in discovery.
      expect(drain.stdout).toContain(`evicting pod default/${pod}\n`)
      expect(drain.stdout).toContain(`pod/${pod} evicted\n`)
    }
    expect(drain.stdout).toMatch(new RegExp(`node/${node} drained\n$`))
    const moved = await until('3 ready pods of roll, none on the drained node', async () => {
      const pods = ((await jsonOf(['get', 'pods', '-l', 'app=roll'])).items as any[]).filter((p) => p.metadata.deletionTimestamp === undefined)
      const ready = pods.filter((p) => (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'))
      return pods.length === 3 && ready.length === 3 && pods.every((p) => p.spec.nodeName !== node) ? pods : undefined
    }, 60_000)
    expect(moved.map((p: any) => p.spec.nodeName).every((n: string) => n !== node)).toBe(true)
    expect(await k(['get', 'pods', '--field-selector', `spec.nodeName=${node}`])).toEqual({ code: 0, stdout: '', stderr: 'No resources found in default namespace.\n' })

    expect(await ok(k, ['uncordon', node])).toBe(`node/${node} uncordoned\n`)
    expect(await ok(k, ['get', 'node', node])).toMatch(new RegExp(`^${node}\\s+Ready\\s+<none>\\s`, 'm'))
    expect((await jsonOf(['get', 'node', node])).spec.unschedulable).toBeUndefined()
    expect(await ok(k, ['uncordon', node])).toBe(`node/${node} already uncordoned\n`)
  }, 120_000)
})
