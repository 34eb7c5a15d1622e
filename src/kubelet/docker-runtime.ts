// DockerRuntime: the kubelet's runtime on a real node, through dockerode. A pod is a sandbox
// container (the tiny local pause image, see sandbox-image.ts) that holds the pod's network
// namespace and publishes every container port on the node IP, plus one container per spec
// container joining it (`NetworkMode: container:<sandbox>`), so they share localhost and IP.
// Every container runs with Init (docker-init as PID 1 passes SIGTERM on; busybox as PID 1
// would ignore it). Everything carries labels — Flotilla's mark, this node, the pod's uid,
// namespace and name, the container's name and attempt — and is listed and removed only by
// them: the Docker Engine may be shared with other agents and other users.

import { randomBytes } from 'node:crypto'
import { Readable, type Duplex } from 'node:stream'
import type Docker from 'dockerode'
import { DockerExecSession } from './docker-exec-session.ts'
import { demuxText } from './docker-streams.ts'
import { answered, docker, engineMessage, idempotent, statusOf } from './docker-errors.ts'
import { SANDBOX_IMAGE, sandboxImageContent } from './sandbox-image.ts'
import {
  CreateContainerError, ImagePullError,
  type AttachOptions, type ContainerConfig, type ContainerRuntime, type ExecResult, type ExecSession, type ExecStreamOptions, type LogOptions, type RuntimeContainer,
  type RuntimeInfo, type RuntimePod, type RuntimeSandbox, type SandboxConfig
} from './runtime.ts'

export const LABEL_MANAGED = 'io.flotilla.managed'
export const LABEL_NODE = 'io.flotilla.node'
/** Clusters may share one Docker Engine, and node names. */
export const LABEL_CLUSTER = 'io.flotilla.cluster'
export const LABEL_POD_UID = 'io.flotilla.pod-uid'
export const LABEL_POD_NAMESPACE = 'io.flotilla.pod-namespace'
export const LABEL_POD_NAME = 'io.flotilla.pod-name'
export const LABEL_CONTAINER = 'io.flotilla.container-name'
export const LABEL_ATTEMPT = 'io.flotilla.attempt'
/** `sandbox` or `container`. */
export const LABEL_TYPE = 'io.flotilla.type'

const DOCKER_TIME_ZERO = '0001-01-01T00:00:00Z'

/** `name` → `name:latest`, as the docker CLI pulls it (the API without a tag pulls every tag). */
export function withTag (image: string): string {
  if (image.includes('@')) return image
  return image.slice(image.lastIndexOf('/') + 1).includes(':') ? image : `${image}:latest`
}

export interface DockerRuntimeOptions {
  /** This agent's Node name (label io.flotilla.node). */
  nodeName: string
  /** The cluster's id (label io.flotilla.cluster): only containers of this cluster and node are touched. */
  clusterId: string
  /** How long a health check waits for the daemon to answer (listings wait 6 times as long). Default 5 s. */
  answerTimeoutMs?: number
}

export class DockerRuntime implements ContainerRuntime {
  readonly kind = 'docker'
  private sandboxImage: Promise<void> | undefined
  private readonly nodeName: string
  private readonly clusterId: string
  private readonly answerTimeoutMs: number

  constructor (private readonly docker: Docker, opts: DockerRuntimeOptions) {
    this.nodeName = opts.nodeName
    this.clusterId = opts.clusterId
    this.answerTimeoutMs = opts.answerTimeoutMs ?? 5000
  }

  async info (): Promise<RuntimeInfo> {
    // A daemon that accepts the connection but does not answer is down too.
    const v = await answered(this.docker.version(), this.answerTimeoutMs)
    return { version: `docker://${v.Version}` }
  }

  private async list (uid?: string): Promise<Docker.ContainerInfo[]> {
    const label = [`${LABEL_MANAGED}=true`, `${LABEL_CLUSTER}=${this.clusterId}`, `${LABEL_NODE}=${this.nodeName}`]
    if (uid !== undefined) label.push(`${LABEL_POD_UID}=${uid}`)
    return await answered(this.docker.listContainers({ all: true, filters: { label } }), this.answerTimeoutMs * 6)
  }

