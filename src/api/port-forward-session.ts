// The port-forward protocol (`portforward.k8s.io`) over a SPDY session: for each local
// connection kubectl opens two streams with the headers streamtype (error or data), port and
// requestid. Once both streams of a request are there, this side connects to the pod's port
// (PodIo.portForward) and copies bytes between the data stream and that connection, half-closes
// included. When it cannot connect it writes why on the error stream, as the kubelet does, and
// ends both streams. The error stream is ended when the request is done.

import type { Duplex } from 'node:stream'
import type { PodIo } from './pod-io.ts'
import { RstStatus } from './spdy/frames.ts'
import type { SpdySession } from './spdy/session.ts'
import type { SpdyStream } from './spdy/stream.ts'

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io'

export interface PortForwardTarget {
  podIo: PodIo
  namespace: string
  pod: string
  /** Aborted when the server stops. */
  signal: AbortSignal
  /** How long the first stream of a request waits for the other. Default 30 s (as the kubelet). */
  pairTimeoutMs?: number
}

interface Pair {
  id: string
  error?: SpdyStream
  data?: SpdyStream
  timer: NodeJS.Timeout
}

/** Serves port-forward requests on `session` until it closes. */
export class PortForwardSession {
  private readonly pairs = new Map<string, Pair>()
  private readonly pairTimeoutMs: number

  constructor (private readonly session: SpdySession, private readonly target: PortForwardTarget) {
    this.pairTimeoutMs = target.pairTimeoutMs ?? 30_000
    session.on('stream', (stream) => { this.onStream(stream) })
    session.on('close', () => {
      for (const p of this.pairs.values()) clearTimeout(p.timer)
      this.pairs.clear()
    })
  }

  private onStream (stream: SpdyStream): void {
    stream.on('error', () => {})
    const type = stream.header('streamtype')
    const port = Number(stream.header('port') ?? '')
    if ((type !== 'error' && type !== 'data') || !Number.isInteger(port) || port < 1 || port > 65535) {
      // The kubelet refuses such streams the same way.
      stream.reset(RstStatus.REFUSED_STREAM)
      return
    }
    // Old clients send no requestid: their error and data streams have consecutive odd IDs.
    const id = stream.header('requestid') ?? String(type === 'error' ? stream.id : stream.id - 2)
    let pair = this.pairs.get(id)
    if (pair === undefined) {
      const fresh: Pair = { id, timer: setTimeout(() => { this.timedOut(fresh) }, this.pairTimeoutMs) }
      fresh.timer.unref()
      this.pairs.set(id, fresh)
      pair = fresh
    }
    if (pair[type] !== undefined) {
      stream.reset(RstStatus.PROTOCOL_ERROR)
      return
    }
    pair[type] = stream
    stream.reply().catch(() => {})
    const { error, data } = pair
    if (error !== undefined && data !== undefined) {
      clearTimeout(pair.timer)
      this.pairs.delete(id)
      void this.forward(error, data, port)
    }
  }

  private timedOut (pair: Pair): void {
    this.pairs.delete(pair.id)
    if (pair.error !== undefined) {
      pair.error.resume()
      pair.error.end(`timed out waiting for the data stream of port-forward request ${pair.id}`)
    }
    pair.data?.reset(RstStatus.CANCEL)
  }

  private async forward (error: SpdyStream, data: SpdyStream, port: number): Promise<void> {
    // The client sends nothing on the error stream but its FIN; reading it lets the stream close.
    error.resume()
    const gone = new AbortController()
    data.once('close', () => { gone.abort() })
    let pod: Duplex
    try {
      pod = await this.target.podIo.portForward({ namespace: this.target.namespace, pod: this.target.pod, port }, AbortSignal.any([gone.signal, this.target.signal]))
    } catch (err) {
      if (!data.destroyed) {
        error.end(`error forwarding port ${port} to pod ${this.target.namespace}/${this.target.pod}: ${(err as Error).message}`)
        data.end()
      } else {
        error.end()
      }
      return
    }
    if (data.destroyed) {
      pod.destroy()
      error.end()
      return
    }
    // A pod connection that breaks ends this request only: the client sees the data stream
    // reset and closes its local connection; the port-forward goes on.
    pod.on('error', () => { data.reset(RstStatus.CANCEL) })
    pod.once('close', () => {
      if (!data.destroyed && !data.writableEnded) data.end()
    })
    data.once('close', () => {
      pod.destroy()
      if (!error.writableEnded) error.end()
    })
    data.pipe(pod)
    pod.pipe(data)
  }
}
