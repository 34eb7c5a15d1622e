// Shared helpers of the net tests: real hosts on 127.0.0.1, log capture, and polling with a
// deadline (never fixed sleeps).

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHost, type Host, type HostOptions } from '../../net/host.ts'

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function until<T> (check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

/** Lines a component logged, for asserting on notices. */
export class LogCapture {
  readonly lines: string[] = []
  readonly log = (line: string): void => { this.lines.push(line) }
  matching (re: RegExp): string[] {
    return this.lines.filter(l => re.test(l))
  }
}

/** Hosts created through this tracker are stopped by stopAll() (afterEach). */
export class HostTracker {
  private readonly hosts = new Set<Host>()

  async create (options: HostOptions): Promise<Host> {
    const host = await createHost(options)
    this.hosts.add(host)
    return host
  }

  async stop (host: Host): Promise<void> {
    this.hosts.delete(host)
    await host.stop()
  }

  async stopAll (): Promise<void> {
    const hosts = [...this.hosts]
    this.hosts.clear()
    await Promise.all(hosts.map(async h => { await h.stop() }))
  }
}

export async function tempDir (): Promise<{ path: string, remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'flotilla-net-'))
  return { path, remove: async () => { await rm(path, { recursive: true, force: true }) } }
}

/** A port from a host's listen address ("127.0.0.1:PORT"). */
export function portOf (host: Host): number {
  const address = host.listenAddresses[0]
  if (address === undefined) throw new Error('host has no listen address')
  return Number(address.slice(address.lastIndexOf(':') + 1))
}
