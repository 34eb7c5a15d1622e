// Works around a bug in xsalsa20@1.2.0, the stream cipher under @libp2p/pnet. All ciphers share
// one WebAssembly memory, and each caches a Uint8Array view of it. When one cipher grows the
// memory (an update larger than the free space, ~640 KiB at first), every other cipher's view is
// detached (length 0), so its next update "grows" the memory again by its whole size, which
// detaches the others' views, and so on: the memory climbs to its 62.5 MiB maximum within a few
// thousand updates, and the next update throws RangeError from a socket 'data' handler, which
// kills the agent. The patch refreshes a detached view (a grow by 0 pages) before each update.
// Idempotent; a no-op if the library changes shape.

import { createRequire } from 'node:module'

interface XorState {
  _memory: Uint8Array
  realloc: (size: number) => void
  update: (input: Uint8Array, output: Uint8Array) => void
}

type XSalsa20Factory = (nonce: Uint8Array, key: Uint8Array) => { _xor?: XorState }

const PATCHED = Symbol.for('flotilla.xsalsa20-memory-fix')

export function applyXsalsa20MemoryFix (): void {
  const xsalsa20 = createRequire(import.meta.url)('xsalsa20') as XSalsa20Factory
  const proto = Object.getPrototypeOf(xsalsa20(new Uint8Array(24), new Uint8Array(32))._xor ?? {}) as Partial<XorState> & { [PATCHED]?: true }
  const update = proto.update
  if (typeof update !== 'function' || typeof proto.realloc !== 'function' || proto[PATCHED] === true) return
  proto.update = function (this: XorState, input: Uint8Array, output: Uint8Array): void {
    if (this._memory.length === 0) this.realloc(0)
    update.call(this, input, output)
  }
  proto[PATCHED] = true
}

applyXsalsa20MemoryFix()
