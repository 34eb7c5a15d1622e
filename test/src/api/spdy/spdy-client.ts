// A scripted SPDY/3.1 client for tests (a fake, for tests only): a real TCP connection to a
// server that runs a SpdySession on the other end, frames written with the codec, and the
// frames received kept in order, SYN_REPLY header blocks inflated with the client's own zlib
// context.

import { once } from 'node:events'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { encodeFrame, FrameDecoder, type Frame } from '../../../../src/api/spdy/frames.ts'
import { decodeHeaderBlock, encodeHeaderBlock, type SpdyHeaders } from '../../../../src/api/spdy/header-block.ts'
import { HeaderCompressor, HeaderDecompressor } from '../../../../src/api/spdy/header-compression.ts'

export type Received = Frame & { headers?: SpdyHeaders }

export class SpdyTestClient {
  readonly received: Received[] = []
  closed = false
  private closedByTest = false
  private readonly decoder = new FrameDecoder(16 << 20)
  private readonly deflater = new HeaderCompressor()
  private readonly inflater = new HeaderDecompressor()
  private chain: Promise<void> = Promise.resolve()
  private waiters: Array<() => void> = []

  constructor (readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const f of this.decoder.push(chunk)) {
        this.chain = this.chain.then(async () => {
          const r: Received = f
          if (f.type === 'syn_reply' || f.type === 'headers' || f.type === 'syn_stream') r.headers = decodeHeaderBlock(await this.inflater.inflate(f.headerBlock))
          this.received.push(r)
          this.wake()
        }).catch((err: unknown) => {
          // After close() the client's inflater is gone: frames still arriving are dropped.
          if (!this.closedByTest) throw err
        })
      }
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      this.closed = true
      void this.chain.then(() => { this.wake() })
    })
  }

  private wake (): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  async synStream (streamId: number, headers: Record<string, string>, flags = 0): Promise<void> {
    const headerBlock = await this.deflater.deflate(encodeHeaderBlock(headers))
    this.socket.write(encodeFrame({ type: 'syn_stream', streamId, associatedId: 0, priority: 0, slot: 0, flags, headerBlock }))
  }

  send (frame: Frame): void {
    this.socket.write(encodeFrame(frame))
  }

  data (streamId: number, data: Buffer | string, fin = false): void {
    this.send({ type: 'data', streamId, flags: fin ? 1 : 0, data: Buffer.from(data) })
  }

  /** Waits until a received frame matches (5 s at most). */
  async next (what: string, match: (f: Received) => boolean, timeoutMs = 5000): Promise<Received> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const f = this.received.find(match)
      if (f !== undefined) return f
      if (this.closed && this.received.find(match) === undefined) {
        await this.chain
        const late = this.received.find(match)
        if (late !== undefined) return late
        throw new Error(`the connection closed before ${what}; received ${JSON.stringify(this.summary())}`)
      }
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms; received ${JSON.stringify(this.summary())}`)
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve)
        setTimeout(resolve, 50)
      })
    }
  }

  /** All data received on a stream until its FIN, as one buffer. */
  async streamData (streamId: number): Promise<Buffer> {
    await this.next(`FIN on stream ${streamId}`, (f) => (f.type === 'data' && f.streamId === streamId && (f.flags & 1) === 1) || (f.type === 'rst_stream' && f.streamId === streamId))
    return Buffer.concat(this.received.flatMap((f) => f.type === 'data' && f.streamId === streamId ? [f.data] : []))
  }

  summary (): string[] {
    return this.received.map((f) => f.type === 'data' ? `data ${f.streamId} ${f.data.length}${(f.flags & 1) === 1 ? ' fin' : ''}` : `${f.type} ${'streamId' in f ? f.streamId : ''}${'status' in f ? ` status ${f.status}` : ''}`)
  }

  close (): void {
    this.closedByTest = true
    this.deflater.close()
    this.inflater.close()
    this.socket.destroy()
  }
}

/** A TCP server on 127.0.0.1 whose connections go to `serve`, and a client connected to it. */
export async function connectedPair (serve: (socket: Socket) => void): Promise<{ client: SpdyTestClient, server: Server, serverSocket: Promise<Socket> }> {
  let resolveSocket: (s: Socket) => void = () => {}
  const serverSocket = new Promise<Socket>((resolve) => { resolveSocket = resolve })
  const server = createServer((s) => {
    s.on('error', () => {})
    serve(s)
    resolveSocket(s)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as { port: number }).port
  const socket = connect(port, '127.0.0.1')
  await once(socket, 'connect')
  return { client: new SpdyTestClient(socket), server, serverSocket }
}
