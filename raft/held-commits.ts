// The driver's side of Ready.lazyMessages: commit-index updates nobody waits for, held for a
// moment per follower. An append to that follower going out in the meantime carries the
// commit as well, so the held update is dropped; otherwise it goes out when the delay ends.
// At one write at a time this turns "append, commit" per write into "append" (the next
// write's append tells the previous commit); under load, commits ride on the next batch.
//
// Why dropping is safe: an append is built after the held update, with a commit index no
// smaller, and a follower commits min(commit, last index it holds), which is no smaller than
// what the held update would have given. If that append is lost or rejected, the follower
// learns the commit from the next append or heartbeat, as for any lost message.

import type { Message, NodeId } from './types.ts'

export interface HeldCommitsOptions {
  /** How long an update may wait, in ms. */
  delayMs: number
  /** Sends what is due. */
  send: (messages: Message[]) => void
  /** Timer functions (injectable for tests). */
  setTimer?: (fn: () => void, ms: number) => unknown
  clearTimer?: (handle: unknown) => void
}

export class HeldCommits {
  private readonly held = new Map<NodeId, Message>()
  private timer: unknown = null
  private readonly setTimer: (fn: () => void, ms: number) => unknown
  private readonly clearTimer: (handle: unknown) => void

  constructor (private readonly opts: HeldCommitsOptions) {
    this.setTimer = opts.setTimer ?? ((fn, ms) => { const t = setTimeout(fn, ms); t.unref?.(); return t })
    this.clearTimer = opts.clearTimer ?? ((handle) => { clearTimeout(handle as ReturnType<typeof setTimeout>) })
  }

  /** Updates held right now. */
  get size (): number {
    return this.held.size
  }

  /** Hold `messages` (a newer update for a follower replaces the older); with no delay, send them now. */
  hold (messages: readonly Message[]): void {
    if (messages.length === 0) return
    if (this.opts.delayMs <= 0) {
      this.opts.send([...messages])
      return
    }
    for (const m of messages) this.held.set(m.to, m)
    if (this.held.size > 0 && this.timer === null) this.timer = this.setTimer(() => { this.flush() }, this.opts.delayMs)
  }

  /** `messages` are about to be sent: an append to a follower makes its held update needless. */
  supersede (messages: readonly Message[]): void {
    if (this.held.size === 0) return
    for (const m of messages) if (m.type === 'append') this.held.delete(m.to)
  }

  /** Send everything held now. */
  flush (): void {
    if (this.timer !== null) this.clearTimer(this.timer)
    this.timer = null
    if (this.held.size === 0) return
    const due = [...this.held.values()]
    this.held.clear()
    this.opts.send(due)
  }

  /** Drop everything held (the node stops). */
  clear (): void {
    if (this.timer !== null) this.clearTimer(this.timer)
    this.timer = null
    this.held.clear()
  }
}
