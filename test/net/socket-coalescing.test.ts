// Writes made in one event-loop turn leave as one: the socket is corked from the first write
// of a turn until the turn's callbacks and promise jobs are done; bytes and order unchanged.

import { once } from 'node:events'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { coalesceSocketWrites } from '../../net/socket-coalescing.ts'

const open: Array<Socket | Server> = []
afterEach(() => {
  for (const s of open.splice(0)) {
    if ('destroy' in s) s.destroy()
    else s.close()
  }
})

async function pair (): Promise<{ client: Socket, received: () => Buffer }> {
  const chunks: Buffer[] = []
  const server = createServer((s) => {
    open.push(s)
    s.on('data', (b: Buffer) => chunks.push(b))
  })
  open.push(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  const client = connect(port, '127.0.0.1')
  open.push(client)
  await once(client, 'connect')
  return { client, received: () => Buffer.concat(chunks) }
}

describe('coalesceSocketWrites', () => {
  it('holds the writes of one turn, including those made in promise jobs, and sends them in order at its end', async () => {
    const { client, received } = await pair()
    coalesceSocketWrites(client)
    client.write('a')
    client.write('b')
    await Promise.resolve()
    client.write('c')
    expect(client.writableCorked).toBe(1)
    expect(client.writableLength).toBe(3)
    await new Promise((resolve) => setImmediate(resolve))
    expect(client.writableCorked).toBe(0)
    const deadline = Date.now() + 5_000
    while (received().length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
    expect(received().toString()).toBe('abc')
  })

  it('is idempotent and leaves anything that is not a socket alone', async () => {
    const { client } = await pair()
    coalesceSocketWrites(client)
    coalesceSocketWrites(client)
    client.write('x')
    expect(client.writableCorked).toBe(1)
    expect(() => { coalesceSocketWrites(undefined); coalesceSocketWrites({}) }).not.toThrow()
  })
})
