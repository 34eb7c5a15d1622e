// The examples of the Kubernetes documentation — the nginx Deployment, the my-service Service
// and the game-demo ConfigMap (test/e2e/fixtures/k8s-docs, unchanged but for the image) —
// applied with `kubectl apply -f DIR` to a 3-agent cluster on Docker through an agent that is
// not the leader, then shown with `get` and `describe`: pods, Deployments, ReplicaSets,
// nodes, Services and ConfigMaps, with the Events at the bottom (Scheduled, Pulled, Created,
// Started, ScalingReplicaSet, SuccessfulCreate, the Node's; Pulling and Failed for an image
// no registry has). Skipped, with a warning, without kubectl or without a Docker Engine.

import { execFileSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { e2eClusters, waitFor } from './cluster-harness.ts'
import { haveKubectl, KUBECTL, ok, type Kubectl } from './harness/kubectl.ts'
import { kubectlCluster } from './harness/kubectl-cluster.ts'

const clusters = e2eClusters()
const DOCS = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'k8s-docs')
const IMAGE = 'flotilla/busybox:test'

function dockerReady (): boolean {
  try {
    execFileSync('docker', ['image', 'inspect', IMAGE], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const READY = haveKubectl()
let k: Kubectl

async function until<T> (what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  return await waitFor(what, probe, { timeoutMs, intervalMs: 500 })
}

/** The Events section of a describe output: one `[type, reason, from, message]` per row. */
function events (out: string): string[][] {
  const section = out.slice(out.lastIndexOf('\nEvents:'))
  return section.split('\n').slice(4).filter((l) => l.trim() !== '').map((l) => {
    const [type = '', reason = '', , from = '', ...message] = l.trim().split(/ {2,}/)
    return [type, reason, from, message.join('  ')]
  })
}

describe('the Kubernetes documentation\'s examples, applied and described on a 3-agent Docker cluster', () => {
  beforeAll(async () => {
    if (!READY) return
    if (!dockerReady()) throw new Error(`these tests run real containers: they need a Docker Engine with the image ${IMAGE} (run bash examples/setup-docker.sh)`)
    k = (await kubectlCluster(clusters, 'kubectl-describe', { runtime: 'docker' })).k
  }, 120_000)

  it('apply -f the directory; get and describe the Deployment, its ReplicaSet and pods, the Service, the ConfigMap and a node', async () => {
    if (!READY) {
      console.warn(`kubectl-describe: ${KUBECTL} is missing, so this test did not run kubectl (install kubectl v1.32 to run it)`)
      return
    }
    expect(await ok(k, ['apply', '-f', DOCS])).toBe('configmap/game-demo created\nservice/my-service created\ndeployment.apps/nginx-deployment created\n')

    await until('nginx-deployment 3/3 ready', async () => {
      const out = await ok(k, ['get', 'deploy', 'nginx-deployment'])
      return /^nginx-deployment\s+3\/3\s+3\s+3\s+\S+$/m.test(out) ? out : undefined
    })
    const pods = await ok(k, ['get', 'pods', '-l', 'app=nginx', '-o', 'wide'])
    expect((pods.split('\n')[0] ?? '').trim().split(/ {2,}/)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'])
    const rows = pods.trim().split('\n').slice(1)
    expect(rows).toHaveLength(3)
    for (const row of rows) expect(row).toMatch(/^nginx-deployment-\S+\s+1\/1\s+Running\s+0\s+\S+\s+\d+\.\d+\.\d+\.\d+\s+[abc]\s+<none>\s+<none>$/)

    expect(await ok(k, ['get', 'svc', 'my-service'])).toMatch(/^my-service\s+ClusterIP\s+\d+\.\d+\.\d+\.\d+\s+<none>\s+80\/TCP\s+\S+$/m)
    expect(await ok(k, ['get', 'cm', 'game-demo'])).toMatch(/^game-demo\s+4\s+\S+$/m)
    expect(await ok(k, ['get', 'cm', 'game-demo', '-o', 'jsonpath={.data.game\\.properties}'])).toBe('enemy.types=aliens,monsters\nplayer.maximum-lives=5\n')
    const cmYaml = await ok(k, ['get', 'cm', 'game-demo', '-o', 'yaml'])
    expect(cmYaml).toContain('  user-interface.properties: |\n    color.good=purple\n    color.bad=yellow\n    allow.textmode=true\n')
    expect(cmYaml).toContain('  player_initial_lives: "3"\n')

    const cm = await ok(k, ['describe', 'cm', 'game-demo'])
    expect(cm).toMatch(/^Name:\s+game-demo\nNamespace:\s+default\n/)
    expect(cm).toContain('game.properties:\n----\nenemy.types=aliens,monsters\nplayer.maximum-lives=5\n')
    expect(cm).toContain('player_initial_lives:\n----\n3\n')
    expect(cm).toMatch(/Events:\s+<none>\n$/)

    const svc = await ok(k, ['describe', 'svc', 'my-service'])
    expect(svc).toMatch(/^Name:\s+my-service$/m)
    expect(svc).toMatch(/^Selector:\s+app\.kubernetes\.io\/name=MyApp$/m)
    expect(svc).toMatch(/^Type:\s+ClusterIP$/m)
    expect(svc).toMatch(/^IP:\s+\d+\.\d+\.\d+\.\d+$/m)
    expect(svc).toMatch(/^Port:\s+<unset>\s+80\/TCP$/m)
    expect(svc).toMatch(/^TargetPort:\s+9376\/TCP$/m)
    expect(svc).toMatch(/^Session Affinity:\s+None$/m)
    expect(svc).toMatch(/Events:\s+<none>\n$/)

    const deploy = await ok(k, ['describe', 'deploy', 'nginx-deployment'])
    expect(deploy).toMatch(/^Replicas:\s+3 desired \| 3 updated \| 3 total \| 3 available \| 0 unavailable$/m)
    expect(deploy).toMatch(/^StrategyType:\s+RollingUpdate$/m)
    expect(deploy).toMatch(/^\s+Image:\s+flotilla\/busybox:test$/m)
    expect(deploy).toMatch(/^\s+Port:\s+80\/TCP$/m)
    expect(deploy).toMatch(/^NewReplicaSet:\s+nginx-deployment-\S+ \(3\/3 replicas created\)$/m)
    const rsName = /^NewReplicaSet:\s+(nginx-deployment-\S+) /m.exec(deploy)?.[1] ?? ''
    expect(events(deploy)).toEqual([['Normal', 'ScalingReplicaSet', 'deployment-controller', `Scaled up replica set ${rsName} from 0 to 3`]])

    const rs = await ok(k, ['describe', 'rs', rsName])
    expect(rs).toMatch(/^Controlled By:\s+Deployment\/nginx-deployment$/m)
    expect(rs).toMatch(/^Pods Status:\s+3 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed$/m)
    const created = events(rs)
    expect(created).toHaveLength(3)
    for (const e of created) expect(e.slice(0, 3)).toEqual(['Normal', 'SuccessfulCreate', 'replicaset-controller'])

    const podName = (rows[0] ?? '').split(/\s+/)[0] ?? ''
    const pod = await ok(k, ['describe', 'pod', podName])
    expect(pod).toMatch(new RegExp(`^Controlled By:\\s+ReplicaSet/${rsName}$`, 'm'))
    expect(pod).toMatch(/^Status:\s+Running$/m)
    expect(pod).toMatch(/^\s+Port:\s+80\/TCP$/m)
    expect(pod).toMatch(/^\s+Ready:\s+True$/m)
    expect(pod).toMatch(/^Conditions:\n\s+Type\s+Status\n\s+PodReadyToStartContainers\s+True\s*\n\s+Initialized\s+True\s*\n\s+Ready\s+True\s*\n\s+ContainersReady\s+True\s*\n\s+PodScheduled\s+True\s*\n/m)
    const node = /^Node:\s+([abc])\/127\.0\.0\.\d+$/m.exec(pod)?.[1] ?? ''
    expect(['a', 'b', 'c']).toContain(node)
    // The kubelet's Events in the order they happened, after the scheduler's.
    expect(events(pod).map((e) => [e[0], e[1], e[2], e[3]])).toEqual([
      ['Normal', 'Scheduled', 'default-scheduler', `Successfully assigned default/${podName} to ${node}`],
      ['Normal', 'Pulled', 'kubelet', `Container image "${IMAGE}" already present on machine`],
      ['Normal', 'Created', 'kubelet', 'Created container nginx'],
      ['Normal', 'Started', 'kubelet', 'Started container nginx']
    ])

    const described = await ok(k, ['describe', 'node', node])
    expect(described).toMatch(new RegExp(`^Name:\\s+${node}$`, 'm'))
    expect(described).toMatch(/^\s+Ready\s+True\s+.*KubeletReady\s+kubelet is posting ready status$/m)
    expect(described).toMatch(new RegExp(`^\\s+default\\s+${podName}\\s`, 'm'))
    const nodeEvents = events(described).map((e) => e[1])
    for (const reason of ['Starting', 'NodeHasSufficientMemory', 'NodeHasNoDiskPressure', 'NodeHasSufficientPID', 'NodeReady', 'RegisteredNode']) expect(nodeEvents).toContain(reason)
    expect(events(described)).toContainEqual(['Normal', 'RegisteredNode', 'node-controller', `Node ${node} event: Registered Node ${node} in Controller`])
  }, 180_000)

  it('an image no registry has: Pulling, then Failed with the engine\'s error, ErrImagePull and ImagePullBackOff', async () => {
    if (!READY) return
    expect(await ok(k, ['run', 'nopull', '--image=flotilla/not-here:1'])).toBe('pod/nopull created\n')
    const described = await until('the pull to fail and back off', async () => {
      const out = await ok(k, ['describe', 'pod', 'nopull'])
      return events(out).some((e) => e[1] === 'BackOff') ? out : undefined
    })
    const seen = events(described)
    expect(seen).toContainEqual(['Normal', 'Pulling', 'kubelet', 'Pulling image "flotilla/not-here:1"'])
    expect(seen.find((e) => e[1] === 'Failed' && (e[3] ?? '').startsWith('Failed to pull image "flotilla/not-here:1": '))).toBeDefined()
    expect(seen).toContainEqual(['Warning', 'Failed', 'kubelet', 'Error: ErrImagePull'])
    expect(seen).toContainEqual(['Normal', 'BackOff', 'kubelet', 'Back-off pulling image "flotilla/not-here:1"'])
    expect(await ok(k, ['get', 'pod', 'nopull'])).toMatch(/^nopull\s+0\/1\s+(ErrImagePull|ImagePullBackOff)\s+0\s/m)
    const wide = await ok(k, ['get', 'events', '--field-selector', 'involvedObject.name=nopull,reason=Pulling', '-o', 'wide'])
    expect((wide.split('\n')[0] ?? '').trim().split(/ {2,}/)).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'SUBOBJECT', 'SOURCE', 'MESSAGE', 'FIRST SEEN', 'COUNT', 'NAME'])
    expect(wide).toMatch(/^\S+\s+Normal\s+Pulling\s+pod\/nopull\s+spec\.containers\{nopull\}\s+kubelet, [abc]\s+Pulling image "flotilla\/not-here:1"\s+\S+\s+\d+\s+nopull\.[0-9a-f]+$/m)
  }, 90_000)
})
