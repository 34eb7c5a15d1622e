// Logs and exec of the containers of pods bound to this node, as `kubectl logs` and
// `kubectl exec` know them: the container is named, or the pod's only one; logs come from
// the newest run (or the one before with `previous`); follow streams until the container
// ends or the caller goes. Errors carry the HTTP code the API answers with and the message
// the API server gives. The API (any agent) reaches this through PodIo; the agent relays to
// the pod's node over libp2p (src/agent/pod-io-relay.ts).

export { PodIoError, type ExecRequest, type ExecResponse, type LogRequest, type PodIo, type PortForwardRequest } from '../api/pod-io.ts'

import { connect } from 'node:net'
import type { Duplex } from 'node:stream'
import { PodIoError, type ExecRequest, type ExecResponse, type LogRequest, type PodIo, type PortForwardRequest } from '../api/pod-io.ts'
import type { Pod } from '../objects/pod.ts'
import type { ObjectReader } from '../store/types.ts'
import type { ContainerRuntime, RuntimeContainer } from './runtime.ts'

/** The container of the pod a request means: named, or the only one. */
export function containerName (pod: Pod, requested: string | undefined): string {
  const names = pod.spec.containers.map((c) => c.name)
  if (requested !== undefined && requested !== '') {
    if (!names.includes(requested)) throw new PodIoError(400, `container ${requested} is not valid for pod ${pod.metadata.name}`)
    return requested
  }
  if (names.length === 1) return names[0] as string
  throw new PodIoError(400, `a container name must be specified for pod ${pod.metadata.name}, choose one of: [${names.join(' ')}]`)
}

export function podOf (reader: ObjectReader, namespace: string, name: string): Pod {
  const pod = reader.get({ group: '', kind: 'Pod', namespace, name }) as Pod | undefined
  if (pod === undefined) throw new PodIoError(404, `pods "${name}" not found`)
  return pod
}

/** Serves logs and exec for pods bound to this node from its runtime. */
export class LocalPodIo implements PodIo {
  constructor (private readonly reader: ObjectReader, private readonly runtime: ContainerRuntime) {}

  private async container (namespace: string, name: string, requested: string | undefined, previous: boolean): Promise<RuntimeContainer> {
    const pod = podOf(this.reader, namespace, name)
    const cname = containerName(pod, requested)
    const [held] = await this.runtime.listPods(pod.metadata.uid ?? '')
    const runs = (held?.containers ?? []).filter((c) => c.name === cname).sort((a, b) => b.attempt - a.attempt)
    // As the status's lastState: the run before a running one, else the one that ended last.
    const run = previous && runs[0]?.state === 'running' ? runs[1] : runs[0]
    if (run === undefined) {
      throw new PodIoError(400, previous
        ? `previous terminated container "${cname}" in pod "${name}" not found`
        : `container "${cname}" in pod "${name}" is waiting to start: ${pod.status?.containerStatuses?.find((s) => s.name === cname)?.state?.waiting?.reason ?? 'ContainerCreating'}`)
    }
    return run
  }

  async * logs (req: LogRequest, signal: AbortSignal): AsyncIterable<string> {
    const run = await this.container(req.namespace, req.pod, req.container, req.previous === true)
    yield * this.runtime.logs(run.id, { follow: req.follow === true && run.state === 'running', ...(req.tailLines !== undefined ? { tailLines: req.tailLines } : {}), signal })
  }

  async exec (req: ExecRequest, signal: AbortSignal): Promise<ExecResponse> {
    const run = await this.container(req.namespace, req.pod, req.container, false)
    if (run.state !== 'running') throw new PodIoError(400, `cannot exec in a container that is not running: ${req.pod}/${run.name}`)
    if (req.command.length === 0) throw new PodIoError(400, 'you must specify at least one command for the container')
    signal.throwIfAborted()
    return await this.runtime.exec(run.id, req.command, req.timeoutMs ?? 60_000)
  }

  /** A TCP connection to the pod's IP and `req.port` (10 s to connect). */
  async portForward (req: PortForwardRequest, signal: AbortSignal): Promise<Duplex> {
    const pod = podOf(this.reader, req.namespace, req.pod)
    const ip = pod.status?.podIP ?? ''
    if (pod.status?.phase !== 'Running' || ip === '') {
      throw new PodIoError(400, `unable to forward port because pod ${req.pod} is not running (phase ${pod.status?.phase ?? 'Pending'}${ip === '' ? ', no pod IP yet' : ''})`)
    }
    signal.throwIfAborted()
    const socket = connect({ host: ip, port: req.port })
    return await new Promise<Duplex>((resolve, reject) => {
      const fail = (why: string): void => {
        done()
        socket.destroy()
        reject(new PodIoError(503, `cannot connect to port ${req.port} of pod ${req.pod} at ${ip}: ${why}`))
      }
      const onError = (err: Error): void => { fail(err.message) }
      const onAbort = (): void => { fail('cancelled') }
      const timer = setTimeout(() => { fail('timed out after 10 s') }, 10_000)
      const done = (): void => {
        clearTimeout(timer)
        socket.off('error', onError)
        signal.removeEventListener('abort', onAbort)
      }
      socket.once('error', onError)
      signal.addEventListener('abort', onAbort)
      socket.once('connect', () => {
        done()
        resolve(socket)
      })
    })
  }
}
