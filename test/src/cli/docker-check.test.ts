// The Docker Engine check `flotilla up` runs first: a real unix socket server stands in for
// the engine's /_ping.

import { createServer, type Server } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_DOCKER_SOCKET, dockerProblem, dockerSocket } from '../../../src/cli/docker-check.ts'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f() })

async function engine (status: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-docker-check-'))
  const socketPath = join(dir, 'docker.sock')
  const server: Server = createServer((req, res) => {
    res.statusCode = req.url === '/_ping' ? status : 404
    res.end('OK')
  })
  await new Promise<void>((resolve) => { server.listen(socketPath, resolve) })
  cleanup.push(async () => {
    await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    await rm(dir, { recursive: true, force: true })
  })
  return socketPath
}

describe('dockerProblem', () => {
  it('is null when the engine answers its ping', async () => {
    expect(await dockerProblem(await engine(200))).toBeNull()
  })

  it('names the socket and the cause when nothing listens, or the engine is unwell', async () => {
    expect(await dockerProblem('/nonexistent/docker.sock')).toBe('cannot reach the Docker Engine at /nonexistent/docker.sock: no Docker Engine is listening there')
    const sick = await engine(500)
    expect(await dockerProblem(sick)).toBe(`the Docker Engine at ${sick} answered /_ping with HTTP 500`)
    expect(await dockerProblem(null)).toMatch(/is not a unix socket/)
  })

  it('takes the socket from DOCKER_HOST when it is a unix one', () => {
    expect(dockerSocket({})).toBe(DEFAULT_DOCKER_SOCKET)
    expect(dockerSocket({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })).toBe('/run/user/1000/docker.sock')
    expect(dockerSocket({ DOCKER_HOST: 'tcp://10.0.0.1:2375' })).toBeNull()
  })
})
