// `kubectl exec` and `kubectl logs` for real: three agents on the Docker Engine, pods pinned to
// agent b, the real kubectl pointed at agent a — so every byte crosses from a's API to b's
// kubelet and back (logs over the rpc, exec through a tunnel). Exec: output, stderr and exit
// codes, piped stdin with EOF, a TTY shell driven through `script`, the errors kubectl users
// know. Logs: -c, --tail, -f following new lines (stopped by kubectl's end, and ending by
// itself when the container ends), --previous. Port-forward on the node side (LocalPodIo
// with the DockerRuntime) reaches a busybox httpd in a pod. Without kubectl it warns and returns.

import { spawn } from 'node:child_process'
import { join } from 'node:path'
import Docker from 'dockerode'
import { expect, test } from 'vitest'
import type { PortForwardRequest } from '../../src/api/pod-io.ts'
import { DockerRuntime } from '../../src/kubelet/docker-runtime.ts'
import { LocalPodIo } from '../../src/kubelet/pod-io.ts'
import type { KObject, ObjectReader } from '../../src/store/types.ts'
import { decodeJoinToken, e2eClusters, waitFor, type TestCluster } from './cluster-harness.ts'
import { haveKubectl, KUBECTL, kubectl, type KubectlRun } from './harness/kubectl.ts'

const clusters = e2eClusters()
const IMAGE = 'flotilla/busybox:test'

function pod (name: string, containers: unknown[], extra: Record<string, unknown> = {}): KObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: 'b', terminationGracePeriodSeconds: 1, containers, ...extra } }
}

const container = (name: string, script: string): Record<string, unknown> => ({ name, image: IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', script] })

async function podStatus (c: TestCluster, name: string): Promise<{ phase?: string, containerStatuses?: Array<{ name: string, restartCount: number, state?: Record<string, unknown> }> } | undefined> {
  const r = await c.api('a').request('GET', `/api/v1/namespaces/default/pods/${name}`)
  return r.status === 200 ? (r.body as { status?: { phase?: string } }).status : undefined
}

interface Follow { stdout: () => string, stderr: () => string, exitCode: () => number | null, stop: () => Promise<void> }

/** A kubectl that keeps running (`logs -f`): its output so far, its exit code once it ended, stop() by its PID. */
function kubectlFollow (kubeconfig: string, cacheDir: string, args: string[]): Follow {
  const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  let code: number | null = null
  child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s })
  child.stderr.setEncoding('utf8').on('data', (s: string) => { err += s })
  const closed = new Promise<void>((resolve) => child.once('close', (c) => { code = c ?? -1; resolve() }))
  return {
    stdout: () => out,
    stderr: () => err,
    exitCode: () => code,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await closed
    }
  }
}

/** Runs kubectl (with `input` on stdin, then EOF) to its end. */
async function kubectlInput (kubeconfig: string, cacheDir: string, args: string[], input: string): Promise<KubectlRun> {
  return await new Promise((resolve) => {
    const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
    const timer = setTimeout(() => { child.kill('SIGKILL') }, 30_000)
    child.once('close', (code) => { clearTimeout(timer); resolve({ code: code ?? -1, stdout, stderr }) })
    child.stdin.end(input)
  })
}

/** kubectl under a pseudo-terminal (`script`) `cols` wide, typing `line` once `ready` appears in its output. */
async function kubectlTty (kubeconfig: string, cacheDir: string, args: string[], cols: number, ready: RegExp, line: string): Promise<{ code: number, out: string }> {
  const cmd = `stty cols ${cols} rows 40; exec ${[KUBECTL, '--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args].join(' ')}`
  const child = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s })
  child.stderr.setEncoding('utf8').on('data', (s: string) => { out += s })
  const exited = new Promise<number>((resolve) => child.once('close', (code) => { resolve(code ?? -1) }))
  const timer = setTimeout(() => { child.kill('SIGKILL') }, 30_000)
  try {
    await waitFor(`the prompt of ${args.join(' ')}`, () => ready.test(out), { timeoutMs: 20_000, intervalMs: 50, lastSeen: () => out })
    child.stdin.write(line)
    return { code: await exited, out }
  } finally {
    clearTimeout(timer)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
}

