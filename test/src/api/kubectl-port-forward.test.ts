// The real kubectl's `port-forward` against an in-process API server (HTTPS, bearer token)
// whose PodIo is a fake that connects the pod's port 7000 to a local TCP echo server — no
// Docker. Both ways kubectl switches protocols are driven: the WebSocket tunnel
// (KUBECTL_PORT_FORWARD_WEBSOCKETS=true; kubectl 1.31+ does it by default) and the plain
// SPDY/3.1 upgrade it falls back to (=false). Several connections at once and a multi-MB
// transfer each way must come back byte for byte; a refused port ends the forward with the
// server's message, as Kubernetes does. Skipped, with a warning, without kubectl.

import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { connect, createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import { haveKubectl, KUBECTL } from '../../e2e/harness/kubectl.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClusterCa, issueServingCertificate } from '../../../src/agent/tls/certificate.ts'
import { PodIoError, type PodIo, type PortForwardRequest } from '../../../src/api/pod-io.ts'
import { createApiServer, type ApiServer } from '../../../src/api/server.ts'
import { UPGRADE_HANDLERS } from '../../../src/api/upgrade-handlers.ts'
import { formatKubeconfig } from '../../../src/cli/kubeconfig.ts'
import { KINDS } from '../../../src/objects/kinds.ts'
import { podKind, type Pod } from '../../../src/objects/pod.ts'
import { StoreBackend } from '../store-backend.ts'

const kubectlHere = haveKubectl()
if (!kubectlHere) console.warn(`kubectl-port-forward.test.ts: ${KUBECTL} is missing, so these tests did not run kubectl (install kubectl v1.32 to run them)`)

const ECHO_PORT = 7000

/** Pod port 7000 is the echo server; any other port refuses (a fake, for tests only). */
class EchoPodIo implements PodIo {
  readonly requests: PortForwardRequest[] = []
  constructor (private readonly echoPort: number) {}
  async * logs (): AsyncIterable<string> {}
  async exec (): Promise<never> { throw new PodIoError(400, 'no exec here') }
  async execStream (): Promise<never> { throw new PodIoError(400, 'no exec here') }
  async portForward (req: PortForwardRequest): Promise<Duplex> {
    this.requests.push(req)
    if (req.port !== ECHO_PORT) throw new PodIoError(503, `connect ECONNREFUSED 10.1.0.7:${req.port}`)
    const s = connect(this.echoPort, '127.0.0.1')
    await once(s, 'connect')
    return s
  }
}

let dir: string
let echo: Server
let backend: StoreBackend
let api: ApiServer
let kubeconfig: string
/** The Upgrade header of each port-forward request the server switched. */
const upgrades: string[] = []
const realHandler = UPGRADE_HANDLERS.portforward

beforeAll(async () => {
  if (!kubectlHere) return
  dir = await mkdtemp(join(tmpdir(), 'kubectl-pf-'))
  echo = createServer((s) => {
    s.on('error', () => {})
    s.pipe(s)
  })
  echo.listen(0, '127.0.0.1')
  await once(echo, 'listening')
  backend = await StoreBackend.open(() => Date.now())
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: backend.newUid(), creationTimestamp: backend.now() },
    spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'busybox:1' }] },
    status: { phase: 'Running', podIP: '10.1.0.7' }
  }
  podKind.defaults(pod)
  await backend.write({ op: 'create', object: pod })
  const ca = createClusterCa()
  const serving = issueServingCertificate(ca, { commonName: 'test', ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'] })
  api = createApiServer({ backend, kinds: KINDS, token: 'pf-token', host: '127.0.0.1', port: 0, podIo: new EchoPodIo((echo.address() as { port: number }).port), tls: { key: serving.key, cert: serving.cert } })
  await api.start()
  kubeconfig = join(dir, 'kubeconfig')
  await writeFile(kubeconfig, formatKubeconfig({ server: `https://127.0.0.1:${api.port}`, token: 'pf-token', clusterName: 'test', userName: 'test', namespace: 'default', certificateAuthority: ca.cert }), { mode: 0o600 })
  // A spy on the real handler: which protocol switch kubectl asked for.
  UPGRADE_HANDLERS.portforward = async (ctx) => {
    upgrades.push(String(ctx.req.headers.upgrade))
    await realHandler?.(ctx)
  }
})

afterAll(async () => {
  if (!kubectlHere) return
  UPGRADE_HANDLERS.portforward = realHandler
  await api.stop()
  await backend.close()
  echo.close()
  await rm(dir, { recursive: true, force: true })
})

interface Forward { child: ChildProcess, localPort: number, stdout: () => string, stderr: () => string, exited: Promise<number | null> }

