// Turning dockerode failures into what the kubelet acts on: a daemon that cannot be reached or
// does not answer (RuntimeUnavailableError, which turns the Node NotReady), the engine's own message (found in
// err.json.message; err.message only says "(HTTP code 404) no such container"), and the
// "already done" answers (304 already stopped, 404 gone, 409 removal in progress) that an
// idempotent sync ignores.

import { RuntimeUnavailableError } from './runtime.ts'

interface DockerError extends Error { code?: string, statusCode?: number, json?: { message?: string } | null, reason?: string }

const CONNECTION_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH'])

/** The engine's message for a failed call. */
export function engineMessage (err: unknown): string {
  const e = err as DockerError
  const json = e.json
  if (json !== null && typeof json === 'object' && typeof json.message === 'string') return json.message
  if (typeof json === 'string' && json !== '') return (json as string).trim()
  return e.message
}

export function statusOf (err: unknown): number | undefined {
  return (err as DockerError).statusCode
}

/** Where this process looks for the Docker Engine. */
export function dockerEndpoint (): string {
  return process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'
}

/** RuntimeUnavailableError (saying what to do) if `err` means the daemon cannot be reached, else `err`. */
export function classify (err: unknown): unknown {
  const e = err as DockerError
  if (e instanceof RuntimeUnavailableError) return e
  if (e.statusCode === undefined && (CONNECTION_CODES.has(e.code ?? '') || /connect|socket hang up/i.test(e.message ?? ''))) {
    return new RuntimeUnavailableError(`No Docker Engine answers at ${dockerEndpoint()} (${e.code ?? e.message}): start dockerd (or set DOCKER_HOST), or run this agent with --runtime fake`)
  }
  return err
}

/** Run a Docker call, rethrowing connection failures as RuntimeUnavailableError. */
export async function docker<T> (call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (err) {
    throw classify(err)
  }
}

/** Run a Docker call whose "already done" answers (304, 404, 409) are fine. */
export async function idempotent (call: () => Promise<unknown>): Promise<void> {
  try {
    await call()
  } catch (err) {
    const code = statusOf(err)
    if (code === 304 || code === 404 || code === 409) return
    throw classify(err)
  }
}

/** `call`, or RuntimeUnavailableError if the daemon has not answered within `ms`: a hung daemon is down too. */
export async function answered<T> (call: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const silent = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new RuntimeUnavailableError(`The Docker Engine at ${dockerEndpoint()} accepts connections but did not answer within ${ms} ms: check dockerd (its log, its disk), or run this agent with --runtime fake`)) }, ms)
  })
  return await docker(async () => await Promise.race([call, silent])).finally(() => { clearTimeout(timer) })
}
