// The kubelet's view of a container runtime, shaped after the CRI: a pod is one sandbox
// (holding the pod's network namespace and IP) plus the app containers that join it.
// Everything a runtime creates is labelled with the pod it belongs to, so listPods() after a
// restart of the agent finds (adopts) what is still running. Implementations: DockerRuntime
// (docker-runtime.ts, the default) and FakeRuntime (fake-runtime.ts, no containers; for
// simulated nodes and unit tests).

import type { ExecSession } from '../api/pod-io.ts'
import type { PodDns } from './pod-dns.ts'

export type { ExecSession, TerminalSize } from '../api/pod-io.ts'

/** Which pod a sandbox or container belongs to (from its labels). */
export interface PodIdentity {
  uid: string
  namespace: string
  name: string
}

export type RuntimeContainerState = 'created' | 'running' | 'exited'

/** One app container as the runtime reports it. */
export interface RuntimeContainer {
  /** Runtime id (for Docker: the full container id). */
  id: string
  /** The pod spec's container name. */
  name: string
  /** 0 for the first run of this container in this pod, +1 per restart. */
  attempt: number
  state: RuntimeContainerState
  image: string
  imageID: string
  /** RFC 3339; absent if it never started. */
  startedAt?: string
  finishedAt?: string
  exitCode?: number
  /** Why it ended, as Kubernetes words it: Completed, Error, OOMKilled. */
  reason?: string
}

export interface RuntimeSandbox {
  id: string
  running: boolean
  /** The pod's IP; '' when it has none (stopped). */
  ip: string
}

/** What the runtime holds for one pod. */
export interface RuntimePod extends PodIdentity {
  /** The newest sandbox, if any; older ones are in `staleSandboxes`. */
  sandbox?: RuntimeSandbox
  staleSandboxes: RuntimeSandbox[]
  containers: RuntimeContainer[]
}

export interface PortMapping {
  containerPort: number
  protocol: 'TCP' | 'UDP' | 'SCTP'
  /** 0: any free port. */
  hostPort: number
  hostIP: string
}

export interface SandboxConfig {
  pod: PodIdentity
  hostname: string
  /** Every container's ports: they are published on the sandbox, whose network the containers share. */
  ports: PortMapping[]
  /** Use the node's network namespace (spec.hostNetwork): no own IP, ports are the node's. */
  hostNetwork: boolean
  /** The pod's resolver (pod-dns.ts); the node's when undefined. */
  dns?: PodDns
}

export interface Mount {
  hostPath: string
  containerPath: string
  readOnly: boolean
}

export interface ContainerConfig {
  pod: PodIdentity
  name: string
  attempt: number
  image: string
  /** Replaces the image's entrypoint when set (Kubernetes `command`). */
  command?: string[]
  /** Replaces the image's cmd when set (Kubernetes `args`). */
  args?: string[]
  env: Array<{ name: string, value: string }>
  workingDir?: string
  mounts: Mount[]
  /** CPU limit in cores (fractions allowed); undefined: none. */
  cpuLimit?: number
  /** Memory limit in bytes; undefined: none. */
  memoryLimit?: number
}

export interface ExecResult {
  exitCode: number
  /** stdout and stderr together, as far as it was read. */
  output: string
}

/** A process to start in a container with live streams (see ExecSession). */
export interface ExecStreamOptions {
  command: string[]
  stdin: boolean
  stdout: boolean
  /** Ignored with a TTY (the terminal merges it into stdout). */
  stderr: boolean
  tty: boolean
}

/** Streams of a running container's main process to attach to (its stdin only if it was started with one open). */
export type AttachOptions = Omit<ExecStreamOptions, 'command' | 'tty'>

export interface RuntimeInfo {
  /** As Kubernetes shows it in nodeInfo.containerRuntimeVersion: `docker://20.10.24`. */
  version: string
}

/** The runtime cannot be reached (daemon down, socket missing). */
export class RuntimeUnavailableError extends Error {
  override readonly name = 'RuntimeUnavailableError'
}

/** An image is missing and could not be pulled (or the policy forbids pulling). */
export class ImagePullError extends Error {
  override readonly name = 'ImagePullError'
  constructor (message: string, readonly reason: 'ErrImagePull' | 'ErrImageNeverPull' = 'ErrImagePull') {
    super(message)
  }
}

/** Creating or starting a container failed for a reason of its own config (bad command, mount, …). */
export class CreateContainerError extends Error {
  override readonly name = 'CreateContainerError'
}

export interface LogOptions {
  follow?: boolean
  tailLines?: number
  signal?: AbortSignal
}

export interface ContainerRuntime {
  readonly kind: 'docker' | 'fake'
  /** Answers if the runtime is up; throws RuntimeUnavailableError with what to do otherwise. */
  info (): Promise<RuntimeInfo>
  /** Every pod this node's runtime holds something for (only pod `uid` when given), with details. */
  listPods (uid?: string): Promise<RuntimePod[]>
  /**
   * A cheap summary per pod uid that changes whenever one of its containers or sandboxes is
   * created, removed or changes state: the relist compares these to find pods to sync.
   */
  fingerprints (): Promise<Map<string, string>>
  /** Make `image` present per the pull policy; resolves to its image id. Throws ImagePullError. */
  ensureImage (image: string, policy: 'Always' | 'IfNotPresent' | 'Never'): Promise<string>
  /** Create and start a sandbox; resolves to it (with the pod IP). */
  runSandbox (config: SandboxConfig): Promise<RuntimeSandbox>
  /** Create and start an app container in the sandbox; resolves to its id. Throws CreateContainerError. */
  runContainer (sandbox: RuntimeSandbox, config: ContainerConfig): Promise<string>
  /** SIGTERM, then SIGKILL after `graceSeconds`; fine if already stopped. */
  stopContainer (id: string, graceSeconds: number): Promise<void>
  /** Remove a stopped container (or sandbox); fine if already gone. */
  removeContainer (id: string): Promise<void>
  /** Run a command in a running container, giving up after `timeoutMs` (exit code -1). */
  exec (id: string, command: string[], timeoutMs: number): Promise<ExecResult>
  /** Start a command in a running container with live streams; its end is the session's exitCode. */
  execStream (id: string, opts: ExecStreamOptions): Promise<ExecSession>
  /** Attach to a running container's main process; the session ends when it ends (or on close(), which detaches). */
  attach (id: string, opts: AttachOptions): Promise<ExecSession>
  /** The container's output (stdout and stderr, in order) as text chunks. */
  logs (id: string, opts: LogOptions): AsyncIterable<string>
}
