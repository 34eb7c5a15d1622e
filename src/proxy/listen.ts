// Binding a proxy listener (TCP server or UDP socket) so that the bind's own error rejects —
// EADDRINUSE, EADDRNOTAVAIL, EACCES: the roles decide whether to retry — and later socket
// errors are logged, never thrown (an unhandled 'error' event would take the agent down).

import type { Socket as UdpSocket } from 'node:dgram'
import type { Server } from 'node:net'

/** Listen on host:port (exclusively); later errors go to `onLaterError`. */
export async function listenServer (server: Server, host: string, port: number, onLaterError: (err: Error) => void): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => { reject(err) }
    server.once('error', onError)
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError)
      server.on('error', onLaterError)
      resolve()
    })
  })
}

/** Bind a UDP socket to host:port (exclusively); later errors go to `onLaterError`. */
export async function bindSocket (socket: UdpSocket, host: string, port: number, onLaterError: (err: Error) => void): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => { reject(err) }
    socket.once('error', onError)
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.off('error', onError)
      socket.on('error', onLaterError)
      resolve()
    })
  })
}

/** The port a server is bound to, or `fallback` before it is. */
export function boundPort (server: Server, fallback: number): number {
  const a = server.address()
  return typeof a === 'object' && a !== null ? a.port : fallback
}
