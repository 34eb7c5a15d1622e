// The real kubectl, run against an agent with the kubeconfig it wrote: one command to its end
// (`kubectl`; `ok` for one that must succeed quietly), or a long-running one (`get -w`) whose
// output is read as it comes and which is stopped by its PID.

import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'

export const KUBECTL = '/usr/bin/kubectl'

/**
 * Whether kubectl is here to run. Without it a test says so and does not run kubectl, except
 * under `.ci/run`, which sets FLOTILLA_REQUIRE_KUBECTL=1 after checking kubectl is installed:
 * there its absence is an error, so CI never passes these tests by skipping them.
 */
export function haveKubectl (): boolean {
  if (existsSync(KUBECTL)) return true
  if (process.env.FLOTILLA_REQUIRE_KUBECTL === '1') {
    throw new Error(`${KUBECTL} is missing, but FLOTILLA_REQUIRE_KUBECTL=1 says these tests must run kubectl: install kubectl (v1.30 or later)`)
  }
  return false
}

export interface KubectlRun { code: number, stdout: string, stderr: string }

export interface KubectlOptions {
  /** Written to kubectl's stdin (`apply -f -`, `replace -f -`), which is closed after it. */
  stdin?: string
  /** More environment variables (EDITOR for `kubectl edit`). */
  env?: Record<string, string>
}

/** Runs kubectl to its end (30 s at most), with its discovery cache in `cacheDir`. */
export async function kubectl (kubeconfig: string, cacheDir: string, args: string[], options: KubectlOptions = {}): Promise<KubectlRun> {
  return await new Promise((resolveRun) => {
    const child = execFile(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, '--request-timeout', '10s', ...args], {
      timeout: 30_000,
      env: { ...process.env, ...options.env }
    }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1
      resolveRun({ code, stdout, stderr })
    })
    child.stdin?.end(options.stdin ?? '')
  })
}

/** `kubectl` bound to one kubeconfig and cache dir. */
export type Kubectl = (args: string[], options?: KubectlOptions) => Promise<KubectlRun>

export function kubectlWith (kubeconfig: string, cacheDir: string): Kubectl {
  return async (args, options) => await kubectl(kubeconfig, cacheDir, args, options)
}

/**
 * Runs a command that must succeed quietly: exit code 0 and nothing on stderr (no discovery
 * warnings, no deprecation notes), else throws with what kubectl printed.
 */
export async function ok (k: Kubectl, args: string[], options?: KubectlOptions): Promise<string> {
  const r = await k(args, options)
  if (r.code !== 0 || r.stderr !== '') throw new Error(`kubectl ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  return r.stdout
}

export interface KubectlStream {
  /** Everything written to stdout so far. */
  stdout: () => string
  stderr: () => string
  /** SIGTERM to this process, then waits for it to exit. */
  stop: () => Promise<void>
}

/** Starts a kubectl that keeps running (`get -w`). */
export function kubectlStream (kubeconfig: string, cacheDir: string, args: string[]): KubectlStream {
  const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s })
  child.stderr.setEncoding('utf8').on('data', (s: string) => { err += s })
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  return {
    stdout: () => out,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    }
  }
}
