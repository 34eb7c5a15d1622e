// FrameWriter over an in-memory stream pair: one send per tick, drop-oldest bounding, and
// what happens to queued values when the stream dies.

import type { Stream } from '@libp2p/interface'
import { streamPair } from '@libp2p/utils'
import { describe, expect, it } from 'vitest'
import { FrameDecoder } from '../../net/frames.ts'
import { FrameWriter } from '../../net/frame-writer.ts'
import { until } from './helpers.ts'

function collect (stream: Stream): unknown[] {
  const decoder = new FrameDecoder()
  const out: unknown[] = []
  stream.addEventListener('message', (evt) => { out.push(...decoder.push(evt.data)) })
  return out
}

function countSends (stream: Stream): () => number {
  let sends = 0
  const send = stream.send.bind(stream)
  stream.send = (data) => { sends++; return send(data) }
  return () => sends
}

/** A stream whose every send fills it, until drain(): enough of Stream for FrameWriter. */
class FullStream extends EventTarget {
  readonly sent: Uint8Array[] = []
  status = 'open'
  writeStatus = 'writable'
  writableNeedsDrain = false
  send (data: Uint8Array): boolean {
    this.sent.push(data)
    this.writableNeedsDrain = true
    return false
  }

  drain (): void {
    this.writableNeedsDrain = false
    this.dispatchEvent(new Event('drain'))
  }
}

describe('FrameWriter', () => {
  it('writes the values queued in one tick with one send', async () => {
    const [outbound, inbound] = await streamPair()
    const received = collect(inbound)
    const sends = countSends(outbound)
    const writer = new FrameWriter(outbound)
    for (let i = 0; i < 500; i++) writer.write({ i })
    await until(() => received.length === 500, '500 values')
    expect(sends()).toBe(1)
    expect(received.map(v => (v as { i: number }).i)).toEqual([...Array(500).keys()])
    await writer.close()
  })

  it('waits for drain when the stream is full, batching what queued meanwhile', async () => {
    const stream = new FullStream()
    const writer = new FrameWriter(stream as unknown as Stream)
    writer.write('first')
    await until(() => stream.sent.length === 1, 'the first send')
    for (let i = 0; i < 100; i++) writer.write(i) // the stream said it is full: these wait
    await Promise.resolve()
    expect(stream.sent).toHaveLength(1)
    stream.drain()
    await until(() => stream.sent.length === 2, 'one batch after the drain')
    const decoder = new FrameDecoder()
    expect(stream.sent.flatMap(chunk => decoder.push(chunk))).toEqual(['first', ...Array(100).keys()])
  })

  it('drops the oldest values beyond maxQueued', async () => {
    const [outbound, inbound] = await streamPair()
    const received = collect(inbound)
    const dropped: unknown[] = []
    const writer = new FrameWriter(outbound, { maxQueued: 3, onDrop: (v) => { dropped.push(v) } })
    for (let i = 0; i < 5; i++) writer.write(i)
    await until(() => received.length === 3, 'the newest 3 values')
    expect(received).toEqual([2, 3, 4])
    expect(dropped).toEqual([0, 1])
    await writer.close()
  })

  it('hands a too-large value to onDrop and still writes the rest', async () => {
    const [outbound, inbound] = await streamPair()
    const received = collect(inbound)
    const dropped: string[] = []
    const writer = new FrameWriter(outbound, { maxFrameLength: 100, onDrop: (_v, reason) => { dropped.push(reason.name) } })
    writer.write('small')
    writer.write('x'.repeat(200))
    writer.write('also small')
    await until(() => received.length === 2, 'the two small values')
    expect(received).toEqual(['small', 'also small'])
    expect(dropped).toEqual(['FrameTooLargeError'])
    await writer.close()
  })

  it('flushes on close, then refuses writes; the remote sees the end of the stream', async () => {
    const [outbound, inbound] = await streamPair()
    const received = collect(inbound)
    let remoteClosed = false
    inbound.addEventListener('remoteCloseWrite', () => { remoteClosed = true })
    const writer = new FrameWriter(outbound)
    writer.write('last words')
    await writer.close()
    expect(writer.write('too late')).toBe(false)
    await until(() => remoteClosed && received.length === 1, 'the value and the close')
    expect(received).toEqual(['last words'])
  })

  it('reports queued values as dropped and calls onClose once when the stream is reset', async () => {
    const [outbound] = await streamPair()
    const dropped: unknown[] = []
    let closes = 0
    const writer = new FrameWriter(outbound, { onDrop: (v) => { dropped.push(v) }, onClose: () => { closes++ } })
    writer.write('queued')
    outbound.abort(new Error('boom'))
    expect(dropped).toEqual(['queued'])
    expect(closes).toBe(1)
    expect(writer.open).toBe(false)
    writer.abort(new Error('again'))
    expect(closes).toBe(1)
  })
})
