// The caller's side of an interactive exec relayed to the pod's node: the tunnel carries
// channel messages (src/api/exec-channels.ts; the node side is an ExecSessionStream ending
// with EXIT), and this turns them back into an ExecSession — stdout and stderr streams, stdin,
// resize, and the exit code (-1 when the tunnel ends without one: the node went away).

import { PassThrough, Writable, type Duplex, type Readable } from 'node:stream'
import { decodeMessage, encodeClose, encodeData, encodeResize, STDERR, STDIN, STDOUT } from '../api/exec-channels.ts'
import type { ExecSession, TerminalSize } from '../api/pod-io.ts'

export class RemoteExecSession implements ExecSession {
  readonly stdin?: Writable
  readonly stdout?: Readable
  readonly stderr?: Readable
  readonly exitCode: Promise<number>

  constructor (private readonly tunnel: Duplex, req: { stdin: boolean, stdout: boolean, stderr: boolean, tty?: boolean }) {
    const stdout = req.stdout ? new PassThrough() : undefined
    const stderr = req.stderr && req.tty !== true ? new PassThrough() : undefined
    this.stdout = stdout
    this.stderr = stderr
    if (req.stdin) {
      this.stdin = new Writable({
        write: (chunk: Buffer, _enc, done) => {
          if (!tunnel.writable) { done(); return }
          if (tunnel.write(encodeData(STDIN, chunk))) done()
          else tunnel.once('drain', () => { done() })
        },
        final: (done) => {
          if (tunnel.writable) tunnel.write(encodeClose(STDIN))
          done()
        }
      })
    }
    let code = -1
    tunnel.on('data', (msg: Buffer) => {
      let m
      try {
        m = decodeMessage(msg)
      } catch {
        tunnel.destroy()
        return
      }
      if (m.kind === 'exit') code = m.code
      else if (m.kind === 'data') {
        const out = m.channel === STDOUT ? stdout : m.channel === STDERR ? stderr : undefined
        if (out !== undefined && !out.write(m.data)) {
          tunnel.pause()
          out.once('drain', () => { tunnel.resume() })
        }
      }
    })
    this.exitCode = new Promise<number>((resolve) => {
      const done = (): void => {
        stdout?.end()
        stderr?.end()
        if (tunnel.writable) tunnel.end()
        resolve(code)
      }
      tunnel.once('end', done)
      tunnel.once('close', done)
    })
  }

  resize (size: TerminalSize): void {
    if (this.tunnel.writable) this.tunnel.write(encodeResize(size))
  }

  close (): void {
    this.tunnel.destroy()
  }
}
