// Temporary directories for benchmark data, removed when the benchmark is done with them —
// and, if the run is interrupted (Ctrl-C, SIGTERM), removed before the process exits.

import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const live = new Set<string>()
let handlersInstalled = false

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
    process.once(signal, () => {
      for (const dir of live) rmSync(dir, { recursive: true, force: true })
      process.exit(signal === 'SIGINT' ? 130 : 143)
    })
  }
}
