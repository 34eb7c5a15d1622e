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
  while (!await tryLock()) await delay(250)
}

/** Take the lock if it is free; true if this process holds it now (always true off Linux). */
export async function tryLock (): Promise<boolean> {
  if (process.platform !== 'linux' || held !== null) return true
  const server = createServer()
  const ok = await new Promise<boolean>((resolveListen) => {
    server.once('error', () => { resolveListen(false) })
    server.listen(LOCK_NAME, () => { resolveListen(true) })
  })
  if (!ok) return false
  server.unref()
  held = server
  return true
}

export async function releaseLock (): Promise<void> {
  const server = held
  held = null
  if (server !== null) await new Promise<void>((resolveClose) => { server.close(() => { resolveClose() }) })
}
