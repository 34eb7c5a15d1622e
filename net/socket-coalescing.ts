// One socket write per turn of the event loop. Every layer of the libp2p stack (yamux frame,
// noise record, pnet cipher) ends in its own `socket.write`, so one Raft batch or rpc answer
// costs several system calls and wakes the peer several times. Corking the socket at the
// first write of a turn and uncorking it once the turn's callbacks and promise jobs have run
// (process.nextTick, queued from the first write) hands the kernel one writev instead. Bytes
// and their order are unchanged; nothing waits longer than the current turn.

import type { Socket } from 'node:net'

const COALESCING = Symbol.for('flotilla.socket-coalescing')

type CoalescedSocket = Socket & { [COALESCING]?: true }

/** Coalesce the writes of one event-loop turn into one. Idempotent; a no-op for anything not a net.Socket. */
export function coalesceSocketWrites (socket: unknown): void {
  if (!isSocket(socket) || socket[COALESCING] === true) return
  socket[COALESCING] = true
  const write = socket.write
  let corked = false
  const release = (): void => {
    corked = false
    if (!socket.destroyed) socket.uncork()
  }
  socket.write = function (this: Socket, ...args: unknown[]): boolean {
    if (!corked && !socket.destroyed) {
      corked = true
      socket.cork()
      process.nextTick(release)
    }
    return (write as (...a: unknown[]) => boolean).apply(this, args)
  } as Socket['write']
}

function isSocket (value: unknown): value is CoalescedSocket {
  const s = value as Partial<Socket> | null
  return s !== null && typeof s === 'object' && typeof s.cork === 'function' && typeof s.uncork === 'function' && typeof s.write === 'function'
}
