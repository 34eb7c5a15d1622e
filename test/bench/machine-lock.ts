// The machine-wide lock that e2e test files hold while their agent processes run
// (test/e2e/cluster-harness.ts: os.tmpdir()/flotilla-e2e.lock holding "PID EPOCH-MS", taken
// over when its holder is dead or it is older than 15 minutes). Suites that start real
// processes hold it too, so a benchmark and an e2e run do not compete for the CPU: the
// figures would be wrong and the tests' election timeouts would fire.

import { readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sleep } from './processes.ts'
import { onInterrupt } from './temp-dirs.ts'

const LOCK_PATH = join(tmpdir(), 'flotilla-e2e.lock')
const LOCK_STALE_MS = 15 * 60_000
/** Give up waiting after this long and run anyway (with a note). */
const MAX_WAIT_MS = 15 * 60_000

function alive (pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Try once; true if this process now holds the lock. */
function tryTake (): boolean {
  try {
    writeFileSync(LOCK_PATH, `${process.pid} ${Date.now()}\n`, { flag: 'wx' })
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
  try {
    const [pid, at] = readFileSync(LOCK_PATH, 'utf8').trim().split(' ')
    if (!alive(Number(pid)) || Date.now() - Number(at) > LOCK_STALE_MS) {
      try { unlinkSync(LOCK_PATH) } catch { /* someone else took it over */ }
    }
  } catch { /* vanished between the two calls: try again */ }
  return false
}

function holder (): string {
  try { return readFileSync(LOCK_PATH, 'utf8').trim().split(' ')[0] ?? '?' } catch { return '?' }
}

/**
 * Run `fn` holding the lock. Waits (logging who holds it) up to 15 minutes, then runs anyway;
 * the returned note says so, for the suite's notes.
 */
export async function withMachineLock<T> (log: (line: string) => void, fn: (note: string | null) => Promise<T>): Promise<T> {
  const deadline = Date.now() + MAX_WAIT_MS
  let held = tryTake()
  if (!held) log(`waiting for ${LOCK_PATH} (held by pid ${holder()}: e2e tests are running) so as not to measure while they compete for the CPU`)
  while (!held && Date.now() < deadline) {
    await sleep(500)
    held = tryTake()
  }
  const release = (): void => {
    try {
      const [pid] = readFileSync(LOCK_PATH, 'utf8').trim().split(' ')
      if (Number(pid) === process.pid) rmSync(LOCK_PATH, { force: true })
    } catch { /* gone */ }
  }
  const unhook = held ? onInterrupt(release) : () => {}
  const note = held ? null : `Ran without the machine lock (${LOCK_PATH} stayed held by pid ${holder()} for ${MAX_WAIT_MS / 60_000} minutes): other real-process tests may have competed for the CPU.`
  try {
    return await fn(note)
  } finally {
    unhook()
    if (held) release()
  }
}
