// Temporary directories for benchmark data, removed when the benchmark is done with them —
// and, if the run is interrupted (Ctrl-C, SIGTERM), removed before the process exits. Other
// modules register clean-ups (killing child processes and waiting for them to be gone) with
// onInterrupt; those run first, so nothing still writes into a directory while it is removed.

import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const live = new Set<string>()
const interruptHooks = new Set<() => void | Promise<void>>()
/** How long the interrupt clean-ups may take before the directories are removed anyway. */
const HOOK_TIMEOUT_MS = 5_000
let handlersInstalled = false

/** Run `hook` if the benchmark is interrupted, before the temp dirs go. Returns an unregister function. */
export function onInterrupt (hook: () => void | Promise<void>): () => void {
  installHandlers()
  interruptHooks.add(hook)
  return () => { interruptHooks.delete(hook) }
}

/** A fresh directory under os.tmpdir(); remove it with removeTempDir. */
export async function makeTempDir (prefix: string): Promise<string> {
  installHandlers()
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-`))
  live.add(dir)
  return dir
}

export async function removeTempDir (dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
  live.delete(dir)
}

function installHandlers (): void {
  if (handlersInstalled) return
  handlersInstalled = true
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    // A second signal finds no listener and ends the process at once.
    process.once(signal, () => {
      void (async () => {
        const hooks = [...interruptHooks].map(async (hook) => { await hook() })
        let timer: NodeJS.Timeout | undefined
        await Promise.race([Promise.allSettled(hooks), new Promise((resolve) => { timer = setTimeout(resolve, HOOK_TIMEOUT_MS) })])
        clearTimeout(timer)
        for (const dir of live) {
          try { rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }) } catch (err) {
            console.error(`could not remove ${dir}: ${(err as Error).message}`)
          }
        }
        process.exit(signal === 'SIGINT' ? 130 : 143)
      })()
    })
  }
}
