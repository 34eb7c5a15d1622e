// The relay of logs/exec/port-forward between two agents over real libp2p hosts: agent A
// (not the pod's node) serves an interactive exec and a port-forward of a pod on node B by
// tunnelling to B's relay, whose local PodIo here is scripted (a fake: its port-forward dials
// a TCP server of this test, its exec is the FakeRuntime's scripted session). B's refusals
// reach A's caller as PodIoErrors with their code and message.

import { createServer, connect, type Server } from 'node:net'
import type { Duplex } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { generateClusterKey } from '../../../net/cluster-key.ts'
import { Rpc } from '../../../net/rpc.ts'
import { Tunnels } from '../../../net/tunnel.ts'
import { PEER_ID_ANNOTATION } from '../../../src/agent/node-object.ts'
import { PodIoRelay } from '../../../src/agent/pod-io-relay.ts'
import { PodIoError, type ExecSession, type ExecStreamRequest, type PodIo, type PortForwardRequest } from '../../../src/api/pod-io.ts'
import { FakeExecSession } from '../../../src/kubelet/fake-exec-session.ts'
import type { KObject, ObjectReader } from '../../../src/store/types.ts'
import { HostTracker } from '../../net/helpers.ts'

const hosts = new HostTracker()
const stops: Array<() => Promise<void>> = []
let server: Server | undefined
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop()
  server?.close()
  await hosts.stopAll()
})

/** B's kubelet side, scripted: port 8080 is the test's TCP server; exec runs FakeExecSession. */
class ScriptedNode implements PodIo {
  constructor (private readonly port: number) {}
  async * logs (): AsyncIterable<string> { yield '' }
  async exec (): Promise<{ exitCode: number, output: string }> { return { exitCode: 0, output: '' } }
  async execStream (req: ExecStreamRequest): Promise<ExecSession> {
    if (req.container === 'zz') throw new PodIoError(400, `container zz is not valid for pod ${req.pod}`)
    return new FakeExecSession(req, 0)
  }

  async portForward (req: PortForwardRequest): Promise<Duplex> {
    if (req.port !== 8080) throw new PodIoError(503, `error forwarding port ${req.port} to pod ${req.pod}: connection refused`)
    const socket = connect({ host: '127.0.0.1', port: this.port })
    await new Promise((resolve) => socket.once('connect', resolve))
    return socket
  }
}

const notHere: PodIo = {
  async * logs () { throw new Error('not here') },
  async exec () { throw new Error('not here') },
  async execStream () { throw new Error('not here') },
  async portForward () { throw new Error('not here') }
}

async function agents (): Promise<PodIoRelay> {
  server = createServer((socket) => {
    socket.once('data', (c: Buffer) => { socket.end(`pod says: ${c.toString()}`) })
  })
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const key = generateClusterKey()
  const [ha, hb] = await Promise.all([0, 1].map(async () => await hosts.create({ clusterKey: key, log: () => {} })))
  if (ha === undefined || hb === undefined) throw new Error('no hosts')
  await ha.addAddresses(hb.peerId, hb.listenAddresses)
  const objects: KObject[] = [
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' }, spec: { nodeName: 'nb', containers: [{ name: 'app', image: 'x' }] } },
    { apiVersion: 'v1', kind: 'Node', metadata: { name: 'nb', annotations: { [PEER_ID_ANNOTATION]: hb.peerId } } }
  ]
  const reader = { get: (ref: { kind: string, name: string }) => objects.find((o) => o.kind === ref.kind && o.metadata.name === ref.name) } as unknown as ObjectReader
  const relays = await Promise.all([[ha, 'na', notHere], [hb, 'nb', new ScriptedNode(port)]].map(async ([host, name, local]) => {
    const h = host as typeof ha
    const rpc = new Rpc({ host: h }, { log: () => {} })
    const tunnels = new Tunnels({ host: h }, { log: () => {} })
    await rpc.start()
    await tunnels.start()
    const relay = new PodIoRelay(rpc, tunnels, reader, name as string, local as PodIo)
    relay.start()
    stops.push(async () => { relay.stop(); await tunnels.stop(); await rpc.stop() })
    return relay
  }))
  return relays[0] as PodIoRelay
}

describe('PodIoRelay across agents', () => {
  it('forwards a port of a pod on another node through a tunnel', async () => {
    const a = await agents()
    const conn = await a.portForward({ namespace: 'default', pod: 'web', port: 8080 }, AbortSignal.timeout(10_000))
    let got = ''
    conn.on('data', (c: Buffer) => { got += c.toString() })
    const ended = new Promise((resolve) => conn.once('end', resolve))
    conn.write('GET /')
    await ended
    expect(got).toBe('pod says: GET /')
    await expect(a.portForward({ namespace: 'default', pod: 'web', port: 81 }, AbortSignal.timeout(10_000)))
      .rejects.toMatchObject({ name: 'PodIoError', code: 503, message: 'error forwarding port 81 to pod web: connection refused' })
    await expect(a.portForward({ namespace: 'default', pod: 'nope', port: 8080 }, AbortSignal.timeout(10_000)))
      .rejects.toMatchObject({ code: 404, message: 'pods "nope" not found' })
  })

  it('runs an interactive exec on the pod\'s node: stdin, output and exit code cross', async () => {
    const a = await agents()
    const req: ExecStreamRequest = { namespace: 'default', pod: 'web', command: ['sh'], stdin: true, stdout: true, stderr: true, tty: false }
    const session = await a.execStream(req, AbortSignal.timeout(10_000))
    let out = ''
    session.stdout?.on('data', (c: Buffer) => { out += c.toString() })
    const outEnded = new Promise((resolve) => session.stdout?.once('end', resolve))
    session.stdin?.write('echo across; exit 9\n')
    expect(await session.exitCode).toBe(9)
    await outEnded
    expect(out).toBe('across\n')
    await expect(a.execStream({ ...req, container: 'zz' }, AbortSignal.timeout(10_000)))
      .rejects.toMatchObject({ name: 'PodIoError', code: 400, message: 'container zz is not valid for pod web' })
  })
})
