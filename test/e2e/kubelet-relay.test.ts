// The kubelet in real agent processes (with --runtime fake, as every e2e agent): each agent's
// Node turns Ready with its capacity; a pod bound to one agent reports Running; logs and exec
// asked of another agent are relayed to the pod's agent over libp2p, errors included.

import { describe, expect, test } from 'vitest'
import { e2eClusters, waitFor } from './cluster-harness.ts'

const clusters = e2eClusters()

interface Condition { type: string, status: string, reason?: string }

describe('kubelet in agents', () => {
  test('Nodes Ready; a pod on b runs; logs and exec through a reach it', async () => {
    const c = await clusters.create('kubelet')
    await c.form(['a', 'b'])
    const a = c.api('a')
    for (const name of ['a', 'b']) {
      await waitFor(`node ${name} Ready`, async () => {
        const r = await a.request('GET', `/api/v1/nodes/${name}`)
        const status = (r.body as { status?: { conditions?: Condition[], capacity?: Record<string, string> } }).status
        return status?.conditions?.find((x) => x.type === 'Ready')?.status === 'True' && status.capacity?.pods === '110'
      }, { timeoutMs: 20_000 })
    }
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { nodeName: 'b', containers: [{ name: 'app', image: 'busybox:1' }] } }
    expect((await a.request('POST', '/api/v1/namespaces/default/pods', pod)).status).toBe(201)
    await waitFor('pod p Running', async () => {
      const r = await a.request('GET', '/api/v1/namespaces/default/pods/p')
      return (r.body as { status?: { phase?: string } }).status?.phase === 'Running'
    }, { timeoutMs: 20_000 })

    const exec = await a.request('POST', '/api/v1/namespaces/default/pods/p/exec?command=true')
    expect(exec.status).toBe(200)
    expect(exec.body).toMatchObject({ exitCode: 0, output: '' })
    const logs = await a.request('GET', '/api/v1/namespaces/default/pods/p/log')
    expect(logs.status).toBe(200)
    // An error of b's kubelet reaches the client of a as it is.
    const bad = await a.request('GET', '/api/v1/namespaces/default/pods/p/log?container=nope')
    expect(bad.status).toBe(400)
    expect((bad.body as { message: string }).message).toBe('container nope is not valid for pod p')
  }, 120_000)
})
