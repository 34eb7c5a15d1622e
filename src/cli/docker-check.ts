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
