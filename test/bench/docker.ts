// The docker CLI for benchmarks that run real containers: one call at a time through
// execFile, containers found and removed by label only (never by name or image), and the
// checks a suite makes before it starts (an engine answers, the image is there).

import { execFile } from 'node:child_process'
import { dockerProblem } from '../../src/cli/docker-check.ts'

/** A docker CLI call that failed; the message carries the CLI's own error text. */
export class DockerCommandError extends Error {
  override readonly name = 'DockerCommandError'
}

/** Run `docker ARGS…`; resolves with stdout, rejects with the CLI's stderr. */
export async function docker (args: readonly string[], timeoutMs = 60_000): Promise<string> {
  return await new Promise((resolve, reject) => {
    execFile('docker', args, { timeout: timeoutMs, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => {
      if (err === null) resolve(stdout)
      else reject(new DockerCommandError(`docker ${args.join(' ')}: ${stderr.trim() !== '' ? stderr.trim() : err.message}`))
    })
  })
}

/** Ids of the containers (any state, or running only) carrying every one of `labels` (`key=value`). */
export async function containersWith (labels: readonly string[], runningOnly = false): Promise<string[]> {
  const filters = labels.flatMap((l) => ['--filter', `label=${l}`])
  const out = await docker(['ps', ...(runningOnly ? [] : ['-a']), '-q', '--no-trunc', ...filters])
  return out.split('\n').filter((id) => id !== '')
}

/**
 * When Docker started the first and the last of the running containers carrying all of
 * `labels` (epoch ms, from State.StartedAt): the engine's side of a timing, free of any
 * status reporting or polling delay.
 */
export async function startedRange (labels: readonly string[]): Promise<{ first: number, last: number }> {
  const ids = await containersWith(labels, true)
  if (ids.length === 0) return { first: Number.NaN, last: Number.NaN }
  const out = await docker(['inspect', '-f', '{{.State.StartedAt}}', ...ids])
  const times = out.split('\n').filter((l) => l !== '').map((l) => Date.parse(l))
  return { first: Math.min(...times), last: Math.max(...times) }
}

/** `docker rm -f` every container carrying all of `labels`; resolves with how many there were. */
export async function removeContainers (labels: readonly string[]): Promise<number> {
  if (labels.length === 0) throw new Error('refusing to remove containers without a label filter')
  const ids = await containersWith(labels)
  // In batches: one command line for hundreds of ids is fine, but a failure names fewer.
  for (let i = 0; i < ids.length; i += 50) await docker(['rm', '-f', ...ids.slice(i, i + 50)], 120_000).catch(() => {})
  return ids.length
}

/** Throws, saying what to do, unless a Docker Engine answers and has `image` locally. */
export async function requireDockerImage (image: string): Promise<string> {
  const problem = await dockerProblem()
  if (problem !== null) throw new Error(`this suite runs real containers and needs a Docker Engine (${problem}): run bash examples/setup-docker.sh, or leave the suite out with --only`)
  try {
    return (await docker(['image', 'inspect', '-f', '{{.Id}}', image])).trim()
  } catch {
    throw new Error(`the image ${image} is not in the Docker Engine: run bash examples/setup-docker.sh to build it`)
  }
}
