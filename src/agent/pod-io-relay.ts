// Logs, exec and port-forward through any agent: the agent that gets the API request finds
// the pod's node in its replica and, if the pod runs elsewhere, relays the request to that
// node's agent — over the cluster rpc for logs (a streaming call, so `follow` streams across
// agents) and `flotilla exec`, through a tunnel (net/tunnel.ts) for an interactive exec
// (channel messages both ways) and a port-forward (the connection's bytes). Failures the
// kubelet reports (PodIoError with an HTTP code) reach the caller as they are.

import type { Duplex } from 'node:stream'
import { RpcError, type Rpc, type Tunnels } from '../../net/index.ts'
import { encodeExit } from '../api/exec-channels.ts'
import { ExecSessionStream } from '../api/exec-session-stream.ts'
import { Kubelet } from '../kubelet/kubelet.ts'
import {
  PodIoError, podOf,
  type AttachRequest, type ExecRequest, type ExecResponse, type ExecSession, type ExecStreamRequest, type LogRequest, type PodIo, type PortForwardRequest
} from '../kubelet/pod-io.ts'
import type { ObjectReader } from '../store/types.ts'
import { peerIdOfNode } from './node-object.ts'
import { RemoteExecSession } from './exec-relay.ts'
import type { Role } from './roles.ts'

export const POD_LOGS_METHOD = 'kubelet.logs'
export const POD_EXEC_METHOD = 'kubelet.exec'
export const EXEC_TUNNEL = 'kubelet.exec-stream'
export const PORT_FORWARD_TUNNEL = 'kubelet.port-forward'
export const ATTACH_TUNNEL = 'kubelet.attach'

/** How long opening a tunnel to the pod's node may take. */
const TUNNEL_OPEN_TIMEOUT_MS = 30_000

function isString (v: unknown): v is string { return typeof v === 'string' }

/** A tunnel header from another agent, checked: it is input like any other. */
function execStreamHeader (h: unknown): ExecStreamRequest {
  const r = (h ?? {}) as Record<string, unknown>
  if (!isString(r.namespace) || !isString(r.pod) || !Array.isArray(r.command) || !r.command.every(isString) || (r.container !== undefined && !isString(r.container))) {
    throw new PodIoError(400, 'malformed exec request from another agent')
  }
  return {
    namespace: r.namespace, pod: r.pod, command: r.command, ...(r.container !== undefined ? { container: r.container } : {}),
    stdin: r.stdin === true, stdout: r.stdout === true, stderr: r.stderr === true, tty: r.tty === true
  }
}

function attachHeader (h: unknown): AttachRequest {
  const r = (h ?? {}) as Record<string, unknown>
  if (!isString(r.namespace) || !isString(r.pod) || (r.container !== undefined && !isString(r.container))) throw new PodIoError(400, 'malformed attach request from another agent')
  return { namespace: r.namespace, pod: r.pod, ...(r.container !== undefined ? { container: r.container } : {}), stdin: r.stdin === true, stdout: r.stdout === true, stderr: r.stderr === true }
}

function portForwardHeader (h: unknown): PortForwardRequest {
  const r = (h ?? {}) as Record<string, unknown>
  if (!isString(r.namespace) || !isString(r.pod) || typeof r.port !== 'number') throw new PodIoError(400, 'malformed port-forward request from another agent')
  return { namespace: r.namespace, pod: r.pod, port: r.port }
}

/** A PodIoError again from the rpc error that carried it; other errors as they are. */
function unwrap (err: unknown): unknown {
  if (err instanceof RpcError && err.remoteName === 'PodIoError') {
    const code = err.data?.code
    return new PodIoError(code === 400 || code === 404 ? code : 503, err.remoteMessage)
  }
  if (err instanceof Error && err.name !== 'PodIoError' && err.name !== 'AbortError') {
    return new PodIoError(503, `cannot reach the pod's node: ${err.message}`)
  }
  return err
}

export class PodIoRelay implements PodIo {
  constructor (
    private readonly rpc: Rpc,
    private readonly tunnels: Tunnels,
    private readonly reader: ObjectReader,
    private readonly nodeName: string,
    private readonly local: PodIo
  ) {}

  start (): void {
    this.rpc.handleStream(POD_LOGS_METHOD, (req, _from, signal) => this.local.logs(req as LogRequest, signal))
    this.rpc.handle(POD_EXEC_METHOD, async (req, _from, signal) => await this.local.exec(req as ExecRequest, signal))
    this.tunnels.handle(EXEC_TUNNEL, async (header, _from, signal) => {
      const session = await this.local.execStream(execStreamHeader(header), signal)
      return new ExecSessionStream(session, encodeExit)
    })
    this.tunnels.handle(PORT_FORWARD_TUNNEL, async (header, _from, signal) => await this.local.portForward(portForwardHeader(header), signal))
    this.tunnels.handle(ATTACH_TUNNEL, async (header, _from, signal) => {
      if (this.local.attach === undefined) throw new PodIoError(400, 'this node does not serve attach')
      return new ExecSessionStream(await this.local.attach(attachHeader(header), signal), encodeExit)
    })
  }

