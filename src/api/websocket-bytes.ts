// A WebSocket as a byte stream (node Duplex): binary messages in, binary messages out, message
// boundaries meaningless — how KEP-4006 tunnels SPDY through a WebSocket for
// `kubectl port-forward`. Ending it sends a normal closure (1000), which the peer reads as the
// end of the stream; a text message is a protocol error that closes it (1003).

import { Duplex } from 'node:stream'
import type { WebSocket } from 'ws'

/** Bytes the WebSocket may hold unsent before writes wait for them. */
const MAX_BUFFERED = 256 * 1024

export function webSocketBytes (ws: WebSocket): Duplex {
  const duplex = new Duplex({
    allowHalfOpen: false,
    read () { ws.resume() },
    write (chunk: Buffer, _encoding, callback) {
      if (ws.readyState !== ws.OPEN) {
        callback(new Error('the WebSocket is closed'))
        return
      }
      let called = false
      ws.send(chunk, { binary: true }, (err) => {
        if (err !== undefined && err !== null) duplex.destroy(err)
        else if (!called) {
          called = true
          callback()
        }
      })
      if (ws.bufferedAmount < MAX_BUFFERED && !called) {
        called = true
        callback()
      }
    },
    final (callback) {
      if (ws.readyState === ws.OPEN) ws.close(1000)
      callback()
    },
    destroy (err, callback) {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.terminate()
      callback(err)
    }
  })
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) {
      ws.close(1003, 'binary messages only')
      duplex.destroy(new Error('a text message on a binary WebSocket tunnel'))
      return
    }
    if (!duplex.push(data)) ws.pause()
  })
  ws.on('close', () => {
    duplex.push(null)
    // The peer's close ends both directions.
    if (!duplex.destroyed) duplex.destroy()
  })
  ws.on('error', (err) => { duplex.destroy(err) })
  return duplex
}
