// Last-moment cleanup of an e2e test process: synchronous hooks that run when it exits, or when
// a signal (Ctrl-C, a runner tearing down) stops it — then it dies of that same signal. Used to
// kill agent processes and remove temp dirs that a test's own cleanup never reached.

const hooks: Array<() => void> = []
let ran = false

function runHooks (): void {
  if (ran) return
  ran = true
  for (const hook of hooks) {
    try { hook() } catch { /* best effort: the process is ending */ }
  }
}

process.once('exit', runHooks)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    runHooks()
    process.kill(process.pid, signal)
  })
}

/** Run `hook` (synchronously) when this process ends, in registration order. */
export function onProcessEnd (hook: () => void): void {
  hooks.push(hook)
}
