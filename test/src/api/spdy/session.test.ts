// The SPDY/3.1 server session against a scripted client over a real TCP connection: streams
// opened, replied, read and written with FIN on both sides; PING echoed; RST_STREAM for data
// on a stream never opened; session errors (malformed frames, a corrupt header block, an even
// stream ID) answered with GOAWAY and a closed connection; flow control (windows waited on
// once the peer keeps them, WINDOW_UPDATE for data consumed, the transport paused while a
// reader is full). Section numbers are those of SPDY Protocol Draft 3.1.

import { once } from 'node:events'
import type { Server } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { FLAG_FIN, GoAwayStatus, RstStatus } from '../../../../src/api/spdy/frames.ts'
import { SpdySession, type SpdySessionOptions } from '../../../../src/api/spdy/session.ts'
import type { SpdyStream } from '../../../../src/api/spdy/stream.ts'
import { connectedPair, type SpdyTestClient } from './spdy-client.ts'

const cleanup: Array<() => void> = []
afterEach(() => {
  for (const f of cleanup.splice(0)) f()
})

async function start (options: SpdySessionOptions = {}): Promise<{ client: SpdyTestClient, session: SpdySession, streams: SpdyStream[], server: Server }> {
  let session: SpdySession | undefined
  const streams: SpdyStream[] = []
  const { client, server, serverSocket } = await connectedPair((s) => {
    session = new SpdySession(s, options)
    session.on('stream', (st) => { streams.push(st) })
  })
  await serverSocket
  cleanup.push(() => { client.close(); session?.destroy(); server.close() })
  return { client, session: session as SpdySession, streams, server }
}

