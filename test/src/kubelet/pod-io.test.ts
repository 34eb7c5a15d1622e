// pods/log and pods/exec: the kubelet side (which container, which run, the messages kubectl
// users know) over the FakeRuntime, and the API + CLI side (`flotilla logs [-f]`,
// `flotilla exec`) over a real API server with a scripted PodIo (a fake, for tests only).

import { request } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { PodIoError, type ExecRequest, type LogRequest, type PodIo } from '../../../src/api/pod-io.ts'
import { createApiServer, type ApiServer } from '../../../src/api/server.ts'
import { main } from '../../../src/cli/main.ts'
import { LocalPodIo } from '../../../src/kubelet/pod-io.ts'
import { KINDS } from '../../../src/objects/kinds.ts'
import { harness, podObject, type Harness } from './helpers.ts'

let h: Harness | undefined
let api: ApiServer | undefined
afterEach(async () => {
  await api?.stop()
  await h?.close()
  api = undefined
  h = undefined
})

async function drain (it: AsyncIterable<string>): Promise<string> {
  let out = ''
  for await (const c of it) out += c
  return out
}

describe('LocalPodIo (kubelet side)', () => {
  it('picks the only container, asks for a name among several, and refuses unknown ones', async () => {
    h = await harness()
    h.kubelet.start()
    await h.create(podObject('one'))
    await h.create(podObject('two', { containers: [{ name: 'a', image: 'x:1' }, { name: 'b', image: 'x:1' }] }))
    await h.settle()
    const io = new LocalPodIo(h.backend.reader, h.runtime)
    const signal = new AbortController().signal
    await expect(drain(io.logs({ namespace: 'default', pod: 'one' }, signal))).resolves.toBe('')
    await expect(drain(io.logs({ namespace: 'default', pod: 'two' }, signal))).rejects.toThrow('a container name must be specified for pod two, choose one of: [a b]')
    await expect(drain(io.logs({ namespace: 'default', pod: 'two', container: 'c' }, signal))).rejects.toThrow('container c is not valid for pod two')
    await expect(drain(io.logs({ namespace: 'default', pod: 'nope' }, signal))).rejects.toMatchObject({ code: 404, message: 'pods "nope" not found' })
    await expect(drain(io.logs({ namespace: 'default', pod: 'one', previous: true }, signal))).rejects.toThrow('previous terminated container "app" in pod "one" not found')
    h.runtime.execExitCodes.set('false', 1)
    await expect(io.exec({ namespace: 'default', pod: 'two', container: 'b', command: ['false'] }, signal)).resolves.toMatchObject({ exitCode: 1 })
  })
})

/** A PodIo that answers from a script: logs yields `lines` (then waits for abort when following). */
class ScriptedPodIo implements PodIo {
  readonly requests: Array<LogRequest | ExecRequest> = []
  constructor (private readonly lines: string[]) {}

  async * logs (req: LogRequest, signal: AbortSignal): AsyncIterable<string> {
    this.requests.push(req)
    if (req.pod === 'missing') throw new PodIoError(404, 'pods "missing" not found')
    for (const l of this.lines) yield l
    if (req.follow === true) await new Promise((resolve) => { signal.addEventListener('abort', resolve) })
  }

  async exec (req: ExecRequest): Promise<{ exitCode: number, output: string }> {
    this.requests.push(req)
    return { exitCode: 3, output: `ran ${req.command.join(' ')}\n` }
  }

  async portForward (): Promise<never> {
    throw new PodIoError(503, 'ScriptedPodIo does not forward ports')
  }
}

async function serve (io: PodIo): Promise<string> {
  h = await harness()
  api = createApiServer({ backend: h.backend, kinds: KINDS, token: 't', host: '127.0.0.1', port: 0, podIo: io })
  await api.start()
  return `http://127.0.0.1:${api.port}`
}

function cli (server: string, argv: string[]): { run: () => Promise<number>, out: () => string, err: () => string } {
  let out = ''
  let err = ''
  return {
    run: async () => await main([argv[0] as string, '--server', server, '--token', 't', ...argv.slice(1)], { stdout: { write: (s: string) => { out += s } }, stderr: { write: (s: string) => { err += s } }, env: {}, home: '/nonexistent' }),
    out: () => out,
    err: () => err
  }
}

describe('pods/log and pods/exec through the API and the CLI', () => {
  it('flotilla logs prints the log and passes container, tail and previous', async () => {
    const io = new ScriptedPodIo(['line 1\n', 'line 2\n'])
    const server = await serve(io)
    const c = cli(server, ['logs', 'web', '-c', 'app', '--tail', '5', '-p'])
    expect(await c.run()).toBe(0)
    expect(c.out()).toBe('line 1\nline 2\n')
    expect(io.requests[0]).toEqual({ namespace: 'default', pod: 'web', container: 'app', tailLines: 5, previous: true, follow: false })
  })

  it('follows (-f) as chunks come, until the client goes', async () => {
    const io = new ScriptedPodIo(['first\n'])
    const server = await serve(io)
    const ctl = new AbortController()
    const res = await fetch(`${server}/api/v1/namespaces/default/pods/web/log?follow=true`, { headers: { Authorization: 'Bearer t' }, signal: ctl.signal })
    expect(res.status).toBe(200)
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    const { value } = await reader.read()
    expect(new TextDecoder().decode(value)).toBe('first\n')
    ctl.abort()
  })

  it('answers a missing pod with a 404 Status that the CLI prints', async () => {
    const server = await serve(new ScriptedPodIo([]))
    const c = cli(server, ['logs', 'missing'])
    expect(await c.run()).toBe(1)
    expect(c.err()).toContain('pods "missing" not found')
  })

  it('flotilla exec runs the command after -- and exits with its exit code', async () => {
    const io = new ScriptedPodIo([])
    const server = await serve(io)
    const c = cli(server, ['exec', 'web', '-c', 'app', '--', 'sh', '-c', 'exit 3'])
    expect(await c.run()).toBe(3)
    expect(c.out()).toBe('ran sh -c exit 3\n')
    expect(io.requests[0]).toEqual({ namespace: 'default', pod: 'web', container: 'app', command: ['sh', '-c', 'exit 3'] })
  })

  it('refuses the interactive exec protocol of kubectl with a message saying what to use', async () => {
    const server = await serve(new ScriptedPodIo([]))
    const answer = await new Promise<{ status: number, body: string }>((resolve, reject) => {
      const req = request(`${server}/api/v1/namespaces/default/pods/web/exec?command=ls`, { method: 'POST', headers: { Authorization: 'Bearer t', Connection: 'Upgrade', Upgrade: 'SPDY/3.1' } }, (res) => {
        let body = ''
        res.on('data', (c: Buffer) => { body += c.toString() })
        res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
      })
      req.on('error', reject)
      req.end()
    })
    expect(answer.status).toBe(400)
    expect((JSON.parse(answer.body) as { message: string }).message).toContain('flotilla exec POD -- COMMAND')
  })
})
