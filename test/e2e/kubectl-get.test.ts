// `kubectl get` prints each kind's usual columns: the real kubectl against one real agent
// (fake runtime), reading the meta.k8s.io Tables the API answers — default columns, `-o wide`
// (priority-1 columns), `-A` (kubectl's own NAMESPACE column), one object by name, and
// `get -w` (Table watch events). Skipped, with a warning, without kubectl.

import { join } from 'node:path'
import { expect, test } from 'vitest'
import { e2eClusters, waitFor } from './cluster-harness.ts'
import { haveKubectl, KUBECTL, kubectl, kubectlStream, type KubectlRun } from './harness/kubectl.ts'

const clusters = e2eClusters()

/** The header line's column names (kubectl separates columns by three or more spaces). */
function header (out: string): string[] {
  return (out.split('\n')[0] ?? '').trim().split(/ {2,}/)
}

test('kubectl get shows each kind\'s columns, -o wide ones, -A, one object and -w', async () => {
  if (!haveKubectl()) {
    console.warn(`kubectl-get: ${KUBECTL} is missing, so this test did not run kubectl (install kubectl v1.32 to run it)`)
    return
  }
  const c = await clusters.create('kubectl-get', { nodeIps: true })
  const a = await c.startFirst('a')
  const kubeconfig = join(a.dataDir, 'kubeconfig')
  const cacheDir = join(c.root, 'kube-cache')
  const get = async (...args: string[]): Promise<KubectlRun> => {
    const r = await kubectl(kubeconfig, cacheDir, ['get', ...args])
    expect(r.stderr, `kubectl get ${args.join(' ')}`).toBe('')
    expect(r.code).toBe(0)
    return r
  }

  let last: KubectlRun | undefined
  const ns = await waitFor('kubectl get ns to list default', async () => {
    last = await kubectl(kubeconfig, cacheDir, ['get', 'ns'])
    return last.code === 0 && /^default\s/m.test(last.stdout) ? last : undefined
  }, { timeoutMs: 30_000, intervalMs: 500, lastSeen: () => last })
  expect(header(ns.stdout)).toEqual(['NAME', 'STATUS', 'AGE'])
  expect(ns.stdout).toMatch(/^default\s+Active\s+\S+$/m)

  const api = c.api('a')
  const created = await Promise.all([
    api.request('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { a: '1', b: '2' } }),
    api.request('POST', '/api/v1/namespaces/default/services', {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] }
    }),
    api.request('POST', '/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } }
      }
    })
  ])
  expect(created.map(r => r.status)).toEqual([201, 201, 201])

  const svc = await get('svc')
  expect(header(svc.stdout)).toEqual(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'])
  expect(svc.stdout).toMatch(/^web\s+ClusterIP\s+\d+\.\d+\.\d+\.\d+\s+<none>\s+80\/TCP\s+\S+$/m)
  const svcWide = await get('svc', '-o', 'wide')
  expect(header(svcWide.stdout)).toEqual(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR'])
  expect(svcWide.stdout).toMatch(/^web\s.*\s80\/TCP\s+\S+\s+app=web$/m)

  const cm = await get('cm')
  expect(header(cm.stdout)).toEqual(['NAME', 'DATA', 'AGE'])
  expect(cm.stdout).toMatch(/^settings\s+2\s+\S+$/m)
  const one = await get('cm', 'settings')
  expect(one.stdout).toMatch(/^NAME\s+DATA\s+AGE\nsettings\s+2\s+\S+\n$/)

  const deployWide = await get('deploy', '-o', 'wide')
  expect(header(deployWide.stdout)).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR'])
  expect(deployWide.stdout).toMatch(/^web\s+\d\/1\s+\d\s+\d\s+\S+\s+app\s+nginx:1\.27\s+app=web$/m)
  const deployAll = await get('deploy', '-A')
  expect(header(deployAll.stdout)).toEqual(['NAMESPACE', 'NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'])
  expect(deployAll.stdout).toMatch(/^default\s+web\s+\d\/1\s/m)

  const nodes = await get('nodes', '-o', 'wide')
  expect(header(nodes.stdout)).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME'])
  expect(nodes.stdout).toMatch(/\s127\.0\.0\.2\s/)

  // The Deployment controller's ReplicaSet and pod, as kubectl lists them.
  const rs = await waitFor('kubectl get rs to list the Deployment\'s ReplicaSet', async () => {
    last = await kubectl(kubeconfig, cacheDir, ['get', 'rs'])
    return last.code === 0 && /^web-\S+\s+1\s/m.test(last.stdout) ? last : undefined
  }, { timeoutMs: 30_000, intervalMs: 500, lastSeen: () => last })
  expect(header(rs.stdout)).toEqual(['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE'])
  const pods = await waitFor('kubectl get pods -o wide to list the Deployment\'s pod', async () => {
    last = await kubectl(kubeconfig, cacheDir, ['get', 'pods', '-o', 'wide'])
    return last.code === 0 && /^web-\S+\s+\d\/1\s/m.test(last.stdout) ? last : undefined
  }, { timeoutMs: 30_000, intervalMs: 500, lastSeen: () => last })
  expect(header(pods.stdout)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'])

  // Events: the scheduler, the controllers and the kubelet record them; kubectl lists them.
  const events = await waitFor('kubectl get events to show the Deployment\'s story', async () => {
    const r = await kubectl(kubeconfig, cacheDir, ['get', 'events'])
    last = r
    return r.code === 0 && ['ScalingReplicaSet', 'SuccessfulCreate', 'Scheduled', 'Started'].every((reason) => r.stdout.includes(reason)) ? r : undefined
  }, { timeoutMs: 30_000, intervalMs: 500, lastSeen: () => last })
  expect(header(events.stdout)).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'])
  expect(events.stdout).toMatch(/Normal\s+ScalingReplicaSet\s+deployment\/web\s+Scaled up replica set web-\S+ from 0 to 1/)

  // get -w: the list as a Table, then each watch event as a row under the same columns.
  const watch = kubectlStream(kubeconfig, cacheDir, ['get', 'cm', '-w'])
  try {
    await waitFor('kubectl get cm -w to print the list', async () => /^settings\s+2\s/m.test(watch.stdout()) ? true : undefined,
      { timeoutMs: 20_000, intervalMs: 200, lastSeen: () => ({ stdout: watch.stdout(), stderr: watch.stderr() }) })
    expect((await api.createConfigMap('later', { x: '1' })).status).toBe(201)
    const out = await waitFor('kubectl get cm -w to print the new ConfigMap', async () => /^later\s+1\s+\S+$/m.test(watch.stdout()) ? watch.stdout() : undefined,
      { timeoutMs: 20_000, intervalMs: 200, lastSeen: () => ({ stdout: watch.stdout(), stderr: watch.stderr() }) })
    expect(header(out)).toEqual(['NAME', 'DATA', 'AGE'])
    expect(out.split('\n').filter(l => l.startsWith('NAME'))).toHaveLength(1)
  } finally {
    await watch.stop()
  }
}, 120_000)
