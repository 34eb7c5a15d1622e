// An interactive exec (or an attach) in a Docker container: the connection Docker hands over
// after `exec.start({ hijack: true })` (or `container.attach`) carries stdin one way and the
// output the other — raw with a TTY, multiplexed (8-byte frame headers) without. Closing our
// writing half closes the process's stdin; Docker closes the connection when the process
// ends, and an inspect then tells its exit code. Resizing applies to the pseudo-terminal.

import { PassThrough, Writable, type Duplex, type Readable } from 'node:stream'
import { demuxInto } from './docker-streams.ts'
import type { ExecSession, ExecStreamOptions, TerminalSize } from './runtime.ts'

/** How long the exit code is polled for after the connection closed (Docker records it a moment later). */
const EXIT_CODE_WAIT_MS = 3000

/** What a session asks Docker about its process. */
export interface DockerProcess {
  resize: (size: { h: number, w: number }) => Promise<unknown>
  /** The exit code once it ended; undefined while it runs. */
  exited: () => Promise<number | undefined>
}

export class DockerExecSession implements ExecSession {
  readonly stdin?: Writable
  readonly stdout?: Readable
  readonly stderr?: Readable
  readonly exitCode: Promise<number>
  private readonly tty: boolean

  constructor (private readonly process: DockerProcess, private readonly socket: Duplex, opts: Omit<ExecStreamOptions, 'command'>) {
    this.tty = opts.tty
    const stdout = opts.stdout ? new PassThrough() : undefined
    const stderr = opts.stderr && !opts.tty ? new PassThrough() : undefined
    this.stdout = stdout
    this.stderr = stderr
    if (opts.stdin) {
      this.stdin = new Writable({
        write: (chunk: Buffer, _enc, done) => {
          if (!socket.writable) { done(); return }
          socket.write(chunk, () => { done() })
        },
        final: (done) => {
          if (socket.writable) socket.end()
          done()
        }
      })
    }
    // The connection breaking is the end of the session, not an error of the agent.
    socket.on('error', () => {})
    if (opts.tty) {
      if (stdout !== undefined) socket.pipe(stdout)
      else socket.resume()
    } else if (stdout !== undefined || stderr !== undefined) {
      demuxInto(socket, stdout, stderr)
    } else {
      socket.resume()
    }
    this.exitCode = new Promise<void>((resolve) => { socket.once('close', () => { resolve() }) }).then(async () => await this.readExitCode())
  }

  resize (size: TerminalSize): void {
    if (!this.tty || !(size.width > 0 && size.height > 0)) return
    this.process.resize({ h: Math.round(size.height), w: Math.round(size.width) }).catch(() => {})
  }

  close (): void {
    this.socket.destroy()
    this.stdin?.destroy()
  }

  private async readExitCode (): Promise<number> {
    const deadline = Date.now() + EXIT_CODE_WAIT_MS
    for (;;) {
      try {
        const code = await this.process.exited()
        if (code !== undefined) return code
      } catch {
        return -1
      }
      // Still running: the connection was closed by us (close()), or Docker has not recorded the end yet.
      if (Date.now() > deadline) return -1
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}
