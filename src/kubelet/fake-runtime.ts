// FakeRuntime: a ContainerRuntime that runs nothing. Pods "start" at once and stay running,
// so a simulated node (`flotilla agent --runtime fake`, scale tests with hundreds of nodes on
// one machine) reports Running/Ready pods without a container. Unit tests drive it further:
// make a container exit, an image unpullable, an exec probe fail, or the whole runtime down.
// A fake, named as such: never the runtime of a real node.

import {
  CreateContainerError, ImagePullError, RuntimeUnavailableError,
  type AttachOptions, type ContainerConfig, type ContainerRuntime, type ExecResult, type ExecSession, type ExecStreamOptions, type LogOptions, type RuntimeContainer,
  type RuntimeInfo, type RuntimePod, type RuntimeSandbox, type SandboxConfig
} from './runtime.ts'
import { FakeExecSession } from './fake-exec-session.ts'

interface FakeContainer extends RuntimeContainer { podUid: string, config?: ContainerConfig, sandboxId: string }
interface FakeSandbox extends RuntimeSandbox { config: SandboxConfig, seq: number }

export class FakeRuntime implements ContainerRuntime {
  readonly kind = 'fake'
  /** Images that fail to pull, with the engine's message. */
  readonly unpullable = new Map<string, string>()
  /** Images whose containers fail to start, with the engine's message (CreateContainerError). */
  readonly unstartable = new Map<string, string>()
  /** Exit code of exec'd commands, by the command's first word (default 0). */
  readonly execExitCodes = new Map<string, number>()
  /** When set, every call throws RuntimeUnavailableError with this message. */
  down: string | undefined
  /** Every runtime call, in order (`runContainer ns/pod/name`, …), for tests. */
  readonly calls: string[] = []
  /** Every interactive exec started, in order. */
  readonly sessions: FakeExecSession[] = []
  private readonly sandboxes = new Map<string, FakeSandbox>()
  private readonly containers = new Map<string, FakeContainer>()
  private seq = 0

  /** `now` stamps startedAt/finishedAt (default: a fixed time). */
  constructor (private readonly now: () => string = () => '2024-01-01T00:00:00.000Z') {}

  async info (): Promise<RuntimeInfo> {
    this.check()
    return { version: 'fake://0.1.0' }
  }

  async listPods (uid?: string): Promise<RuntimePod[]> {
    this.check()
    const pods = new Map<string, RuntimePod>()
    const podOf = (uid: string, config: SandboxConfig | ContainerConfig | undefined): RuntimePod => {
      let p = pods.get(uid)
      if (p === undefined) {
        p = { uid, namespace: config?.pod.namespace ?? '', name: config?.pod.name ?? '', staleSandboxes: [], containers: [] }
        pods.set(uid, p)
      }
      return p
    }
    for (const s of [...this.sandboxes.values()].sort((a, b) => a.seq - b.seq)) {
      if (uid !== undefined && s.config.pod.uid !== uid) continue
      const p = podOf(s.config.pod.uid, s.config)
      if (p.sandbox !== undefined) p.staleSandboxes.push(p.sandbox)
      p.sandbox = { id: s.id, running: s.running, ip: s.running ? s.ip : '' }
    }
    for (const c of this.containers.values()) {
      if (uid !== undefined && c.podUid !== uid) continue
      const { podUid, config, sandboxId, ...status } = c
      podOf(podUid, config).containers.push({ ...status })
    }
    return [...pods.values()]
  }

  async fingerprints (): Promise<Map<string, string>> {
    const out = new Map<string, string>()
    for (const p of await this.listPods()) {
      out.set(p.uid, [p.sandbox, ...p.staleSandboxes, ...p.containers].map((c) => c === undefined ? '' : `${c.id}:${'state' in c ? c.state : String(c.running)}`).join(','))
    }
    return out
  }

  async ensureImage (image: string, policy: 'Always' | 'IfNotPresent' | 'Never'): Promise<string> {
    this.check()
    const message = this.unpullable.get(image)
    if (message !== undefined) {
      if (policy === 'Never') throw new ImagePullError(`Container image "${image}" is not present with pull policy of Never`, 'ErrImageNeverPull')
      throw new ImagePullError(message)
    }
    return `sha256:fake-${image}`
  }