test('kubectl exec and logs through an agent that is not the pod\'s node', async () => {
  if (!haveKubectl()) {
    console.warn(`kubectl-exec: ${KUBECTL} is missing, so this test did not run kubectl (install kubectl v1.32 to run it)`)
    return
  }
  const c = await clusters.create('kubectl-exec', { runtime: 'docker', nodeIps: true })
  await c.form(['a', 'b', 'c'])
  const api = c.api('a')
  const kubeconfig = join(c.agent('a').dataDir, 'kubeconfig')
  const cacheDir = join(c.root, 'kube-cache')
  const run = async (...args: string[]): Promise<KubectlRun> => await kubectl(kubeconfig, cacheDir, args)

  const pods = [
    pod('web', [
      container('app', 'echo started; echo to-stderr >&2; i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.5; done'),
      container('side', 'mkdir -p /www && echo hello-from-pod > /www/index.html && exec httpd -f -p 8080 -h /www')
    ]),
    // Exits once (run 1), then runs on (run 2): `logs --previous` shows run 1.
    pod('crash', [{ ...container('app', 'n=$(cat /data/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /data/n; echo run $n; if [ $n = 1 ]; then exit 1; fi; exec sleep 3600'), volumeMounts: [{ name: 'data', mountPath: '/data' }] }], {
      volumes: [{ name: 'data', emptyDir: {} }]
    }),
    pod('short', [container('app', 'echo one; sleep 4; echo two')], { restartPolicy: 'Never' })
  ]
  for (const p of pods.slice(0, 2)) {
    const r = await api.request('POST', '/api/v1/namespaces/default/pods', p)
    expect(r.status, r.text).toBe(201)
  }
  await waitFor('pod web Running', async () => (await podStatus(c, 'web'))?.phase === 'Running', { timeoutMs: 60_000, intervalMs: 250 })

  // 1. Output, stderr and exit codes.
  const ok = await run('exec', 'web', '-c', 'app', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3')
  expect(ok.code).toBe(3)
  expect(ok.stdout).toBe('out\n')
  expect(ok.stderr).toContain('err\n')
  expect(ok.stderr).toContain('command terminated with exit code 3')
  const plain = await run('exec', 'web', '-c', 'app', '--', 'echo', 'hello', 'there')
  expect(plain).toMatchObject({ code: 0, stdout: 'hello there\n' })
  const missingFile = await run('exec', 'web', '-c', 'app', '--', 'cat', '/nonexistent')
  expect(missingFile.code).toBe(1)
  expect(missingFile.stderr).toContain('/nonexistent')

  // Errors as Kubernetes words them.
  const noPod = await run('exec', 'nope', '--', 'true')
  expect(noPod.code).toBe(1)
  expect(noPod.stderr).toContain('pods "nope" not found')
  const noContainer = await run('exec', 'web', '-c', 'zz', '--', 'true')
  expect(noContainer.code).toBe(1)
  expect(noContainer.stderr).toContain('container zz is not valid for pod web')
  const noCommand = await run('exec', 'web', '-c', 'app', '--', 'no-such-command')
  expect(noCommand.code).not.toBe(0)

  // 2. Piped stdin reaches the process, and its EOF closes it.
  const piped = await kubectlInput(kubeconfig, cacheDir, ['exec', '-i', 'web', '-c', 'app', '--', 'sh', '-c', 'cat; echo done'], 'abc\nxyz\n')
  expect(piped).toEqual({ code: 0, stdout: 'abc\nxyz\ndone\n', stderr: '' })
  // 2 MiB there and back through both agents, intact (backpressure on every hop).
  const big = Array.from({ length: 32 * 1024 }, (_, i) => `line ${String(i).padStart(8, '0')} ${'x'.repeat(49)}\n`).join('')
  const echoed = await kubectlInput(kubeconfig, cacheDir, ['exec', '-i', 'web', '-c', 'app', '--', 'cat'], big)
  expect(echoed.code, echoed.stderr).toBe(0)
  expect(echoed.stdout.length).toBe(big.length)
  expect(echoed.stdout === big).toBe(true)

  // 3. A shell under a TTY. kubectl sends the terminal's size, and the exec's terminal takes it:
  // busybox ls lays /bin out in columns as wide as the terminal (one line at 200, several at 40).
  const shell = ['exec', '-it', 'web', '-c', 'app', '--', 'sh']
  const tty = await kubectlTty(kubeconfig, cacheDir, shell, 200, /\/ # /, 'echo hi; ls /bin; exit 7\r')
  expect(tty.code, tty.out).toBe(7)
  expect(tty.out).toMatch(/(^|\n)hi\r?\n/)
  expect(tty.out).toMatch(/busybox +cat +echo .* wget/)
  const narrow = await kubectlTty(kubeconfig, cacheDir, shell, 40, /\/ # /, 'ls /bin; exit 0\r')
  expect(narrow.code, narrow.out).toBe(0)
  expect(narrow.out).toMatch(/busybox/)
  expect(narrow.out).not.toMatch(/busybox +cat +echo .* wget/)

  // 4. kubectl attach follows the container's output through a as well.
  const attach = kubectlFollow(kubeconfig, cacheDir, ['attach', 'web', '-c', 'app'])
  try {
    await waitFor('kubectl attach to print new ticks', () => /tick \d+\n(.|\n)*tick \d+\n/.test(attach.stdout()), { timeoutMs: 15_000, intervalMs: 100, lastSeen: () => ({ out: attach.stdout(), err: attach.stderr() }) })
    expect(attach.stdout()).not.toContain('started')
  } finally {
    await attach.stop()
  }

  // A terminal that goes away mid-session (script and kubectl killed) leaves both agents serving.
  const gone = spawn('script', ['-qec', `${KUBECTL} --kubeconfig ${kubeconfig} --cache-dir ${cacheDir} exec -it web -c app -- sh`, '/dev/null'], { stdio: ['pipe', 'pipe', 'ignore'] })
  let goneOut = ''
  gone.stdout.setEncoding('utf8').on('data', (s: string) => { goneOut += s })
  const goneExit = new Promise<void>((resolve) => gone.once('close', () => { resolve() }))
  try {
    await waitFor('the prompt of a shell to abandon', () => /\/ # /.test(goneOut), { timeoutMs: 20_000, intervalMs: 50, lastSeen: () => goneOut })
  } finally {
    gone.kill('SIGKILL')
    await goneExit
  }
  expect(await run('exec', 'web', '-c', 'app', '--', 'echo', 'still serving')).toMatchObject({ code: 0, stdout: 'still serving\n' })

  // The same through the pod's own agent (no relay).
  const onB = await kubectl(join(c.agent('b').dataDir, 'kubeconfig'), cacheDir, ['exec', 'web', '-c', 'app', '--', 'sh', '-c', 'echo local; exit 4'])
  expect(onB).toMatchObject({ code: 4, stdout: 'local\n' })

  // 5. Logs: a container by name (stdout and stderr), --tail, -f, --previous.
  const logs = await run('logs', 'web', '-c', 'app')
  expect(logs.code, logs.stderr).toBe(0)
  // stdout and stderr interleave by Docker's timestamps: the first three lines in some order.
  expect(logs.stdout.split('\n').slice(0, 3).sort()).toEqual(['started', 'tick 1', 'to-stderr'])
  const tail = await run('logs', 'web', '-c', 'app', '--tail', '2')
  expect(tail.stdout).toMatch(/^tick \d+\ntick \d+\n$/)
  const follow = kubectlFollow(kubeconfig, cacheDir, ['logs', '-f', 'web', '-c', 'app'])
  try {
    const first = await waitFor('logs -f to print ticks', () => /tick (\d+)\n/.exec(follow.stdout()) !== null ? Math.max(...[...follow.stdout().matchAll(/tick (\d+)/g)].map((m) => Number(m[1]))) : undefined, { timeoutMs: 15_000, intervalMs: 100 })
    await waitFor('logs -f to stream lines written after it started', () => follow.stdout().includes(`tick ${first + 3}\n`), { timeoutMs: 15_000, intervalMs: 100, lastSeen: () => follow.stdout().slice(-200) })
  } finally {
    await follow.stop()
  }

  const created = await api.request('POST', '/api/v1/namespaces/default/pods', pods[2])
  expect(created.status, created.text).toBe(201)
  await waitFor('pod short Running', async () => (await podStatus(c, 'short'))?.phase === 'Running', { timeoutMs: 30_000, intervalMs: 100 })
  const untilEnd = kubectlFollow(kubeconfig, cacheDir, ['logs', '-f', 'short'])
  try {
    // It ends by itself when the container ends, with everything the container wrote.
    await waitFor('logs -f short to end with the container', () => untilEnd.stdout() === 'one\ntwo\n' && untilEnd.exitCode() === 0, { timeoutMs: 20_000, intervalMs: 100, lastSeen: () => ({ out: untilEnd.stdout(), err: untilEnd.stderr(), code: untilEnd.exitCode() }) })
  } finally {
    await untilEnd.stop()
  }

  let crash: Awaited<ReturnType<typeof podStatus>>
  await waitFor('pod crash restarted once', async () => {
    crash = await podStatus(c, 'crash')
    const s = crash?.containerStatuses?.[0]
    return s?.restartCount === 1 && s.state?.running !== undefined
  }, { timeoutMs: 60_000, intervalMs: 250, lastSeen: () => crash })
  expect(await run('logs', 'crash')).toMatchObject({ code: 0, stdout: 'run 2\n' })
  expect(await run('logs', 'crash', '--previous')).toMatchObject({ code: 0, stdout: 'run 1\n' })
  const noPrevious = await run('logs', 'web', '-c', 'side', '--previous')
  expect(noPrevious.code).toBe(1)
  expect(noPrevious.stderr).toContain('previous terminated container "side" in pod "web" not found')

  // Port-forward, node side: b's kubelet view (LocalPodIo over the DockerRuntime of node b) connects to the pod's port.
  const web = (await api.request('GET', '/api/v1/namespaces/default/pods/web')).body as KObject
  const reader = { get: (ref: { kind: string, name: string }) => ref.kind === 'Pod' && ref.name === 'web' ? web : undefined } as unknown as ObjectReader
  const runtime = new DockerRuntime(new Docker(), { nodeName: 'b', clusterId: decodeJoinToken(c.joinToken).c })
  const io = new LocalPodIo(reader, runtime)
  const req: PortForwardRequest = { namespace: 'default', pod: 'web', port: 8080 }
  const socket = await io.portForward(req, AbortSignal.timeout(10_000))
  let answer = ''
  socket.setEncoding('utf8').on('data', (s: string) => { answer += s })
  const ended = new Promise<void>((resolve) => socket.once('close', () => { resolve() }))
  socket.end('GET /index.html HTTP/1.0\r\n\r\n')
  await ended
  expect(answer).toMatch(/^HTTP\/1\.[01] 200/)
  expect(answer).toContain('hello-from-pod')
  await expect(io.portForward({ ...req, port: 9 }, AbortSignal.timeout(10_000))).rejects.toMatchObject({ code: 503 })
}, 240_000)
