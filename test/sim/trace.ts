// The simulation trace: a ring buffer of the last events (ticks, deliveries, drops,
// crashes, restarts, partitions, proposals, membership changes, transfers, leader changes),
// formatted only when printed so recording stays cheap.

import type { Message } from '../../raft/types.ts'

interface TraceEvent {
  step: number
  text: string
  msg: Message | undefined
}

export class Trace {
  private readonly buf: Array<TraceEvent | undefined>
  private next = 0
  private total = 0

  constructor (readonly capacity = 200) {
    this.buf = new Array<TraceEvent | undefined>(capacity)
  }

  add (step: number, text: string, msg?: Message): void {
    const slot = this.buf[this.next]
    if (slot === undefined) {
      this.buf[this.next] = { step, text, msg }
    } else {
      slot.step = step
      slot.text = text
      slot.msg = msg
    }
    this.next = (this.next + 1) % this.capacity
    this.total++
  }

  /** The recorded events, oldest first, one per line. */
  lines (): string[] {
    const out: string[] = []
    const n = Math.min(this.total, this.capacity)
    for (let k = 0; k < n; k++) {
      const ev = this.buf[(this.next - n + k + this.capacity) % this.capacity]
      if (ev === undefined) continue
      const step = String(ev.step).padStart(6)
      out.push(`${step}  ${ev.text}${ev.msg !== undefined ? ' ' + formatMessage(ev.msg) : ''}`)
    }
    return out
  }
}

export function formatMessage (m: Message): string {
  const head = `${m.from}->${m.to} ${m.type} t${m.term}`
  switch (m.type) {
    case 'vote':
    case 'prevote':
      return `${head} last=${m.lastLogIndex}/t${m.lastLogTerm}${m.force === true ? ' force' : ''}`
    case 'vote-resp':
    case 'prevote-resp':
      return `${head} ${m.granted ? 'granted' : 'rejected'}`
    case 'append': {
      const ents = m.entries.length === 0 ? 'none' : `${m.entries[0]?.index}..${m.entries[m.entries.length - 1]?.index}`
      return `${head} prev=${m.prevLogIndex}/t${m.prevLogTerm} entries=${ents} commit=${m.commit}`
    }
    case 'append-resp':
      return m.success ? `${head} ok index=${m.index}` : `${head} reject index=${m.index} hint=${m.hintIndex}/t${m.hintTerm}`
    case 'heartbeat':
      return `${head} commit=${m.commit}${m.ctx !== undefined ? ' ctx=' + m.ctx : ''}`
    case 'heartbeat-resp':
      return `${head}${m.ctx !== undefined ? ' ctx=' + m.ctx : ''}`
    case 'snapshot':
      return `${head} snap=${m.meta.index}/t${m.meta.term} offset=${m.offset} bytes=${m.chunk.length}${m.done ? ' done' : ''}`
    case 'snapshot-resp':
      return `${head} snap=${m.snapshotIndex} offset=${m.offset} answers=${m.answers}`
    case 'timeout-now':
      return head
    case 'read-index':
      return `${head} ctx=${m.ctx}`
    case 'read-index-resp':
      return `${head} ctx=${m.ctx} index=${m.index}`
    case 'propose':
      return `${head} ids=${m.entries.map((e) => e.id).join(',')}`
    case 'durable':
      return `${head} index=${m.index}`
  }
}