  stop (): void {
    this.rpc.unhandle(POD_LOGS_METHOD)
    this.rpc.unhandle(POD_EXEC_METHOD)
    this.tunnels.unhandle(EXEC_TUNNEL)
    this.tunnels.unhandle(PORT_FORWARD_TUNNEL)
    this.tunnels.unhandle(ATTACH_TUNNEL)
  }

  /** The PodId of the agent running the pod, or undefined when it is this one. */
  private peerFor (namespace: string, name: string): string | undefined {
    const pod = podOf(this.reader, namespace, name)
    const node = pod.spec.nodeName ?? ''
    if (node === '') throw new PodIoError(400, `pod ${name} does not have a host assigned`)
    if (node === this.nodeName) return undefined
    const nodeObj = this.reader.get({ group: '', kind: 'Node', namespace: '', name: node })
    const peer = nodeObj === undefined ? undefined : peerIdOfNode(nodeObj)
    if (peer === undefined) throw new PodIoError(503, `node ${node} of pod ${name} is not known to this agent`)
    return peer
  }

  async * logs (req: LogRequest, signal: AbortSignal): AsyncIterable<string> {
    const peer = this.peerFor(req.namespace, req.pod)
    if (peer === undefined) {
      yield * this.local.logs(req, signal)
      return
    }
    try {
      for await (const chunk of this.rpc.callStream(peer, POD_LOGS_METHOD, req, { signal })) yield String(chunk)
    } catch (err) {
      throw unwrap(err)
    }
  }

  async exec (req: ExecRequest, signal: AbortSignal): Promise<ExecResponse> {
    const peer = this.peerFor(req.namespace, req.pod)
    if (peer === undefined) return await this.local.exec(req, signal)
    try {
      return await this.rpc.call(peer, POD_EXEC_METHOD, req, { signal: AbortSignal.any([signal, AbortSignal.timeout((req.timeoutMs ?? 60_000) + 5000)]) }) as ExecResponse
    } catch (err) {
      throw unwrap(err)
    }
  }

  async execStream (req: ExecStreamRequest, signal: AbortSignal): Promise<ExecSession> {
    const peer = this.peerFor(req.namespace, req.pod)
    if (peer === undefined) return await this.local.execStream(req, signal)
    const session = new RemoteExecSession(await this.tunnelTo(peer, EXEC_TUNNEL, req, signal), req)
    closeOnAbort(signal, () => { session.close() }, session.exitCode)
    return session
  }

  async attach (req: AttachRequest, signal: AbortSignal): Promise<ExecSession> {
    const peer = this.peerFor(req.namespace, req.pod)
    if (peer === undefined) {
      if (this.local.attach === undefined) throw new PodIoError(400, 'this node does not serve attach')
      return await this.local.attach(req, signal)
    }
    const session = new RemoteExecSession(await this.tunnelTo(peer, ATTACH_TUNNEL, req, signal), req)
    closeOnAbort(signal, () => { session.close() }, session.exitCode)
    return session
  }

  async portForward (req: PortForwardRequest, signal: AbortSignal): Promise<Duplex> {
    const peer = this.peerFor(req.namespace, req.pod)
    if (peer === undefined) return await this.local.portForward(req, signal)
    const tunnel = await this.tunnelTo(peer, PORT_FORWARD_TUNNEL, req, signal)
    closeOnAbort(signal, () => { tunnel.destroy() }, new Promise<void>((resolve) => { tunnel.once('close', () => { resolve() }) }))
    return tunnel
  }

  private async tunnelTo (peer: string, name: string, header: unknown, signal: AbortSignal): Promise<Duplex> {
    try {
      return await this.tunnels.connect(peer, name, header, { signal: AbortSignal.any([signal, AbortSignal.timeout(TUNNEL_OPEN_TIMEOUT_MS)]) })
    } catch (err) {
      throw unwrap(err)
    }
  }
}

/** Runs `close` if `signal` fires before `done` settles. */
function closeOnAbort (signal: AbortSignal, close: () => void, done: Promise<unknown>): void {
  if (signal.aborted) {
    close()
    return
  }
  signal.addEventListener('abort', close, { once: true })
  void done.finally(() => { signal.removeEventListener('abort', close) })
}

/** Serves nothing itself: for an agent without a kubelet role. */
const noKubelet: PodIo = {
  async * logs () { throw new PodIoError(503, 'this agent runs no kubelet') },
  async exec () { throw new PodIoError(503, 'this agent runs no kubelet') },
  async execStream () { throw new PodIoError(503, 'this agent runs no kubelet') },
  async portForward () { throw new PodIoError(503, 'this agent runs no kubelet') }
}

/** The relay of this agent, serving the pods of its kubelet role (among `roles`), started. Its handlers go when the rpc and the tunnels stop. */
export function podIoRelay (rpc: Rpc, tunnels: Tunnels, reader: ObjectReader, nodeName: string, roles: readonly Role[]): PodIoRelay {
  const kubelet = roles.find((r): r is Kubelet => r instanceof Kubelet)
  const relay = new PodIoRelay(rpc, tunnels, reader, nodeName, kubelet?.io ?? noKubelet)
  relay.start()
  return relay
}
