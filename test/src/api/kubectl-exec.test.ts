// The real kubectl (v1.32, WebSocket v5.channel.k8s.io) against an in-process API server whose
// PodIo is the kubelet's LocalPodIo over the FakeRuntime (scripted processes: `echo`, `cat`,
// a line-reading `sh`): output and exit codes, piped stdin with its EOF, a TTY driven
// through `script` (resize reaches the runtime), and the errors kubectl users know.
// Without /usr/bin/kubectl it warns and does not run.

import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { haveKubectl, KUBECTL } from '../../e2e/harness/kubectl.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClusterCa, issueServingCertificate } from '../../../src/agent/tls/certificate.ts'
import { createApiServer, type ApiServer } from '../../../src/api/server.ts'
import { LocalPodIo } from '../../../src/kubelet/pod-io.ts'
import { KINDS } from '../../../src/objects/kinds.ts'
import { harness, podObject, type Harness } from '../kubelet/helpers.ts'

const kubectlHere = haveKubectl()
if (!kubectlHere) console.warn(`kubectl-exec.test.ts: ${KUBECTL} is missing, so kubectl exec was not run (install kubectl v1.32 to run it)`)

interface Run { code: number, stdout: string, stderr: string }

let h: Harness
let api: ApiServer
let dir: string
let kubeconfig: string

/** Runs a command to its end (20 s at most), feeding it `input` (then EOF) when given. */
async function run (cmd: string, args: string[], input?: string): Promise<Run> {
  return await new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
    const timer = setTimeout(() => { child.kill('SIGKILL') }, 20_000)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code: code ?? -1, stdout, stderr })
    })
    if (input !== undefined) child.stdin.end(input)
  })
}

async function kubectl (args: string[], input?: string): Promise<Run> {
  return await run(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], input)
}

describe.skipIf(!kubectlHere)('kubectl exec over WebSocket', () => {
  beforeAll(async () => {
    h = await harness()
    h.kubelet.start()
    await h.create(podObject('one'))
    await h.create(podObject('two', { containers: [{ name: 'a', image: 'x:1' }, { name: 'b', image: 'x:1' }] }))
    await h.settle()
    // kubectl sends a bearer token over HTTPS only.
    const ca = createClusterCa()
    const serving = issueServingCertificate(ca, { commonName: 'test', ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'] })
    api = createApiServer({
      backend: h.backend, kinds: KINDS, token: 'exec-test-token', host: '127.0.0.1', port: 0,
      podIo: new LocalPodIo(h.backend.reader, h.runtime), tls: { key: serving.key, cert: serving.cert }
    })
    await api.start()
    dir = await mkdtemp(join(tmpdir(), 'kubectl-exec-'))
    kubeconfig = join(dir, 'kubeconfig')
    await writeFile(kubeconfig, [
      'apiVersion: v1', 'kind: Config',
      `clusters: [{name: t, cluster: {server: "https://127.0.0.1:${api.port}", certificate-authority-data: "${Buffer.from(ca.cert).toString('base64')}"}}]`,
      'users: [{name: t, user: {token: exec-test-token}}]',
      'contexts: [{name: t, context: {cluster: t, user: t, namespace: default}}]',
      'current-context: t', ''
    ].join('\n'))
  })

  afterAll(async () => {
    await api?.stop()
    await h?.close()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('prints stdout and stderr apart and exits with the command\'s code', async () => {
    const ok = await kubectl(['exec', 'one', '--', 'echo', 'hello', 'world'])
    expect(ok).toEqual({ code: 0, stdout: 'hello world\n', stderr: '' })
    h.runtime.execExitCodes.set('false', 3)
    const bad = await kubectl(['exec', 'two', '-c', 'b', '--', 'false', 'x'])
    expect(bad.code).toBe(3)
    expect(bad.stdout).toBe('ran false x\n')
    expect(bad.stderr).toContain('false x: done\n')
    expect(bad.stderr).toContain('command terminated with exit code 3')
  })

  it('passes piped stdin to the process and closes it at EOF (-i)', async () => {
    const r = await kubectl(['exec', '-i', 'one', '--', 'cat'], 'line 1\nline 2\n')
    expect(r).toEqual({ code: 0, stdout: 'line 1\nline 2\n', stderr: '' })
    const big = 'y'.repeat(2 * 1024 * 1024)
    const back = await kubectl(['exec', '-i', 'one', '--', 'cat'], big)
    expect(back.stdout === big).toBe(true)
  })

  it('answers a missing pod, a missing container choice and a bad container with kubectl\'s messages', async () => {
    const missing = await kubectl(['exec', 'nope', '--', 'true'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('pods "nope" not found')
    const bad = await kubectl(['exec', 'two', '-c', 'zz', '--', 'true'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('container zz is not valid for pod two')
  })

  it('runs a shell under a TTY (-it): typed lines run, the exit code comes back, resizes reach the runtime', async () => {
    const calls = h.runtime.calls.length
    const cmd = `stty cols 101 rows 31; exec ${KUBECTL} --kubeconfig ${kubeconfig} --cache-dir ${join(dir, 'cache')} exec -it one -- sh`
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s })
    const exited = new Promise<number>((resolve) => child.once('close', (code) => { resolve(code ?? -1) }))
    const deadline = Date.now() + 15_000
    while (!h.runtime.calls.slice(calls).includes('resize 101x31')) {
      if (Date.now() > deadline) throw new Error(`no resize 101x31 reached the runtime; calls: ${h.runtime.calls.slice(calls).join(', ')}; output: ${out}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    child.stdin.write('echo hi; exit 7\r')
    const code = await Promise.race([exited, new Promise<number>((resolve) => setTimeout(() => { child.kill('SIGKILL'); resolve(-2) }, 15_000))])
    expect(code, out).toBe(7)
    expect(out).toMatch(/(^|\n)hi\r?\n/)
    expect(h.runtime.calls.slice(calls)).toContain('execStream app sh')
  })

  it('attaches to a container\'s output (kubectl attach)', async () => {
    const r = await kubectl(['attach', 'one'])
    expect(r.stdout).toBe('attached\n')
    expect(r.code).toBe(0)
    expect(h.runtime.calls).toContain('attach app')
    const stdin = await kubectl(['attach', '-i', 'one'])
    expect(stdin.code).toBe(1)
    expect(stdin.stderr).toContain('cannot attach to the stdin of one/app: this node starts containers without an open stdin')
  })
})
