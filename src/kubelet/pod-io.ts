// Logs, exec and port-forward of the pods bound to this node, as `kubectl logs`, `exec` and
// `port-forward` know them: the container is named, or the pod's only one; logs come from
// the newest run (or the one before with `previous`); follow streams until the container
// ends or the caller goes; an interactive exec streams both ways while the process runs; a
// port-forward is a TCP connection to the pod's IP (reachable from the node). Errors carry
// the HTTP code the API answers with and the message the API server gives. The API (any
// agent) reaches this through PodIo; the agent relays to the pod's node over libp2p
// (src/agent/pod-io-relay.ts).

export {
  PodIoError,
  type AttachRequest, type ExecRequest, type ExecResponse, type ExecSession, type ExecStreamRequest, type LogRequest, type PodIo, type PortForwardRequest
} from '../api/pod-io.ts'

import { connect } from 'node:net'
import type { Duplex } from 'node:stream'
import {
  PodIoError,
  type AttachRequest, type ExecRequest, type ExecResponse, type ExecSession, type ExecStreamRequest, type LogRequest, type PodIo, type PortForwardRequest
} from '../api/pod-io.ts'
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

  async execStream (req: ExecStreamRequest, signal: AbortSignal): Promise<ExecSession> {
    if (req.command.length === 0) throw new PodIoError(400, 'you must specify at least one command for the container')
    if (!req.stdin && !req.stdout && !req.stderr) throw new PodIoError(400, 'you must specify at least one of stdin, stdout, stderr')
    const run = await this.container(req.namespace, req.pod, req.container, false)
    if (run.state !== 'running') throw new PodIoError(400, `cannot exec in a container that is not running: ${req.pod}/${run.name}`)
    return await bound(`cannot exec in ${req.pod}/${run.name}`, signal, async () =>
      await this.runtime.execStream(run.id, { command: req.command, stdin: req.stdin, stdout: req.stdout, stderr: req.stderr, tty: req.tty }))
  }

  async attach (req: AttachRequest, signal: AbortSignal): Promise<ExecSession> {
    if (!req.stdout && !req.stderr && !req.stdin) throw new PodIoError(400, 'you must specify at least one of stdin, stdout, stderr')
    const run = await this.container(req.namespace, req.pod, req.container, false)
    if (run.state !== 'running') throw new PodIoError(400, `cannot attach to a container that is not running: ${req.pod}/${run.name}`)
    // Containers are started without an open stdin (spec.containers[].stdin is not run yet).
    if (req.stdin) throw new PodIoError(400, `cannot attach to the stdin of ${req.pod}/${run.name}: this node starts containers without an open stdin (attach without -i to follow its output)`)
    return await bound(`cannot attach to ${req.pod}/${run.name}`, signal, async () =>
      await this.runtime.attach(run.id, { stdin: false, stdout: req.stdout, stderr: req.stderr }))
  }

  async portForward (req: PortForwardRequest, signal: AbortSignal): Promise<Duplex> {
    if (!Number.isInteger(req.port) || req.port < 1 || req.port > 65535) throw new PodIoError(400, `invalid port ${String(req.port)}: a port is a number from 1 to 65535`)
    const pod = podOf(this.reader, req.namespace, req.pod)
    const phase = pod.status?.phase ?? 'Pending'
    if (phase !== 'Running') throw new PodIoError(400, `unable to forward port because pod is not running. Current status=${phase}`)
    const [held] = await this.runtime.listPods(pod.metadata.uid ?? '')
    const sandboxIp = held?.sandbox?.running === true ? held.sandbox.ip : ''
    const ip = sandboxIp !== '' ? sandboxIp : pod.status?.podIP ?? ''
    if (ip === '') throw new PodIoError(400, `unable to forward port: pod ${req.pod} has no IP yet`)
    signal.throwIfAborted()
    return await new Promise<Duplex>((resolve, reject) => {
      const socket = connect({ host: ip, port: req.port })
      const onAbort = (): void => { socket.destroy(signal.reason instanceof Error ? signal.reason : new Error('port-forward aborted')) }
      signal.addEventListener('abort', onAbort, { once: true })
      socket.once('close', () => { signal.removeEventListener('abort', onAbort) })
      socket.once('connect', () => {
        socket.off('error', onError)
        resolve(socket)
      })
      const onError = (err: Error): void => {
        reject(signal.aborted ? err : new PodIoError(503, `error forwarding port ${req.port} to pod ${req.pod}: dial tcp ${ip}:${req.port}: ${err.message}`))
      }
      socket.once('error', onError)
    })
  }
}

/** A runtime session that `signal` closes; a runtime failure is a 503 that says what was tried. */
async function bound (what: string, signal: AbortSignal, start: () => Promise<ExecSession>): Promise<ExecSession> {
  signal.throwIfAborted()
  let session: ExecSession
  try {
    session = await start()
  } catch (err) {
    throw new PodIoError(503, `${what}: ${(err as Error).message}`)
  }
  const onAbort = (): void => { session.close() }
  signal.addEventListener('abort', onAbort, { once: true })
  void session.exitCode.finally(() => { signal.removeEventListener('abort', onAbort) })
  return session
}
