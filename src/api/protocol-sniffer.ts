// One port, two protocols: a TCP listener that reads the first byte of each connection and
// hands the connection to the HTTPS server when that byte opens a TLS handshake (0x16, the TLS
// record type "handshake"), to the plain HTTP server otherwise. The byte is put back first, so
// the chosen server reads the connection from its start. Connections are tracked until they
// close, so that closeAll() ends every one, whichever server it went to.

import { createServer, type Server, type Socket } from 'node:net'
import type { EventEmitter } from 'node:events'

/** The first byte of a TLS ClientHello: record type 22, handshake. */
const TLS_HANDSHAKE = 0x16

export interface ProtocolSnifferOptions {
  /** Receives connections that do not open a TLS handshake. */
  plain: EventEmitter
  /** Receives connections that do; undefined serves plain HTTP only. */
  secure?: EventEmitter | undefined
  /** A connection that sends nothing for this long is closed. */
  firstByteTimeoutMs: number
}

export class ProtocolSniffer {
  readonly server: Server
  private readonly sockets = new Set<Socket>()

  constructor (private readonly opts: ProtocolSnifferOptions) {
    this.server = createServer({ noDelay: true }, (socket) => { this.accept(socket) })
  }

  /** Destroys every connection, dispatched or not. */
  closeAll (): void {
    for (const socket of this.sockets) socket.destroy()
  }

  private accept (socket: Socket): void {
    this.sockets.add(socket)
    socket.once('close', () => { this.sockets.delete(socket) })
    // Until a server owns the connection, its errors (a reset) only mean it is gone.
    socket.on('error', ignore)
    const timer = setTimeout(() => { socket.destroy() }, this.opts.firstByteTimeoutMs)
    timer.unref()
    let dispatched = false
    const onReadable = (): void => {
      const first = socket.read(1) as Buffer | null
      if (first === null) return
      dispatched = true
      socket.off('readable', onReadable)
      socket.off('error', ignore)
      clearTimeout(timer)
      socket.unshift(first)
      const target = first[0] === TLS_HANDSHAKE && this.opts.secure !== undefined ? this.opts.secure : this.opts.plain
      target.emit('connection', socket)
    }
    socket.on('readable', onReadable)
    socket.once('end', () => { if (!dispatched) socket.destroy() })
    socket.once('close', () => { clearTimeout(timer) })
  }
}

function ignore (): void {}