  async runSandbox (config: SandboxConfig): Promise<RuntimeSandbox> {
    this.check()
    const seq = ++this.seq
    const id = `sandbox-${seq}`
    const sandbox: FakeSandbox = { id, running: true, ip: `10.88.${(seq >> 8) & 255}.${seq & 255}`, config, seq }
    this.sandboxes.set(id, sandbox)
    this.calls.push(`runSandbox ${config.pod.namespace}/${config.pod.name}`)
    return { id, running: true, ip: sandbox.ip }
  }

  async runContainer (sandbox: RuntimeSandbox, config: ContainerConfig): Promise<string> {
    this.check()
    const failure = this.unstartable.get(config.image)
    if (failure !== undefined) {
      this.calls.push(`runContainer failed ${config.pod.namespace}/${config.pod.name}/${config.name}`)
      throw new CreateContainerError(failure)
    }
    const id = `container-${++this.seq}`
    this.containers.set(id, {
      id, name: config.name, attempt: config.attempt, state: 'running', image: config.image, imageID: `sha256:fake-${config.image}`,
      startedAt: this.now(), podUid: config.pod.uid, config, sandboxId: sandbox.id
    })
    this.calls.push(`runContainer ${config.pod.namespace}/${config.pod.name}/${config.name}`)
    return id
  }

  async stopContainer (id: string, graceSeconds: number): Promise<void> {
    this.check()
    const s = this.sandboxes.get(id)
    if (s !== undefined) {
      s.running = false
      this.calls.push(`stopSandbox ${s.config.pod.namespace}/${s.config.pod.name}`)
      return
    }
    const c = this.containers.get(id)
    if (c === undefined || c.state !== 'running') return
    this.calls.push(`stopContainer ${c.name} grace=${graceSeconds}`)
    this.finish(c, 137, 'Error')
  }

  async removeContainer (id: string): Promise<void> {
    this.check()
    if (this.sandboxes.delete(id)) this.calls.push(`removeSandbox ${id}`)
    const c = this.containers.get(id)
    if (c !== undefined) {
      this.containers.delete(id)
      this.calls.push(`removeContainer ${c.name}`)
    }
  }

  async exec (id: string, command: string[], _timeoutMs: number): Promise<ExecResult> {
    this.check()
    const c = this.containers.get(id)
    if (c?.state !== 'running') return { exitCode: -1, output: 'container is not running' }
    return { exitCode: this.execExitCodes.get(command[0] ?? '') ?? 0, output: '' }
  }

  /** Scripted sessions (see FakeExecSession); each is also kept in `sessions`. */
  async execStream (id: string, opts: ExecStreamOptions): Promise<ExecSession> {
    this.check()
    const c = this.containers.get(id)
    if (c?.state !== 'running') throw new Error(`container ${id} is not running`)
    this.calls.push(`execStream ${c.name} ${opts.command.join(' ')}`)
    const session = new FakeExecSession(opts, this.execExitCodes.get(opts.command[0] ?? '') ?? 0, (line) => { this.calls.push(line) })
    this.sessions.push(session)
    return session
  }

  /** Attaching to the fake's containers prints `attached` and ends (exit code 0). */
  async attach (id: string, opts: AttachOptions): Promise<ExecSession> {
    this.check()
    const c = this.containers.get(id)
    if (c?.state !== 'running') throw new Error(`container ${id} is not running`)
    this.calls.push(`attach ${c.name}`)
    return new FakeExecSession({ ...opts, tty: false, command: ['echo', 'attached'] }, 0)
  }

  async * logs (id: string, _opts: LogOptions): AsyncIterable<string> {
    this.check()
    if (this.containers.has(id)) yield ''
  }

  // Test controls.

  /** The running container `name` of pod `uid` exits with `code` (as a crash or a normal end). */
  exitContainer (podUid: string, name: string, code: number): void {
    for (const c of this.containers.values()) {
      if (c.podUid === podUid && c.name === name && c.state === 'running') this.finish(c, code, code === 0 ? 'Completed' : 'Error')
    }
  }

  /** The config a running container was started with. */
  configOf (podUid: string, name: string): ContainerConfig | undefined {
    return [...this.containers.values()].filter((c) => c.podUid === podUid && c.name === name).sort((a, b) => b.attempt - a.attempt)[0]?.config
  }

  /** Containers and sandboxes held, for tests. */
  get size (): number { return this.containers.size + this.sandboxes.size }

  private finish (c: FakeContainer, exitCode: number, reason: string): void {
    c.state = 'exited'
    c.exitCode = exitCode
    c.reason = reason
    c.finishedAt = this.now()
  }

  private check (): void {
    if (this.down !== undefined) throw new RuntimeUnavailableError(this.down)
  }
}