  async fingerprints (): Promise<Map<string, string>> {
    const out = new Map<string, string>()
    for (const c of (await this.list()).sort((a, b) => a.Id.localeCompare(b.Id))) {
      const uid = c.Labels[LABEL_POD_UID] ?? ''
      out.set(uid, `${out.get(uid) ?? ''}${c.Id.slice(0, 12)}:${c.State},`)
    }
    return out
  }

  async listPods (uid?: string): Promise<RuntimePod[]> {
    const pods = new Map<string, RuntimePod>()
    const sandboxes = new Map<string, Array<{ created: number, sandbox: RuntimeSandbox }>>()
    for (const c of await this.list(uid)) {
      const podUid = c.Labels[LABEL_POD_UID] ?? ''
      let pod = pods.get(podUid)
      if (pod === undefined) {
        pod = { uid: podUid, namespace: c.Labels[LABEL_POD_NAMESPACE] ?? '', name: c.Labels[LABEL_POD_NAME] ?? '', staleSandboxes: [], containers: [] }
        pods.set(podUid, pod)
      }
      if (c.Labels[LABEL_TYPE] === 'sandbox') {
        const running = c.State === 'running'
        const ip = running ? Object.values(c.NetworkSettings?.Networks ?? {})[0]?.IPAddress ?? '' : ''
        const list = sandboxes.get(podUid) ?? []
        list.push({ created: c.Created, sandbox: { id: c.Id, running, ip } })
        sandboxes.set(podUid, list)
      } else {
        const status = await this.containerStatus(c)
        if (status !== undefined) pod.containers.push(status)
      }
    }
    for (const [podUid, list] of sandboxes) {
      const pod = pods.get(podUid) as RuntimePod
      list.sort((a, b) => b.created - a.created || Number(b.sandbox.running) - Number(a.sandbox.running))
      pod.sandbox = list[0]?.sandbox
      pod.staleSandboxes = list.slice(1).map((s) => s.sandbox)
    }
    return [...pods.values()]
  }

  private async containerStatus (c: Docker.ContainerInfo): Promise<RuntimeContainer | undefined> {
    let inspect: Docker.ContainerInspectInfo
    try {
      inspect = await docker(async () => await this.docker.getContainer(c.Id).inspect())
    } catch (err) {
      if (statusOf(err) === 404) return undefined // removed since the list
      throw err
    }
    const s = inspect.State
    const state = s.Running ? 'running' : s.Status === 'created' ? 'created' : 'exited'
    const out: RuntimeContainer = {
      id: c.Id,
      name: c.Labels[LABEL_CONTAINER] ?? '',
      attempt: Number(c.Labels[LABEL_ATTEMPT] ?? 0),
      state,
      image: inspect.Config.Image,
      imageID: `docker://${inspect.Image}`
    }
    if (s.StartedAt !== DOCKER_TIME_ZERO && s.StartedAt !== '') out.startedAt = s.StartedAt
    if (state === 'exited') {
      out.exitCode = s.ExitCode
      out.reason = s.OOMKilled ? 'OOMKilled' : s.ExitCode === 0 ? 'Completed' : 'Error'
      if (s.FinishedAt !== DOCKER_TIME_ZERO) out.finishedAt = s.FinishedAt
    }
    return out
  }