async function until (what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('SpdySession', () => {
  it('opens a stream with its headers, replies, and carries data both ways until FIN on each side (2.3)', async () => {
    const { client, session, streams } = await start()
    await client.synStream(1, { streamtype: 'data', port: '80' })
    await until('the stream', () => streams.length === 1)
    const st = streams[0] as SpdyStream
    expect(st.id).toBe(1)
    expect(st.header('port')).toBe('80')
    await st.reply()
    const reply = await client.next('SYN_REPLY', (f) => f.type === 'syn_reply')
    expect(reply).toMatchObject({ streamId: 1 })
    expect([...(reply.headers ?? [])]).toEqual([])
    client.data(1, 'ping?', true)
    const read: Buffer[] = []
    st.on('data', (c: Buffer) => read.push(c))
    await until('FIN from the client', () => st.readableEnded)
    expect(Buffer.concat(read).toString()).toBe('ping?')
    st.end('pong!')
    expect((await client.streamData(1)).toString()).toBe('pong!')
    await until('the stream to close', () => st.destroyed && session.streams.size === 0)
    // Both sides finished cleanly: no reset was sent.
    expect(client.received.some((f) => f.type === 'rst_stream')).toBe(false)
  })

  it('echoes the client\'s PINGs and ignores PINGs with even IDs (2.6.5)', async () => {
    const { client } = await start()
    client.send({ type: 'ping', id: 2 })
    client.send({ type: 'ping', id: 7 })
    await client.next('PING 7', (f) => f.type === 'ping' && f.id === 7)
    expect(client.received.filter((f) => f.type === 'ping')).toEqual([{ type: 'ping', id: 7 }])
  })

  it('resets data for a stream never opened with INVALID_STREAM and drops data for one closed since (2.2.2)', async () => {
    const { client, streams } = await start()
    client.data(9, 'x')
    await client.next('RST_STREAM 9', (f) => f.type === 'rst_stream' && f.streamId === 9 && f.status === RstStatus.INVALID_STREAM)
    await client.synStream(11, { a: 'b' })
    await until('stream 11', () => streams.length === 1)
    client.send({ type: 'rst_stream', streamId: 11, status: RstStatus.CANCEL })
    await until('stream 11 to close', () => (streams[0] as SpdyStream).destroyed)
    client.data(11, 'late')
    client.send({ type: 'ping', id: 1 })
    await client.next('PING 1', (f) => f.type === 'ping')
    expect(client.received.filter((f) => f.type === 'rst_stream').map((f) => f.streamId)).toEqual([9])
  })

  it('answers a malformed frame with GOAWAY PROTOCOL_ERROR and closes, ending its streams (2.4.1)', async () => {
    const { client, session, streams } = await start()
    await client.synStream(1, { a: 'b' })
    await until('stream 1', () => streams.length === 1)
    let closedWith: Error | undefined
    session.on('close', (err) => { closedWith = err })
    client.socket.write(Buffer.from([0x80, 3, 0, 6, 0, 0, 0, 3, 1, 2, 3])) // a PING of 3 bytes
    await client.next('GOAWAY', (f) => f.type === 'goaway' && f.status === GoAwayStatus.PROTOCOL_ERROR && f.lastGoodStreamId === 1)
    await until('the connection to close', () => client.closed)
    expect(closedWith?.message).toMatch(/PING frame has a 4-byte payload/)
    expect((streams[0] as SpdyStream).destroyed).toBe(true)
  })

  it('ends the session on a header block that does not inflate (2.6.10.1)', async () => {
    const { client } = await start()
    client.send({ type: 'syn_stream', streamId: 1, associatedId: 0, priority: 0, slot: 0, flags: 0, headerBlock: Buffer.from('no zlib here') })
    await client.next('GOAWAY', (f) => f.type === 'goaway' && f.status === GoAwayStatus.PROTOCOL_ERROR)
    await until('the connection to close', () => client.closed)
  })

  it('ends the session on a stream ID that is even or goes backwards (2.3.2)', async () => {
    const { client } = await start()
    await client.synStream(5, { a: 'b' })
    await client.synStream(3, { a: 'b' })
    await client.next('GOAWAY', (f) => f.type === 'goaway' && f.status === GoAwayStatus.PROTOCOL_ERROR && f.lastGoodStreamId === 5)
  })

  it('ignores streams opened after the client\'s GOAWAY and closes once the open ones are done (2.6.6)', async () => {
    const { client, session, streams } = await start()
    await client.synStream(1, { a: 'b' })
    await until('stream 1', () => streams.length === 1)
    client.send({ type: 'goaway', lastGoodStreamId: 0, status: 0 })
    await client.synStream(3, { a: 'b' })
    client.send({ type: 'ping', id: 1 })
    await client.next('PING', (f) => f.type === 'ping')
    expect(streams.length).toBe(1)
    expect(client.closed).toBe(false)
    ;(streams[0] as SpdyStream).reset(RstStatus.CANCEL)
    await until('the connection to close', () => client.closed)
    expect(session.closed).toBe(true)
  })

  it('ends the session of a peer that floods PINGs without reading the answers', async () => {
    const { client, session } = await start({ maxUnsent: 256 * 1024 })
    client.socket.pause()
    const ping = Buffer.from([0x80, 3, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1])
    const burst = Buffer.concat(Array.from({ length: 100_000 }, () => ping))
    for (let i = 0; i < 30 && !session.closed; i++) {
      if (!client.socket.write(burst)) await Promise.race([once(client.socket, 'drain'), new Promise((resolve) => setTimeout(resolve, 200))])
    }
    await until('the session to end', () => session.closed)
  }, 30_000)

  it('sends without waiting on windows a peer never opens (spdystream keeps none), in frames of at most 64 KiB', async () => {
    const { client, streams } = await start()
    await client.synStream(1, { a: 'b' })
    await until('stream 1', () => streams.length === 1)
    const st = streams[0] as SpdyStream
    const big = Buffer.alloc(300_000, 7)
    st.end(big)
    const got = await client.streamData(1)
    expect(got.equals(big)).toBe(true)
    const sizes = client.received.flatMap((f) => f.type === 'data' ? [f.data.length] : [])
    expect(Math.max(...sizes)).toBeLessThanOrEqual(65536)
  })

  it('keeps to the peer\'s windows once it shows it keeps them: SETTINGS, then WINDOW_UPDATE (2.6.8)', async () => {
    const { client, streams } = await start()
    client.send({ type: 'settings', flags: 0, entries: [{ flags: 0, id: 7, value: 1000 }] })
    await client.synStream(1, { a: 'b' })
    await until('stream 1', () => streams.length === 1)
    const st = streams[0] as SpdyStream
    st.end(Buffer.alloc(2500, 1))
    const sent = (): number => client.received.reduce((n, f) => n + (f.type === 'data' ? f.data.length : 0), 0)
    await until('the first window', () => sent() === 1000)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(sent()).toBe(1000)
    client.send({ type: 'window_update', streamId: 1, delta: 1000 })
    await until('the second window', () => sent() === 2000)
    client.send({ type: 'window_update', streamId: 1, delta: 5000 })
    expect((await client.streamData(1)).length).toBe(2500)
  })

  it('acknowledges data its reader took with WINDOW_UPDATE for the stream and the session (2.6.8)', async () => {
    const { client, streams } = await start()
    await client.synStream(1, { a: 'b' })
    await until('stream 1', () => streams.length === 1)
    const st = streams[0] as SpdyStream
    st.resume()
    for (let i = 0; i < 4; i++) client.data(1, Buffer.alloc(20_000))
    await client.next('a stream WINDOW_UPDATE', (f) => f.type === 'window_update' && f.streamId === 1)
    await client.next('a session WINDOW_UPDATE', (f) => f.type === 'window_update' && f.streamId === 0)
    const acked = client.received.reduce((n, f) => n + (f.type === 'window_update' && f.streamId === 1 ? f.delta : 0), 0)
    expect(acked).toBeGreaterThanOrEqual(32 * 1024)
    expect(acked).toBeLessThanOrEqual(80_000)
  })

  it('stops reading the connection while the streams together hold too much unread, and goes on when one is read', async () => {
    const { client, streams, session } = await start({ maxBuffered: 100_000 })
    for (const id of [1, 3, 5, 7]) await client.synStream(id, { a: 'b' })
    await until('4 streams', () => streams.length === 4)
    // 60 KB each stays under one stream's high-water mark, but not under the session's budget.
    for (const id of [1, 3, 5, 7]) client.data(id, Buffer.alloc(60_000, 1))
    client.send({ type: 'ping', id: 1 })
    await until('two streams to hold data', () => streams.filter((s) => s.readableLength > 0).length >= 2)
    await new Promise((resolve) => setTimeout(resolve, 200))
    const unread = streams.reduce((n, s) => n + s.readableLength, 0)
    expect(unread).toBeGreaterThan(100_000)
    expect(unread).toBeLessThan(240_000)
    expect(client.received.some((f) => f.type === 'ping')).toBe(false)
    ;(streams[0] as SpdyStream).resume()
    ;(streams[1] as SpdyStream).resume()
    await client.next('the PING after the data', (f) => f.type === 'ping')
    expect(session.closed).toBe(false)
  })

  it('stops reading the connection while a stream\'s reader is full, and goes on when it reads (backpressure)', async () => {
    let serverSocket: import('node:net').Socket | undefined
    let session: SpdySession | undefined
    const streams: SpdyStream[] = []
    const pair = await connectedPair((s) => {
      serverSocket = s
      session = new SpdySession(s)
      session.on('stream', (st) => { streams.push(st) })
    })
    const client = pair.client
    cleanup.push(() => { client.close(); session?.destroy(); pair.server.close() })
    await client.synStream(1, { a: 'b' })
    await until('stream 1', () => streams.length === 1)
    const st = streams[0] as SpdyStream
    const total = 40 << 20
    const chunk = Buffer.alloc(32 * 1024, 3)
    let written = 0
    const writeMore = (): void => {
      while (written < total) {
        written += chunk.length
        const fin = written >= total
        if (!client.socket.write(Buffer.from(encodeData(1, chunk, fin)))) {
          client.socket.once('drain', writeMore)
          return
        }
      }
    }
    writeMore()
    await new Promise((resolve) => setTimeout(resolve, 500))
    // Unread, the stream holds about its high-water mark; the rest waits in the sockets.
    expect(st.readableLength).toBeLessThanOrEqual(256 * 1024)
    expect(serverSocket?.isPaused()).toBe(true)
    expect(serverSocket?.bytesRead ?? 0).toBeLessThan(total)
    let got = 0
    st.on('data', (c: Buffer) => { got += c.length })
    await until('all the data', () => got === total)
    expect(st.readableEnded || got === total).toBe(true)
  }, 30_000)
})

function encodeData (streamId: number, data: Buffer, fin: boolean): Buffer {
  const b = Buffer.allocUnsafe(8 + data.length)
  b.writeUInt32BE(streamId, 0)
  b.writeUInt32BE(((fin ? FLAG_FIN : 0) << 24 | data.length) >>> 0, 4)
  data.copy(b, 8)
  return b
}
