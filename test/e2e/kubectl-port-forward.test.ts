// `kubectl port-forward` end to end: three real agents with the Docker runtime; agent b runs a
// busybox httpd pod; the real kubectl, pointed at agent a, forwards a local port to the pod's
// port 80 (a's API tunnels each connection to b over libp2p), over the WebSocket tunnel and
// over the plain SPDY upgrade (chosen with
// KUBECTL_PORT_FORWARD_WEBSOCKETS), and an HTTP GET through the local port gets the page the
// pod serves. Skipped, with a warning, without kubectl; needs a Docker Engine and the local
// image flotilla/busybox:test.

import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { get } from 'node:http'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { dockerProblem } from '../../src/cli/docker-check.ts'
import { e2eClusters, waitFor } from './cluster-harness.ts'
import { haveKubectl, KUBECTL } from './harness/kubectl.ts'

const IMAGE = 'flotilla/busybox:test'
const clusters = e2eClusters()

interface PodStatus { phase?: string, podIP?: string }

/** One GET to 127.0.0.1:port, on its own connection. */
async function httpGet (port: number, path: string): Promise<{ status: number, body: string }> {
  return await new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, agent: false, timeout: 10_000 }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
    })
    req.on('timeout', () => { req.destroy(new Error(`GET ${path} through the forwarded port timed out`)) })
    req.on('error', reject)
  })
}

test('kubectl port-forward through agent a reaches a busybox httpd pod on agent b (Docker), over the WebSocket tunnel and over SPDY', async () => {
  if (!haveKubectl()) {
    console.warn(`kubectl-port-forward: ${KUBECTL} is missing, so this test did not run kubectl (install kubectl v1.32 to run it)`)
    return
  }
  const problem = await dockerProblem()
  if (problem !== null) throw new Error(`this test runs a real container and needs a Docker Engine (${problem}): run bash examples/setup-docker.sh`)
  const c = await clusters.create('kubectl-pf', { runtime: 'docker', nodeIps: true })
  await c.form(['a', 'b', 'c'])
  const kubeconfig = join(c.agent('a').dataDir, 'kubeconfig')
  const api = c.api('a')
  const created = await api.request('POST', '/api/v1/namespaces/default/pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web' },
    spec: {
      nodeName: 'b',
      terminationGracePeriodSeconds: 1,
      containers: [{
        name: 'httpd',
        image: IMAGE,
        command: ['sh', '-c', 'mkdir -p /tmp/www && echo "hello through port-forward from $(hostname)" > /tmp/www/index.html && exec httpd -f -p 80 -h /tmp/www'],
        ports: [{ containerPort: 80 }],
        readinessProbe: { httpGet: { path: '/', port: 80 }, periodSeconds: 1 }
      }]
    }
  }, 10_000)
  expect(created.status, created.text).toBe(201)
  let status: PodStatus | undefined
  await waitFor('pod web Ready with an IP', async () => {
    const r = await api.request('GET', '/api/v1/namespaces/default/pods/web')
    const pod = r.body as { status?: PodStatus & { conditions?: Array<{ type: string, status: string }> } }
    status = pod.status
    return pod.status?.phase === 'Running' && (pod.status.podIP ?? '') !== '' && pod.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') === true ? true : undefined
  }, { timeoutMs: 60_000, intervalMs: 250, lastSeen: () => status })

  for (const websockets of [true, false]) {
    const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', join(c.root, 'kube-cache'), 'port-forward', 'pod/web', ':80'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KUBECTL_PORT_FORWARD_WEBSOCKETS: String(websockets) }
    })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s })
    child.stderr.setEncoding('utf8').on('data', (s: string) => { err += s })
    const exited = once(child, 'exit')
    try {
      const port = await waitFor(`kubectl port-forward (websockets=${String(websockets)}) to print its local port`, async () => {
        if (child.exitCode !== null) throw new Error(`kubectl port-forward exited with ${child.exitCode}: ${out}${err}`)
        const m = /Forwarding from 127\.0\.0\.1:(\d+) -> 80/.exec(out)
        return m === null ? undefined : Number(m[1])
      }, { timeoutMs: 20_000, intervalMs: 100, lastSeen: () => out + err })
      for (let i = 0; i < 3; i++) {
        const page = await httpGet(port, '/index.html')
        expect(page.status).toBe(200)
        expect(page.body).toMatch(/^hello through port-forward from \S+\n$/)
      }
      expect(err).toBe('')
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    }
  }
}, 180_000)