  async ensureImage (image: string, policy: 'Always' | 'IfNotPresent' | 'Never'): Promise<string> {
    const present = await this.imageId(image)
    if (present !== undefined && policy !== 'Always') return present
    if (policy === 'Never') throw new ImagePullError(`Container image "${image}" is not present with pull policy of Never`, 'ErrImageNeverPull')
    try {
      const stream = await docker(async () => await this.docker.pull(withTag(image)))
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(stream, (err: Error | null) => { if (err === null) resolve(); else reject(err) })
      })
    } catch (err) {
      if (err instanceof Error && err.name === 'RuntimeUnavailableError') throw err
      throw new ImagePullError(`Failed to pull image "${image}": ${engineMessage(err)}`)
    }
    const id = await this.imageId(image)
    if (id === undefined) throw new ImagePullError(`Failed to pull image "${image}": the engine reported success but does not have it`)
    return id
  }

  private async imageId (image: string): Promise<string | undefined> {
    try {
      return (await docker(async () => await this.docker.getImage(image).inspect())).Id
    } catch (err) {
      if (statusOf(err) === 404) return undefined
      throw err
    }
  }

  /** Import the sandbox image from bytes this agent makes, once, if the engine lacks it. */
  private async ensureSandboxImage (): Promise<void> {
    this.sandboxImage ??= (async () => {
      if (await this.imageId(SANDBOX_IMAGE) !== undefined) return
      const { tar } = sandboxImageContent()
      const [repo, tag] = SANDBOX_IMAGE.split(':') as [string, string]
      const stream = await docker(async () => await this.docker.importImage(Readable.from([tar]), { repo, tag }))
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(stream, (err: Error | null) => { if (err === null) resolve(); else reject(err) })
      })
    })().catch((err: unknown) => {
      this.sandboxImage = undefined
      throw err
    })
    await this.sandboxImage
  }

  private labels (pod: { uid: string, namespace: string, name: string }, type: 'sandbox' | 'container', extra: Record<string, string> = {}): Record<string, string> {
    return {
      [LABEL_MANAGED]: 'true',
      [LABEL_CLUSTER]: this.clusterId,
      [LABEL_NODE]: this.nodeName,
      [LABEL_POD_UID]: pod.uid,
      [LABEL_POD_NAMESPACE]: pod.namespace,
      [LABEL_POD_NAME]: pod.name,
      [LABEL_TYPE]: type,
      ...extra
    }
  }

  /** Docker names are unique per engine: readable parts plus a random suffix. */
  private containerName (parts: string[]): string {
    return ['flotilla', this.nodeName, ...parts, randomBytes(3).toString('hex')].join('_').replace(/[^a-zA-Z0-9_.-]/g, '-')
  }

  async runSandbox (config: SandboxConfig): Promise<RuntimeSandbox> {
    await this.ensureSandboxImage()
    const exposed: Record<string, object> = {}
    const bindings: Record<string, Array<{ HostIp: string, HostPort: string }>> = {}
    for (const p of config.ports) {
      const key = `${p.containerPort}/${p.protocol.toLowerCase()}`
      exposed[key] = {}
      ;(bindings[key] ??= []).push({ HostIp: p.hostIP, HostPort: p.hostPort === 0 ? '' : String(p.hostPort) })
    }
    const { pod } = config
    const dns = config.dns === undefined ? {} : {
      ...(config.dns.servers.length > 0 ? { Dns: config.dns.servers } : {}),
      ...(config.dns.searches.length > 0 ? { DnsSearch: config.dns.searches } : {}),
      ...(config.dns.options.length > 0 ? { DnsOptions: config.dns.options } : {})
    }
    const container = await docker(async () => await this.docker.createContainer({
      name: this.containerName(['POD', pod.namespace, pod.name]),
      Image: SANDBOX_IMAGE,
      Cmd: sandboxImageContent().cmd,
      Labels: this.labels(pod, 'sandbox'),
      // On the host's network the ports are the node's own: nothing to publish, no own hostname.
      ...(config.hostNetwork
        ? { HostConfig: { Init: true, NetworkMode: 'host', IpcMode: 'shareable', ...dns } }
        : { Hostname: config.hostname, ExposedPorts: exposed, HostConfig: { Init: true, PortBindings: bindings, NetworkMode: 'bridge', IpcMode: 'shareable', ...dns } })
    }))
    try {
      await docker(async () => { await container.start() })
    } catch (err) {
      await idempotent(async () => { await container.remove({ force: true }) })
      throw new CreateContainerError(`Cannot start the pod sandbox: ${engineMessage(err)}`)
    }
    const inspect = await docker(async () => await container.inspect())
    const ip = Object.values(inspect.NetworkSettings.Networks ?? {})[0]?.IPAddress ?? ''
    return { id: container.id, running: true, ip }
  }

  async runContainer (sandbox: RuntimeSandbox, config: ContainerConfig): Promise<string> {
    const { pod } = config
    let container: Docker.Container
    try {
      container = await docker(async () => await this.docker.createContainer({
        name: this.containerName([config.name, pod.namespace, pod.name, String(config.attempt)]),
        Image: config.image,
        ...(config.command !== undefined ? { Entrypoint: config.command } : {}),
        ...(config.args !== undefined ? { Cmd: config.args } : {}),
        Env: config.env.map((e) => `${e.name}=${e.value}`),
        ...(config.workingDir !== undefined ? { WorkingDir: config.workingDir } : {}),
        Labels: this.labels(pod, 'container', { [LABEL_CONTAINER]: config.name, [LABEL_ATTEMPT]: String(config.attempt) }),
        HostConfig: {
          Init: true,
          NetworkMode: `container:${sandbox.id}`,
          IpcMode: `container:${sandbox.id}`,
          Binds: config.mounts.map((m) => `${m.hostPath}:${m.containerPath}${m.readOnly ? ':ro' : ''}`),
          ...(config.cpuLimit !== undefined ? { NanoCpus: Math.round(config.cpuLimit * 1e9) } : {}),
          ...(config.memoryLimit !== undefined ? { Memory: config.memoryLimit } : {})
        }
      }))
    } catch (err) {
      if (err instanceof Error && err.name === 'RuntimeUnavailableError') throw err
      throw new CreateContainerError(engineMessage(err))
    }
    try {
      await docker(async () => { await container.start() })
    } catch (err) {
      // Failed to start (a command that does not exist, a bad mount): remove it; the sync shows why.
      await idempotent(async () => { await container.remove({ force: true }) })
      if (err instanceof Error && err.name === 'RuntimeUnavailableError') throw err
      throw new CreateContainerError(engineMessage(err))
    }
    return container.id
  }

  async stopContainer (id: string, graceSeconds: number): Promise<void> {
    await idempotent(async () => { await this.docker.getContainer(id).stop({ t: Math.max(0, Math.round(graceSeconds)) }) })
  }

  async removeContainer (id: string): Promise<void> {
    await idempotent(async () => { await this.docker.getContainer(id).remove({ force: true, v: true }) })
  }

  async exec (id: string, command: string[], timeoutMs: number): Promise<ExecResult> {
    const exec = await docker(async () => await this.docker.getContainer(id).exec({ Cmd: command, AttachStdout: true, AttachStderr: true }))
    const stream = await docker(async () => await exec.start({ hijack: true, stdin: false }))
    let output = ''
    const signal = AbortSignal.timeout(timeoutMs)
    for await (const text of demuxText(stream as unknown as Readable, signal)) {
      if (output.length < 10_000) output += text
    }
    if (signal.aborted) return { exitCode: -1, output: `timed out after ${timeoutMs} ms` }
    const info = await docker(async () => await exec.inspect())
    return { exitCode: info.ExitCode ?? -1, output }
  }

  async execStream (id: string, opts: ExecStreamOptions): Promise<ExecSession> {
    const exec = await docker(async () => await this.docker.getContainer(id).exec({
      Cmd: opts.command,
      AttachStdin: opts.stdin,
      AttachStdout: opts.stdout,
      AttachStderr: opts.stderr && !opts.tty,
      Tty: opts.tty
    }))
    const socket = await docker(async () => await exec.start({ hijack: true, stdin: opts.stdin, Tty: opts.tty }))
    return new DockerExecSession({
      resize: async (size) => await exec.resize(size),
      exited: async () => {
        const info = await exec.inspect()
        return info.Running !== true && typeof info.ExitCode === 'number' ? info.ExitCode : undefined
      }
    }, socket, opts)
  }

  async attach (id: string, opts: AttachOptions): Promise<ExecSession> {
    const container = this.docker.getContainer(id)
    const tty = (await docker(async () => await container.inspect())).Config.Tty
    const socket = await docker(async () => await container.attach({ stream: true, hijack: true, stdin: opts.stdin, stdout: opts.stdout, stderr: opts.stderr }))
    return new DockerExecSession({
      resize: async (size) => await container.resize(size),
      exited: async () => {
        const s = (await container.inspect()).State
        // Still running: the client detached; the container goes on.
        return s.Running ? 0 : s.ExitCode
      }
    }, socket as unknown as Duplex, { ...opts, tty })
  }

  async * logs (id: string, opts: LogOptions): AsyncIterable<string> {
    const container = this.docker.getContainer(id)
    const base = { stdout: true, stderr: true, ...(opts.tailLines !== undefined ? { tail: opts.tailLines } : {}) }
    if (opts.follow === true) {
      const stream = await docker(async () => await container.logs({ ...base, follow: true }))
      yield * demuxText(stream as unknown as Readable, opts.signal)
      return
    }
    const buf = await docker(async () => await container.logs({ ...base, follow: false }))
    yield * demuxText(Readable.from([buf as unknown as Buffer]), opts.signal)
  }
}
