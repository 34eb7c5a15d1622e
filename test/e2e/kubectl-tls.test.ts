// The real kubectl against one real agent, with nothing but the kubeconfig the agent wrote:
// kubectl sends its bearer token only over HTTPS, so this proves the API's TLS (a serving
// certificate from the cluster CA, naming the agent's --node-ip) and the kubeconfig's
// https:// server and certificate-authority-data. Skipped, with a warning, without kubectl.

import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { e2eClusters, waitFor } from './cluster-harness.ts'
import { haveKubectl, KUBECTL, kubectl, type KubectlRun } from './harness/kubectl.ts'

const clusters = e2eClusters()

test('kubectl get ns and get configmaps -A work with the kubeconfig an agent wrote (HTTPS, cluster CA)', async () => {
  if (!haveKubectl()) {
    console.warn(`kubectl-tls: ${KUBECTL} is missing, so this test did not run kubectl (install kubectl v1.32 to run it)`)
    return
  }
  const c = await clusters.create('kubectl', { nodeIps: true })
  const a = await c.startFirst('a')
  const kubeconfig = join(a.dataDir, 'kubeconfig')
  const text = await readFile(kubeconfig, 'utf8')
  expect(text).toMatch(/server: https:\/\/127\.0\.0\.2:\d+/)
  expect(text).toMatch(/certificate-authority-data: \S+/)
  // The API line keeps its http:// URL: plain HTTP still answers on the same port.
  expect(a.apiUrl).toMatch(/^http:\/\/127\.0\.0\.2:\d+$/)
  const cacheDir = join(c.root, 'kube-cache')

  let last: KubectlRun | undefined
  const ns = await waitFor('kubectl get ns to list default', async () => {
    last = await kubectl(kubeconfig, cacheDir, ['get', 'ns'])
    return last.code === 0 && /^default\s/m.test(last.stdout) ? last : undefined
  }, { timeoutMs: 30_000, intervalMs: 500, lastSeen: () => last })
  expect(ns.stdout).toMatch(/^NAME\s/)
  expect(ns.stdout).toMatch(/^kube-system\s/m)

  const created = await c.api('a').createConfigMap('seen-by-kubectl', { by: 'test' })
  expect(created.status).toBe(201)
  const cms = await kubectl(kubeconfig, cacheDir, ['get', 'configmaps', '-A'])
  expect(cms.stderr).toBe('')
  expect(cms.code).toBe(0)
  expect(cms.stdout).toMatch(/^default\s+seen-by-kubectl\s/m)
}, 90_000)
