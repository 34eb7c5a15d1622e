// Logs and exec through any agent: the agent that gets the API request finds the pod's node
// in its replica and, if the pod runs elsewhere, relays the request to that node's agent over
// the cluster rpc (a streaming call for logs, so `follow` streams across agents). Failures
// the kubelet reports (PodIoError with an HTTP code) cross the rpc as they are.

import type { Duplex } from 'node:stream'
import { RpcError, type Rpc } from '../../net/index.ts'
import { Kubelet } from '../kubelet/kubelet.ts'
import { PodIoError, podOf, type ExecRequest, type ExecResponse, type LogRequest, type PodIo, type PortForwardRequest } from '../kubelet/pod-io.ts'
import type { ObjectReader } from '../store/types.ts'
import { peerIdOfNode } from './node-object.ts'
import type { Role } from './roles.ts'

export const POD_LOGS_METHOD = 'kubelet.logs'
export const POD_EXEC_METHOD = 'kubelet.exec'

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
    private readonly reader: ObjectReader,
    private readonly nodeName: string,
    private readonly local: PodIo
  ) {}

  start (): void {
    this.rpc.handleStream(POD_LOGS_METHOD, (req, _from, signal) => this.local.logs(req as LogRequest, signal))
    this.rpc.handle(POD_EXEC_METHOD, async (req, _from, signal) => await this.local.exec(req as ExecRequest, signal))
  }

  stop (): void {
    this.rpc.unhandle(POD_LOGS_METHOD)
    this.rpc.unhandle(POD_EXEC_METHOD)
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

  async portForward (req: PortForwardRequest, signal: AbortSignal): Promise<Duplex> {
    const peer = this.peerFor(req.namespace, req.pod)
    if (peer === undefined) return await this.local.portForward(req, signal)
    throw new PodIoError(503, 'port-forward to a pod on another node is not served yet')
  }
}

/** Serves nothing itself: for an agent without a kubelet role. */
const noKubelet: PodIo = {
  async * logs () { throw new PodIoError(503, 'this agent runs no kubelet') },
  async exec () { throw new PodIoError(503, 'this agent runs no kubelet') },
  async portForward () { throw new PodIoError(503, 'this agent runs no kubelet') }
}

/** The relay of this agent, serving the pods of its kubelet role (among `roles`), started. Its rpc handlers go when the rpc stops. */
export function podIoRelay (rpc: Rpc, reader: ObjectReader, nodeName: string, roles: readonly Role[]): PodIoRelay {
  const kubelet = roles.find((r): r is Kubelet => r instanceof Kubelet)
  const relay = new PodIoRelay(rpc, reader, nodeName, kubelet?.io ?? noKubelet)
  relay.start()
  return relay
}
