// Port-forward across agents on the real Docker Engine, below the API: two in-process agents'
// relays (real libp2p hosts, Rpc, Tunnels); node nb runs a busybox httpd pod through its
// DockerRuntime (sandbox + container, as its kubelet would), and node na's relay forwards a
// connection to the pod's port through a tunnel to nb's LocalPodIo, which dials the pod's IP.
// Also: interactive exec in that pod through na. Containers carry this run's cluster label and
// are removed by it.

import Docker from 'dockerode'
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateClusterKey } from '../../net/cluster-key.ts'
import { Rpc } from '../../net/rpc.ts'
import { Tunnels } from '../../net/tunnel.ts'
import { PEER_ID_ANNOTATION } from '../../src/agent/node-object.ts'
import { PodIoRelay } from '../../src/agent/pod-io-relay.ts'
import { PodIoError, type PodIo } from '../../src/api/pod-io.ts'
import { DockerRuntime, LABEL_CLUSTER } from '../../src/kubelet/docker-runtime.ts'
import { LocalPodIo } from '../../src/kubelet/pod-io.ts'
import type { KObject, ObjectReader } from '../../src/store/types.ts'
import { HostTracker } from '../net/helpers.ts'
import { acquireLock, releaseLock } from './harness/e2e-lock.ts'

const IMAGE = 'flotilla/busybox:test'
const CLUSTER = `pf-relay-${process.pid}`
const docker = new Docker()
const hosts = new HostTracker()
const stops: Array<() => Promise<void>> = []
let relayA: PodIoRelay

async function removeOurContainers (): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL_CLUSTER}=${CLUSTER}`] } })
  await Promise.all(list.map(async (c) => { await docker.getContainer(c.Id).remove({ force: true }).catch(() => {}) }))
}

const notHere: PodIo = {
  async * logs () { throw new PodIoError(503, 'not this node') },
  async exec () { throw new PodIoError(503, 'not this node') },
  async execStream () { throw new PodIoError(503, 'not this node') },
  async portForward () { throw new PodIoError(503, 'not this node') }
}

describe('port-forward and exec relayed to a Docker pod on another node', () => {
  beforeAll(async () => {
    await acquireLock()
    const runtime = new DockerRuntime(docker, { nodeName: 'nb', clusterId: CLUSTER })
    const identity = { uid: randomUUID(), namespace: 'default', name: 'web' }
    const sandbox = await runtime.runSandbox({ pod: identity, hostname: 'web', ports: [], hostNetwork: false })
    await runtime.runContainer(sandbox, {
      pod: identity, name: 'httpd', attempt: 0, image: IMAGE, env: [], mounts: [],
      command: ['sh', '-c', 'mkdir -p /www && echo served-on-nb > /www/index.html && exec httpd -f -p 8080 -h /www']
    })
    const key = generateClusterKey()
    const [ha, hb] = await Promise.all([0, 1].map(async () => await hosts.create({ clusterKey: key, log: () => {} })))
    if (ha === undefined || hb === undefined) throw new Error('no hosts')
    await ha.addAddresses(hb.peerId, hb.listenAddresses)
    const objects: KObject[] = [
      {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', uid: identity.uid },
        spec: { nodeName: 'nb', containers: [{ name: 'httpd', image: IMAGE }] }, status: { phase: 'Running', podIP: sandbox.ip }
      },
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'nb', annotations: { [PEER_ID_ANNOTATION]: hb.peerId } } }
    ]
    const reader = { get: (ref: { kind: string, name: string }) => objects.find((o) => o.kind === ref.kind && o.metadata.name === ref.name) } as unknown as ObjectReader
    const relays: PodIoRelay[] = []
    for (const [host, name, local] of [[ha, 'na', notHere], [hb, 'nb', new LocalPodIo(reader, runtime)]] as const) {
      const rpc = new Rpc({ host }, { log: () => {} })
      const tunnels = new Tunnels({ host }, { log: () => {} })
      await rpc.start()
      await tunnels.start()
      const relay = new PodIoRelay(rpc, tunnels, reader, name, local)
      relay.start()
      stops.push(async () => { relay.stop(); await tunnels.stop(); await rpc.stop() })
      relays.push(relay)
    }
    relayA = relays[0] as PodIoRelay
  }, 120_000)

  afterAll(async () => {
    for (const stop of stops.splice(0)) await stop()
    await hosts.stopAll()
    await removeOurContainers()
    await releaseLock()
  })

  it('forwards a connection to the pod\'s httpd through the other node', async () => {
    let answer = ''
    for (let attempt = 0; ; attempt++) {
      // httpd may take a moment to listen after its container started.
      try {
        const conn = await relayA.portForward({ namespace: 'default', pod: 'web', port: 8080 }, AbortSignal.timeout(10_000))
        answer = ''
        conn.on('data', (c: Buffer) => { answer += c.toString() })
        const ended = new Promise((resolve) => { conn.once('end', resolve); conn.once('close', resolve) })
        conn.write('GET /index.html HTTP/1.0\r\n\r\n')
        await ended
        break
      } catch (err) {
        if (attempt > 50 || !(err instanceof PodIoError) || err.code !== 503) throw err
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
    expect(answer).toMatch(/^HTTP\/1\.[01] 200/)
    expect(answer).toContain('served-on-nb')
    await expect(relayA.portForward({ namespace: 'default', pod: 'web', port: 9 }, AbortSignal.timeout(10_000)))
      .rejects.toMatchObject({ name: 'PodIoError', code: 503 })
  })

  it('runs an interactive exec in that pod through the other node', async () => {
    const session = await relayA.execStream({ namespace: 'default', pod: 'web', command: ['sh', '-c', 'cat; echo bye >&2; exit 5'], stdin: true, stdout: true, stderr: true, tty: false }, AbortSignal.timeout(20_000))
    let out = ''
    let err = ''
    session.stdout?.on('data', (c: Buffer) => { out += c.toString() })
    session.stderr?.on('data', (c: Buffer) => { err += c.toString() })
    const ended = Promise.all([session.stdout, session.stderr].map(async (s) => await new Promise((resolve) => s?.once('end', resolve))))
    session.stdin?.end('piped\n')
    expect(await session.exitCode).toBe(5)
    await ended
    expect(out).toBe('piped\n')
    expect(err).toBe('bye\n')
  })
})
