// The channel messages of Kubernetes' remote-command protocol (`v4.channel.k8s.io`,
// `v5.channel.k8s.io`): each WebSocket binary message is one channel byte and its payload —
// 0 stdin, 1 stdout, 2 stderr, 3 the error channel (one Status JSON when the process ended),
// 4 terminal resize ({"Width","Height"} JSON), and in v5 255 + a channel byte: that channel is
// closed (the client's stdin reached EOF). The agents' relay of an exec (pod-io-relay.ts)
// carries the same messages between agents, plus EXIT (the exit code) that only it uses.

import type { TerminalSize } from './pod-io.ts'

export const STDIN = 0
export const STDOUT = 1
export const STDERR = 2
export const ERROR = 3
export const RESIZE = 4
/** Flotilla's relay between agents only: the process's exit code as 4 bytes (signed, big-endian). */
export const EXIT = 5
export const CLOSE = 255

export type ChannelMessage =
  | { kind: 'data', channel: number, data: Buffer }
  | { kind: 'resize', size: TerminalSize }
  | { kind: 'close', channel: number }
  | { kind: 'exit', code: number }
  | { kind: 'status', status: unknown }

/** A message that does not follow the protocol. */
export class ExecProtocolError extends Error {
  override readonly name = 'ExecProtocolError'
}

export function encodeData (channel: number, data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(data.byteLength + 1)
  out[0] = channel
  out.set(data, 1)
  return out
}

export function encodeClose (channel: number): Buffer {
  return Buffer.from([CLOSE, channel])
}

export function encodeResize (size: TerminalSize): Buffer {
  return encodeData(RESIZE, Buffer.from(JSON.stringify({ Width: size.width, Height: size.height })))
}

export function encodeExit (code: number): Buffer {
  const out = Buffer.alloc(5)
  out[0] = EXIT
  out.writeInt32BE(code, 1)
  return out
}

export function encodeStatus (status: unknown): Buffer {
  return encodeData(ERROR, Buffer.from(JSON.stringify(status)))
}

/** One message; throws ExecProtocolError for an empty message, a bad resize or a truncated exit. */
export function decodeMessage (msg: Buffer): ChannelMessage {
  if (msg.length === 0) throw new ExecProtocolError('an empty message has no channel byte')
  const channel = msg[0] as number
  const payload = msg.subarray(1)
  switch (channel) {
    case CLOSE:
      if (payload.length !== 1) throw new ExecProtocolError('a close message names exactly one channel')
      return { kind: 'close', channel: payload[0] as number }
    case RESIZE:
      return { kind: 'resize', size: parseResize(payload) }
    case EXIT:
      if (payload.length !== 4) throw new ExecProtocolError('an exit message holds a 4-byte exit code')
      return { kind: 'exit', code: payload.readInt32BE(0) }
    case ERROR: {
      let status: unknown
      try {
        status = JSON.parse(payload.toString('utf8'))
      } catch {
        throw new ExecProtocolError('the error channel carries a Status in JSON')
      }
      return { kind: 'status', status }
    }
    default:
      return { kind: 'data', channel, data: payload }
  }
}

function parseResize (payload: Buffer): TerminalSize {
  let value: unknown
  try {
    value = JSON.parse(payload.toString('utf8'))
  } catch {
    throw new ExecProtocolError('a resize message carries {"Width":W,"Height":H} in JSON')
  }
  const { Width: width, Height: height } = (value ?? {}) as { Width?: unknown, Height?: unknown }
  if (!isDimension(width) || !isDimension(height)) throw new ExecProtocolError(`a resize needs a Width and a Height from 0 to 65535, not ${payload.toString('utf8').slice(0, 100)}`)
  return { width, height }
}

function isDimension (v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535
}

/**
 * The Status the error channel ends with: Success for exit code 0; else NonZeroExitCode with
 * the code as an ExitCode cause (kubectl exits with it); -1 (unknown) is an InternalError.
 */
export function exitStatus (code: number, command: readonly string[]): Record<string, unknown> {
  if (code === 0) return { metadata: {}, status: 'Success' }
  if (code < 0) return { metadata: {}, status: 'Failure', message: 'the command ended without an exit code (its connection to the container broke)', reason: 'InternalError' }
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] }
  }
}
