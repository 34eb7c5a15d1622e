// A scripted interactive exec for the FakeRuntime (a fake, for unit tests and simulated
// nodes): `cat` copies stdin to stdout until stdin ends; `sh` with stdin reads lines of
// `echo WORDS` and `exit N` statements (separated by `;`); `echo ARGS` prints them; any other
// command prints `ran COMMAND` to stdout and `COMMAND: done` to stderr. It then exits with the
// code the runtime was told for the command's first word (default 0). Resizes are recorded.

import { PassThrough, type Readable, type Writable } from 'node:stream'
import type { ExecSession, ExecStreamOptions, TerminalSize } from './runtime.ts'

export class FakeExecSession implements ExecSession {
  readonly stdin?: Writable
  readonly stdout?: Readable
  readonly stderr?: Readable
  readonly exitCode: Promise<number>
  /** Sizes given to resize(), in order. */
  readonly resizes: TerminalSize[] = []
  private readonly out = new PassThrough()
  private readonly err = new PassThrough()
  private readonly input = new PassThrough()
  private ended: (code: number) => void = () => {}

  constructor (opts: ExecStreamOptions, private readonly code: number, private readonly onCall: (line: string) => void = () => {}) {
    if (opts.stdin) this.stdin = this.input
    if (opts.stdout) this.stdout = this.out
    // A terminal merges stderr into stdout.
    if (opts.stderr && !opts.tty) this.stderr = this.err
    this.exitCode = new Promise<number>((resolve) => { this.ended = resolve })
    const [cmd, ...args] = opts.command
    if (cmd === 'cat' && opts.stdin) {
      this.input.on('data', (chunk: Buffer) => { this.out.write(chunk) })
      this.input.once('end', () => { this.finish(this.code) })
    } else if (cmd === 'sh' && args.length === 0 && opts.stdin) {
      let line = ''
      this.input.on('data', (chunk: Buffer) => {
        line += chunk.toString('utf8')
        for (let nl = line.search(/[\r\n]/); nl >= 0; nl = line.search(/[\r\n]/)) {
          const statements = line.slice(0, nl).split(';').map((x) => x.trim())
          line = line.slice(nl + 1)
          for (const st of statements) {
            if (st.startsWith('echo')) this.out.write(`${st.slice(4).trim()}${opts.tty ? '\r\n' : '\n'}`)
            else if (st.startsWith('exit')) { this.finish(Number(st.slice(4).trim() || '0')); return }
          }
        }
      })
      this.input.once('end', () => { this.finish(this.code) })
    } else {
      this.input.resume()
      if (cmd === 'echo') this.out.write(`${args.join(' ')}\n`)
      else {
        this.out.write(`ran ${opts.command.join(' ')}\n`)
        ;(opts.tty ? this.out : this.err).write(`${opts.command.join(' ')}: done\n`)
      }
      setImmediate(() => { this.finish(this.code) })
    }
  }

  resize (size: TerminalSize): void {
    this.resizes.push(size)
    this.onCall(`resize ${size.width}x${size.height}`)
  }

  close (): void {
    this.finish(-1)
  }

  private finish (code: number): void {
    this.out.end()
    this.err.end()
    this.input.destroy()
    this.ended(code)
  }
}
