// `flotilla up` as a user runs it: N agent processes form a cluster, the example applies, and
// the command stops every agent when it ends. Without a reachable Docker Engine (and the
// default docker runtime) it refuses at once and says what to do.

import { execFile, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { dockerProblem } from '../../src/cli/docker-check.ts'
import { defaultServiceCidr } from '../../src/store/bootstrap.ts'
import { acquireLock, releaseLock } from './harness/e2e-lock.ts'
import { httpRequest } from './harness/http.ts'
import { waitFor } from './harness/wait.ts'

const REPO = resolve(import.meta.dirname, '../..')
const BIN = join(REPO, 'bin', 'flotilla.js')

interface Outcome { code: number | null, stdout: string, stderr: string }

async function runUp (args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Outcome> {
  const child = spawn(process.execPath, [BIN, 'up', ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString('utf8') })
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8') })
  const timer = setTimeout(() => { child.kill('SIGKILL') }, timeoutMs)
  const code = await new Promise<number | null>((resolveExit) => { child.once('close', (c) => { resolveExit(c) }) })
  clearTimeout(timer)
  return { code, stdout, stderr }
}

async function containersOf (clusterId: string): Promise<string[]> {
  return await new Promise((resolveList) => {
    execFile('docker', ['ps', '-aq', '--filter', `label=io.flotilla.cluster=${clusterId}`], (err, out) => {
      resolveList(err === null ? out.split('\n').filter((l) => l !== '') : ['(docker ps failed)'])
    })
  })
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('flotilla up', () => {
  let dir: string
  beforeAll(async () => {
    await acquireLock()
    dir = await mkdtemp(join(tmpdir(), 'flotilla-up-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
    await releaseLock()
  })

  test('starts 3 agents that form a cluster, applies the example, and stops them all at the end', async () => {
    const out = await runUp(['--nodes', '3', '--dir', dir, '--runtime', 'fake', '-f', 'examples/manifests/web.yaml', '--detach-after', '4'], process.env, 120_000)
    expect(out.stderr).not.toMatch(/internal error/)
    expect(out.code, out.stderr).toBe(0)
    expect(out.stdout).toContain('3 agents are up. kubeconfig: ')
    expect(out.stdout).toMatch(/configmap\/web-config (created|configured|unchanged)/)
    expect(out.stdout).toMatch(/deployment\.apps\/web (created|configured|unchanged)/)
    expect(out.stdout).toMatch(/service\/web (created|configured|unchanged)/)
    // It said which processes it started; every one of them is gone now.
    const pids = [...out.stderr.matchAll(/\[agent-\d+\] up \(pid (\d+)\)/g)].map((m) => Number(m[1]))
    expect(pids).toHaveLength(3)
    for (const pid of pids) expect(alive(pid)).toBe(false)
  }, 150_000)

  test('with Docker: the example runs on all 3 agents, and Ctrl-C stops the agents and removes the pods\' containers', async () => {
    const problem = await dockerProblem()
    if (problem !== null) throw new Error(`this test runs real containers and needs a Docker Engine (${problem}): run bash examples/setup-docker.sh`)
    const upDir = join(dir, 'docker')
    const child = spawn(process.execPath, [BIN, 'up', '--nodes', '3', '--dir', upDir, '-f', 'examples/manifests/web.yaml'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString('utf8') })
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8') })
    const exited = new Promise<number | null>((resolveExit) => { child.once('close', (c) => { resolveExit(c) }) })
    try {
      await waitFor('up to apply the example', () => stdout.includes('Ctrl-C stops the cluster.') ? true : undefined, { timeoutMs: 120_000, intervalMs: 250 })
      const kubeconfig = await readFile(join(upDir, 'kubeconfig'), 'utf8')
      // The kubeconfig names the HTTPS URL; the same port answers plain HTTP, which httpRequest speaks.
      const server = (/server: (\S+)/.exec(kubeconfig)?.[1] ?? '').replace(/^https:/, 'http:')
      const token = /token: (\S+)/.exec(kubeconfig)?.[1] ?? ''
      const nodes = await waitFor('3 web pods Running, one per agent', async () => {
        const r = await httpRequest(`${server}/api/v1/namespaces/default/pods?labelSelector=app%3Dweb`, { token })
        const items = (r.body as { items?: Array<{ spec: { nodeName?: string }, status?: { phase?: string } }> }).items ?? []
        const running = items.filter((p) => p.status?.phase === 'Running')
        return running.length === 3 ? new Set(running.map((p) => p.spec.nodeName)) : undefined
      }, { timeoutMs: 90_000, intervalMs: 500 })
      expect(nodes.size).toBe(3)
      // The example's NodePort Service answers at port 30080 of every agent's own address.
      expect(stdout).toContain('service default/web: curl http://127.0.0.2:30080/')
      for (const ip of ['127.0.0.2', '127.0.0.3', '127.0.0.4']) {
        const page = await waitFor(`the example's page at ${ip}:30080`, async () => {
          const r = await httpRequest(`http://${ip}:30080/`).catch(() => undefined)
          return r?.status === 200 ? r.text : undefined
        }, { timeoutMs: 60_000, intervalMs: 250 })
        expect(page).toContain('Hello from Flotilla (pod web-')
      }
      const clusterId = (JSON.parse(await readFile(join(upDir, 'agent-1', 'cluster.json'), 'utf8')) as { clusterId: string }).clusterId
      expect((await containersOf(clusterId)).length).toBe(6)
      child.kill('SIGINT')
      expect(await exited).toBe(0)
      expect(stderr).toContain("removed the pods' 6 containers")
      expect(await containersOf(clusterId)).toEqual([])
      // Nor is the route of the cluster's Service range left behind.
      const routes = await new Promise<string>((resolveRoutes) => { execFile('ip', ['route', 'show', 'table', 'local'], (_err, out) => { resolveRoutes(out) }) })
      expect(routes).not.toContain(defaultServiceCidr(clusterId))
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  }, 240_000)

  test('agents stop by themselves when up is killed (SIGKILL: no chance to stop them)', async () => {
    const child = spawn(process.execPath, [BIN, 'up', '--nodes', '2', '--dir', join(dir, 'killed'), '--runtime', 'fake'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString('utf8') })
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8') })
    let pids: number[] = []
    try {
      await waitFor('up to start 2 agents', () => stdout.includes('Ctrl-C stops the cluster.') ? true : undefined, { timeoutMs: 120_000, intervalMs: 250 })
      pids = [...stderr.matchAll(/\[agent-\d+\] up \(pid (\d+)\)/g)].map((m) => Number(m[1]))
      expect(pids).toHaveLength(2)
      child.kill('SIGKILL')
      await waitFor('both agents to exit', () => pids.every((pid) => !alive(pid)) ? true : undefined, { timeoutMs: 30_000, intervalMs: 250 })
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
      for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL')
    }
  }, 180_000)

  test('without a reachable Docker Engine it refuses at once and says what to do', async () => {
    const out = await runUp(['--nodes', '1', '--dir', dir], { ...process.env, DOCKER_HOST: `unix://${join(dir, 'no-docker.sock')}` }, 30_000)
    expect(out.code).toBe(1)
    expect(out.stderr).toContain('cannot reach the Docker Engine')
    expect(out.stderr).toContain('examples/setup-docker.sh')
    expect(out.stderr).toContain('--runtime fake')
  }, 40_000)
})
