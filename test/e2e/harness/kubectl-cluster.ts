// A 3-agent cluster for kubectl e2e files: formed once (in a beforeAll), kubectl pointed at an
// agent that is not the leader (so every write is forwarded through Raft), and ready once
// `kubectl get ns` lists default through it.

import { join } from 'node:path'
import type { E2eClusters, TestCluster, TestClusterOptions } from '../cluster-harness.ts'
import { waitFor } from './wait.ts'
import { kubectlWith, type Kubectl, type KubectlRun } from './kubectl.ts'

export interface KubectlCluster {
  c: TestCluster
  /** kubectl with the kubeconfig of `via`. */
  k: Kubectl
  /** The agent kubectl talks to: a follower when the cluster formed. */
  via: string
  leader: string
}

export async function kubectlCluster (clusters: E2eClusters, label: string, options: TestClusterOptions = {}): Promise<KubectlCluster> {
  const c = await clusters.createShared(label, { nodeIps: true, ...options })
  await c.form(['a', 'b', 'c'])
  const status = await c.waitForAgreement('3 voters agreeing on a leader', (s) => s.members.filter((m) => m.role === 'voter').length === 3, 60_000)
  const leader = status.leader ?? 'a'
  const via = ['a', 'b', 'c'].find((n) => n !== leader) ?? 'b'
  const k = kubectlWith(join(c.agent(via).dataDir, 'kubeconfig'), join(c.root, 'kube-cache'))
  let last: KubectlRun | undefined
  await waitFor(`kubectl via ${via} to list the default namespace`, async () => {
    last = await k(['get', 'ns'])
    return last.code === 0 && /^default\s/m.test(last.stdout) ? true : undefined
  }, { timeoutMs: 30_000, intervalMs: 500, lastSeen: () => last })
  return { c, k, via, leader }
}