/** Starts `kubectl port-forward pod/web :REMOTE` and waits for its local port. */
async function portForward (remote: number, websockets: boolean): Promise<Forward> {
  const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), 'port-forward', 'pod/web', `:${remote}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KUBECTL_PORT_FORWARD_WEBSOCKETS: String(websockets) }
  })
  let out = ''
  let err = ''
  child.stdout?.setEncoding('utf8').on('data', (s: string) => { out += s })
  child.stderr?.setEncoding('utf8').on('data', (s: string) => { err += s })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const deadline = Date.now() + 20_000
  for (;;) {
    const m = /Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/.exec(out)
    if (m !== null) {
      expect(Number(m[2])).toBe(remote)
      return { child, localPort: Number(m[1]), stdout: () => out, stderr: () => err, exited }
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`kubectl port-forward did not start: ${out}${err}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

async function echoConnections (): Promise<number> {
  return await new Promise((resolve, reject) => { echo.getConnections((err, n) => { if (err !== null) reject(err); else resolve(n) }) })
}

async function until (what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

async function stop (f: Forward): Promise<void> {
  if (f.child.exitCode === null && f.child.signalCode === null) f.child.kill('SIGTERM')
  await f.exited
}

/** Sends `data` on a new connection to the forwarded port, half-closes, and reads to the end. */
async function roundTrip (port: number, data: Buffer): Promise<Buffer> {
  const s = connect(port, '127.0.0.1')
  const got: Buffer[] = []
  s.on('data', (c: Buffer) => got.push(c))
  s.end(data)
  await once(s, 'end')
  s.destroy()
  return Buffer.concat(got)
}

describe.skipIf(!kubectlHere)('kubectl port-forward against the API server', () => {
  for (const websockets of [true, false]) {
    const how = websockets ? 'through the WebSocket tunnel' : 'over a plain SPDY/3.1 upgrade'
    it(`forwards concurrent connections and ${8} MiB each way ${how}`, async () => {
      const before = upgrades.length
      const f = await portForward(ECHO_PORT, websockets)
      try {
        const payloads = Array.from({ length: 8 }, (_, i) => randomBytes(64 * 1024 + i * 1000))
        const echoed = await Promise.all(payloads.map(async (p) => await roundTrip(f.localPort, p)))
        echoed.forEach((e, i) => { expect(e.equals(payloads[i] as Buffer), `connection ${i}`).toBe(true) })
        const big = randomBytes(8 << 20)
        const t0 = performance.now()
        const back = await roundTrip(f.localPort, big)
        const ms = performance.now() - t0
        expect(back.length).toBe(big.length)
        expect(back.equals(big)).toBe(true)
        console.info(`kubectl port-forward ${how}: 8 MiB each way in ${ms.toFixed(0)} ms (${(8 * 1000 / ms).toFixed(1)} MiB/s each way)`)
        expect(upgrades.slice(before)).toEqual([websockets ? 'websocket' : 'SPDY/3.1'])
        expect(f.stderr()).toBe('')
        // Every request's pod connection was closed when kubectl was done with it.
        await until('the pod connections to close', async () => await echoConnections() === 0)
      } finally {
        await stop(f)
      }
    }, 60_000)
  }

  it('closes the pod connections when kubectl is killed in the middle of a transfer, and serves the next one', async () => {
    const f = await portForward(ECHO_PORT, true)
    const s = connect(f.localPort, '127.0.0.1')
    s.on('error', () => {})
    let got = 0
    s.on('data', (c: Buffer) => { got += c.length })
    s.write(randomBytes(32 << 20))
    await until('some bytes to come back', async () => got > 1 << 20)
    expect(await echoConnections()).toBe(1)
    f.child.kill('SIGKILL')
    await f.exited
    await until('the pod connection to close', async () => await echoConnections() === 0)
    s.destroy()
    const again = await portForward(ECHO_PORT, true)
    try {
      expect((await roundTrip(again.localPort, Buffer.from('still here'))).toString()).toBe('still here')
    } finally {
      await stop(again)
    }
  }, 30_000)

  it('ends the forward with the server\'s message when the pod\'s port refuses', async () => {
    const f = await portForward(9, true)
    try {
      const back = await roundTrip(f.localPort, Buffer.from('anyone?'))
      expect(back.length).toBe(0)
      const code = await Promise.race([f.exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 10_000))])
      expect(code).toBe(1)
      expect(f.stderr()).toContain('error forwarding port 9 to pod default/web: connect ECONNREFUSED 10.1.0.7:9')
      expect(f.stderr()).toContain('lost connection to pod')
    } finally {
      await stop(f)
    }
  }, 30_000)
})
