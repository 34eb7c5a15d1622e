// The machine-wide lock that e2e test files hold while their agent processes run
// (test/e2e/harness/e2e-lock.ts: a listening socket in Linux's abstract namespace, released by
// the kernel when its holder exits). Suites that start real processes hold it too, so a
// benchmark and an e2e run do not compete for the CPU: the figures would be wrong and the
// tests' election timeouts would fire.

import { releaseLock, tryLock } from '../e2e/harness/e2e-lock.ts'
import { sleep } from './processes.ts'

/** Give up waiting after this long and run anyway (with a note). */
const MAX_WAIT_MS = 15 * 60_000
const LOCK_NAME = 'the e2e machine lock (abstract socket @flotilla-e2e-lock)'

/**
 * Run `fn` holding the lock. Waits (saying so) up to 15 minutes, then runs anyway;
 * the returned note says so, for the suite's notes.
 */
export async function withMachineLock<T> (log: (line: string) => void, fn: (note: string | null) => Promise<T>): Promise<T> {
  const deadline = Date.now() + MAX_WAIT_MS
  let held = await tryLock()
  if (!held) log(`waiting for ${LOCK_NAME} (e2e tests or another benchmark are running) so as not to measure while they compete for the CPU`)
  while (!held && Date.now() < deadline) {
    await sleep(500)
    held = await tryLock()
  }
  const note = held ? null : `Ran without the machine lock (${LOCK_NAME} stayed held for ${MAX_WAIT_MS / 60_000} minutes): other real-process tests may have competed for the CPU.`
  try {
    return await fn(note)
  } finally {
    if (held) await releaseLock()
  }
}
