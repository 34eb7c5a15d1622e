// The channel messages of the remote-command protocol (v4/v5.channel.k8s.io) and the Status
// that ends a session, as kubectl reads them (client-go remotecommand: the error channel's
// Status, NonZeroExitCode with an ExitCode cause; v5's 255 close of a channel).

import { describe, expect, it } from 'vitest'
import {
  CLOSE, decodeMessage, encodeClose, encodeData, encodeExit, encodeResize, encodeStatus, exitStatus, ExecProtocolError, RESIZE, STDIN, STDOUT
} from '../../../src/api/exec-channels.ts'

describe('exec channel messages', () => {
  it('prefixes data with its channel byte, and decodes it back', () => {
    const msg = encodeData(STDOUT, Buffer.from('hi\n'))
    expect([...msg]).toEqual([1, 104, 105, 10])
    expect(decodeMessage(msg)).toEqual({ kind: 'data', channel: STDOUT, data: Buffer.from('hi\n') })
    expect(decodeMessage(Buffer.from([STDIN]))).toEqual({ kind: 'data', channel: STDIN, data: Buffer.alloc(0) })
  })

  it('reads v5 close messages and resizes as kubectl sends them', () => {
    expect(decodeMessage(encodeClose(STDIN))).toEqual({ kind: 'close', channel: STDIN })
    expect([...encodeClose(STDIN)]).toEqual([CLOSE, 0])
    const resize = Buffer.concat([Buffer.from([RESIZE]), Buffer.from('{"Width":120,"Height":40}')])
    expect(decodeMessage(resize)).toEqual({ kind: 'resize', size: { width: 120, height: 40 } })
    expect(decodeMessage(encodeResize({ width: 80, height: 24 }))).toEqual({ kind: 'resize', size: { width: 80, height: 24 } })
  })

  it('carries the exit code between agents, negative ones included', () => {
    expect(decodeMessage(encodeExit(7))).toEqual({ kind: 'exit', code: 7 })
    expect(decodeMessage(encodeExit(-1))).toEqual({ kind: 'exit', code: -1 })
  })

  it('refuses what does not follow the protocol with ExecProtocolError', () => {
    expect(() => decodeMessage(Buffer.alloc(0))).toThrow(ExecProtocolError)
    expect(() => decodeMessage(Buffer.from([CLOSE]))).toThrow('a close message names exactly one channel')
    expect(() => decodeMessage(Buffer.concat([Buffer.from([RESIZE]), Buffer.from('{"Width":-1,"Height":2}')]))).toThrow('a resize needs a Width and a Height')
    expect(() => decodeMessage(Buffer.concat([Buffer.from([RESIZE]), Buffer.from('not json')]))).toThrow(ExecProtocolError)
    expect(() => decodeMessage(Buffer.from([5, 0, 0]))).toThrow('4-byte exit code')
  })

  it('ends with Success for 0 and NonZeroExitCode with the code as a cause otherwise', () => {
    expect(exitStatus(0, ['true'])).toEqual({ metadata: {}, status: 'Success' })
    expect(exitStatus(3, ['sh', '-c', 'exit 3'])).toEqual({
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] }
    })
    expect(exitStatus(-1, ['x'])).toMatchObject({ status: 'Failure', reason: 'InternalError' })
    const status = encodeStatus(exitStatus(0, []))
    expect(status[0]).toBe(3)
    expect(decodeMessage(status)).toEqual({ kind: 'status', status: { metadata: {}, status: 'Success' } })
  })
})
