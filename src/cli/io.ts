// What a verb needs from its surroundings: output streams, stdin, environment, working and
// home directories, and a clock. main() receives these so tests can run the CLI in-process
// with captured output and a fixed time; the bin passes the process's own.

import { homedir } from 'node:os'

/** Anything with a `write(string)`: process.stdout, a socket, or a test's collector. */
export interface TextSink {
  write: (chunk: string) => unknown
}

export interface CliIO {
  stdout: TextSink
  stderr: TextSink
  /** Read by `apply -f -`. Default: process.stdin. */
  stdin?: AsyncIterable<string | Uint8Array>
  /** Default: process.env. */
  env?: Record<string, string | undefined>
  /** Default: process.cwd(). */
  cwd?: string
  /** Default: os.homedir(). */
  home?: string
  /** Milliseconds since the epoch, for ages. Default: Date.now. */
  now?: () => number
}

/** A CliIO with every optional field filled from the process. */
export type ResolvedIO = Required<CliIO>

export function resolveIO (io: CliIO): ResolvedIO {
  return {
    stdout: io.stdout,
    stderr: io.stderr,
    stdin: io.stdin ?? process.stdin,
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
    home: io.home ?? homedir(),
    now: io.now ?? Date.now
  }
}

/** Writes `text` followed by a newline unless it already ends with one. */
export function writeLine (sink: TextSink, text: string): void {
  sink.write(text.endsWith('\n') ? text : text + '\n')
}
