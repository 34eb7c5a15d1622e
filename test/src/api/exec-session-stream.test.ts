// An ExecSession as channel messages and back (the relay between agents does both): output
// in order with the exit code last, stdin and its close, resizes, and a session given up when
// the stream is destroyed. Over the FakeRuntime's scripted sessions (a fake, for unit tests).

import { Duplex, PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { decodeMessage, encodeClose, encodeData, encodeExit, encodeResize, STDIN } from '../../../src/api/exec-channels.ts'
import { ExecSessionStream } from '../../../src/api/exec-session-stream.ts'
import type { ExecStreamRequest } from '../../../src/api/pod-io.ts'
import { RemoteExecSession } from '../../../src/agent/exec-relay.ts'
import { FakeExecSession } from '../../../src/kubelet/fake-exec-session.ts'

const opts = { stdin: true, stdout: true, stderr: true, tty: false }

async function collect (s: NodeJS.ReadableStream): Promise<Buffer[]> {
  const out: Buffer[] = []
  for await (const c of s) out.push(c as Buffer)
  return out
}

async function text (s: NodeJS.ReadableStream | undefined): Promise<string> {
  return s === undefined ? '' : Buffer.concat(await collect(s)).toString()
}

describe('ExecSessionStream', () => {
  it('sends stdout and stderr by channel, then the exit code, then ends', async () => {
    const session = new FakeExecSession({ ...opts, stdin: false, command: ['ls', '-l'] }, 2)
    const msgs = (await collect(new ExecSessionStream(session, encodeExit))).map((m) => decodeMessage(m))
    expect(msgs).toEqual([
      { kind: 'data', channel: 1, data: Buffer.from('ran ls -l\n') },
      { kind: 'data', channel: 2, data: Buffer.from('ls -l: done\n') },
      { kind: 'exit', code: 2 }
    ])
  })

  it('passes stdin on, closes it on a close message, and applies resizes', async () => {
    const session = new FakeExecSession({ ...opts, tty: true, command: ['cat'] }, 0)
    const stream = new ExecSessionStream(session, encodeExit)
    const reading = collect(stream)
    stream.write(encodeResize({ width: 90, height: 20 }))
    stream.write(encodeData(STDIN, Buffer.from('abc')))
    stream.write(encodeClose(STDIN))
    const msgs = (await reading).map((m) => decodeMessage(m))
    expect(msgs).toEqual([{ kind: 'data', channel: 1, data: Buffer.from('abc') }, { kind: 'exit', code: 0 }])
    expect(session.resizes).toEqual([{ width: 90, height: 20 }])
  })

  it('gives the session up when destroyed, and fails on a malformed message without throwing', async () => {
    const session = new FakeExecSession({ ...opts, command: ['cat'] }, 0)
    const stream = new ExecSessionStream(session, encodeExit)
    stream.on('error', () => {})
    stream.write(Buffer.alloc(0))
    await new Promise((resolve) => stream.once('close', resolve))
    expect(await session.exitCode).toBe(-1)
  })
})

describe('RemoteExecSession over an ExecSessionStream (the relay, without the network)', () => {
  /** Two object-mode pipes crossed, as a tunnel joins its two ends. */
  function link (session: FakeExecSession, req: ExecStreamRequest): RemoteExecSession {
    const toNode = new PassThrough({ objectMode: true })
    const toCaller = new PassThrough({ objectMode: true })
    const node = new ExecSessionStream(session, encodeExit)
    toNode.pipe(node).pipe(toCaller)
    // The caller's end: writes go to the node, reads come from it.
    const duplex = new Duplex({
      objectMode: true,
      read () {},
      write (chunk, _enc, done) { toNode.write(chunk, done) },
      final (done) { toNode.end(); done() }
    })
    toCaller.on('data', (m) => { duplex.push(m) })
    toCaller.on('end', () => { duplex.push(null) })
    return new RemoteExecSession(duplex, req)
  }

  it('gives back stdout, stderr and the exit code, and carries stdin and resizes', async () => {
    const req: ExecStreamRequest = { namespace: 'default', pod: 'p', command: ['sh'], ...opts }
    const fake = new FakeExecSession(req, 0)
    const remote = link(fake, req)
    const out = text(remote.stdout)
    const err = text(remote.stderr)
    remote.resize({ width: 10, height: 5 })
    remote.stdin?.write('echo one; echo two\n')
    remote.stdin?.write('exit 4\n')
    expect(await remote.exitCode).toBe(4)
    expect(await out).toBe('one\ntwo\n')
    expect(await err).toBe('')
    expect(fake.resizes).toEqual([{ width: 10, height: 5 }])
  })

  it('reports -1 when the tunnel ends without an exit code (the node went away)', async () => {
    const duplex = new PassThrough({ objectMode: true })
    const remote = new RemoteExecSession(duplex, opts)
    duplex.end()
    expect(await remote.exitCode).toBe(-1)
  })
})
