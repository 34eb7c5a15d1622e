// Fewer yamux window updates. @chainsafe/libp2p-yamux answers every data frame with a
// window-update frame, each its own noise + pnet record and socket write: for Raft traffic
// (many small frames) that doubles the frames on the wire. Like Go's yamux, this sends the
// update only once half the receive window is used (or when flags must go out, e.g. while
// the stream is being set up or closed). Wire-compatible: a peer only needs window before
// it runs out, and half the window is always left when the update leaves. Idempotent.

import { StreamState, YamuxStream } from '@chainsafe/libp2p-yamux/stream'

interface WindowState {
  state: StreamState
  recvWindow: number
  recvWindowCapacity: number
  sendWindowUpdate: () => void
}

const PATCHED = Symbol.for('flotilla.yamux-window-fix')

export function applyYamuxWindowFix (): void {
  const proto = YamuxStream.prototype as unknown as WindowState & { [PATCHED]?: true }
  const original = proto.sendWindowUpdate
  if (typeof original !== 'function' || proto[PATCHED] === true) return
  proto.sendWindowUpdate = function (this: WindowState): void {
    if (this.state === StreamState.Established && this.recvWindowCapacity >= this.recvWindow / 2) return
    original.call(this)
  }
  proto[PATCHED] = true
}

applyYamuxWindowFix()
