// Is a Docker Engine reachable? `flotilla up` asks before starting agents whose pods would
// otherwise all fail, and says what to do when it is not. Talks to the engine's /_ping
// endpoint on its unix socket (DOCKER_HOST=unix://… honoured), with a short timeout.

import { request } from 'node:http'

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock'

/** The unix socket of the engine, from DOCKER_HOST or the default; null for a non-unix DOCKER_HOST. */
export function dockerSocket (env: NodeJS.ProcessEnv = process.env): string | null {
  const host = env.DOCKER_HOST
  if (host === undefined || host === '') return DEFAULT_DOCKER_SOCKET
  return host.startsWith('unix://') ? host.slice('unix://'.length) : null
}

/** null when the engine answers; otherwise why not, in words a user can act on. */
export async function dockerProblem (socketPath: string | null = dockerSocket(), timeoutMs = 3000): Promise<string | null> {
  if (socketPath === null) return `DOCKER_HOST=${process.env.DOCKER_HOST ?? ''} is not a unix socket; Flotilla talks to a local Docker Engine over its unix socket`
  return await new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume()
      resolve(res.statusCode === 200 ? null : `the Docker Engine at ${socketPath} answered /_ping with HTTP ${res.statusCode ?? '?'}`)
    })
    req.on('timeout', () => { req.destroy(new Error('timed out')) })
    req.on('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ENOENT' ? 'no Docker Engine is listening there' : err.code === 'EACCES' ? 'permission denied (run as root or join the docker group)' : err.message
      resolve(`cannot reach the Docker Engine at ${socketPath}: ${why}`)
    })
    req.end()
  })
}

/** One request to the engine's API over its unix socket; resolves with status and body. */
async function dockerApi (socketPath: string, method: string, path: string, timeoutMs = 10_000): Promise<{ status: number, body: string }> {
  return await new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method, timeout: timeoutMs }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
    })
    req.on('timeout', () => { req.destroy(new Error(`the Docker Engine did not answer ${method} ${path} within ${timeoutMs} ms`)) })
    req.on('error', reject)
    req.end()
  })
}

/**
 * Remove (force) every container of one cluster — the kubelets label what they create with
 * io.flotilla.cluster — and nothing else. Resolves with how many went.
 */
export async function removeClusterContainers (clusterId: string, socketPath: string | null = dockerSocket()): Promise<number> {
  if (socketPath === null) return 0
  const filters = encodeURIComponent(JSON.stringify({ label: [`io.flotilla.cluster=${clusterId}`] }))
  const list = await dockerApi(socketPath, 'GET', `/containers/json?all=1&filters=${filters}`)
  if (list.status !== 200) throw new Error(`listing containers failed: HTTP ${list.status} ${list.body.slice(0, 200)}`)
  const ids = (JSON.parse(list.body) as Array<{ Id: string }>).map((c) => c.Id)
  await Promise.all(ids.map(async (id) => { await dockerApi(socketPath, 'DELETE', `/containers/${id}?force=1&v=1`) }))
  return ids.length
}
