// Running one probe once, as Kubernetes does: exec succeeds on exit code 0; httpGet on a
// status from 200 to 399; tcpSocket when a connection opens. httpGet and tcpSocket go to the
// pod's IP (Docker's bridge addresses answer from the host on these machines) unless the
// probe names a host; a named port is looked up among the container's ports.

import { connect } from 'node:net'
import type { Container, Probe } from '../objects/pod-spec.ts'
import type { ContainerRuntime } from './runtime.ts'

export interface ProbeTarget {
  containerId: string
  container: Container
  podIP: string
}

/** Runs one probe; resolves to success or failure, with a message for failures. */
export type Prober = (target: ProbeTarget, probe: Probe) => Promise<{ ok: boolean, message: string }>

function portOf (c: Container, port: number | string): number {
  if (typeof port === 'number') return port
  const named = (c.ports ?? []).find((p) => p.name === port)
  return named?.containerPort ?? Number(port)
}

async function tcpProbe (host: string, port: number, timeoutMs: number): Promise<{ ok: boolean, message: string }> {
  return await new Promise((resolve) => {
    const socket = connect({ host, port })
    const done = (ok: boolean, message: string): void => {
      socket.destroy()
      clearTimeout(timer)
      resolve({ ok, message })
    }
    const timer = setTimeout(() => { done(false, `dial tcp ${host}:${port}: i/o timeout`) }, timeoutMs)
    socket.once('connect', () => { done(true, '') })
    socket.once('error', (err) => { done(false, `dial tcp ${host}:${port}: ${err.message}`) })
  })
}

/** The real prober: exec through the runtime, HTTP and TCP from the host to the pod. */
export function runtimeProber (runtime: ContainerRuntime): Prober {
  return async (target, probe) => {
    const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000
    if (probe.exec !== undefined) {
      const r = await runtime.exec(target.containerId, probe.exec.command ?? [], timeoutMs)
      return r.exitCode === 0 ? { ok: true, message: '' } : { ok: false, message: r.exitCode < 0 ? `command timed out: ${r.output}` : r.output.trim() }
    }
    if (probe.httpGet !== undefined) {
      const g = probe.httpGet
      const host = g.host ?? target.podIP
      const url = `${(g.scheme ?? 'HTTP').toLowerCase()}://${host}:${portOf(target.container, g.port)}${g.path ?? '/'}`
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' })
        await res.body?.cancel()
        return res.status >= 200 && res.status < 400 ? { ok: true, message: '' } : { ok: false, message: `HTTP probe failed with statuscode: ${res.status}` }
      } catch (err) {
        return { ok: false, message: `Get "${url}": ${(err as Error).message}` }
      }
    }
    if (probe.tcpSocket !== undefined) {
      return await tcpProbe(probe.tcpSocket.host ?? target.podIP, portOf(target.container, probe.tcpSocket.port), timeoutMs)
    }
    return { ok: false, message: 'probe has no handler: set exec, httpGet or tcpSocket' }
  }
}
