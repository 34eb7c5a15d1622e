// A machine-wide lock that e2e files hold while they run, so that they never compete with
// each other for the CPU (Raft election timeouts are a few hundred ms) when vitest runs files
// in parallel. It is a listening Unix socket in Linux's abstract namespace: the kernel releases
// it when its holder exits, however it exits, so a crashed run never leaves a stale lock.
// Elsewhere there is no lock.

import { createServer, type Server } from 'node:net'
import { delay } from './wait.ts'

const LOCK_NAME = '\0flotilla-e2e-lock'

let held: Server | null = null

/** Wait until this process holds the lock (polling every 250 ms). */
export async function acquireLock (): Promise<void> {
  if (process.platform !== 'linux' || held !== null) return
  for (;;) {
    const server = createServer()
    const ok = await new Promise<boolean>((resolveListen) => {
      server.once('error', () => { resolveListen(false) })
      server.listen(LOCK_NAME, () => { resolveListen(true) })
    })
    if (ok) {
      server.unref()
      held = server
      return
    }
    await delay(250)
  }
}

export async function releaseLock (): Promise<void> {
  const server = held
  held = null
  if (server !== null) await new Promise<void>((resolveClose) => { server.close(() => { resolveClose() }) })
}
