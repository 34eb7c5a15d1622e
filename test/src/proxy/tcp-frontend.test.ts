// The proxy's TCP listener on loopback: round robin over backends, a refusing backend passed
// over, all refusing closes the client, client-IP affinity, backends changed in place.

import { createServer, connect, Socket, type Server } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { TcpFrontend } from '../../../src/proxy/tcp-frontend.ts'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => { for (const c of cleanup.splice(0).reverse()) await c() })

/** A backend that answers every connection with its name and closes. */
async function backend (name: string): Promise<{ ip: string, port: number }> {
  const server: Server = createServer((s) => { s.end(name) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanup.push(async () => { await new Promise((resolve) => server.close(resolve)) })
  return { ip: '127.0.0.1', port: (server.address() as { port: number }).port }
}

/** A port nothing listens on (bound, then closed). */
async function deadPort (): Promise<{ ip: string, port: number }> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise((resolve) => server.close(resolve))
  return { ip: '127.0.0.1', port }
}

async function frontend (now?: () => number): Promise<TcpFrontend> {
  const f = new TcpFrontend({ address: '127.0.0.1', port: 0, ...(now !== undefined ? { now } : {}) })
  await f.listen()
  cleanup.push(async () => { await f.close() })
  return f
}

/** What a client connecting through the frontend reads before the connection closes ('' when it is closed without data). */
async function ask (port: number, send = ''): Promise<string> {
  return await new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port })
    let got = ''
    s.on('data', (d) => { got += d.toString() })
    s.on('error', () => {})
    s.on('close', () => { resolve(got) })
    if (send !== '') s.write(send)
  })
}

describe('TCP frontend', () => {
  it('spreads connections over the backends in turn', async () => {
    const f = await frontend()
    f.update([await backend('a'), await backend('b'), await backend('c')])
    const answers = []
    for (let i = 0; i < 6; i++) answers.push(await ask(f.port))
    expect(answers.sort()).toEqual(['a', 'a', 'b', 'b', 'c', 'c'])
    expect(f.joined).toBe(6)
  })

  it('passes over a backend that refuses, and closes the client when none accepts', async () => {
    const f = await frontend()
    const dead = await deadPort()
    f.update([dead, await backend('alive')])
    for (let i = 0; i < 4; i++) expect(await ask(f.port)).toBe('alive')
    f.update([dead])
    expect(await ask(f.port)).toBe('')
    expect(f.failed).toBe(1)
    f.update([])
    expect(await ask(f.port)).toBe('')
    expect(f.failed).toBe(2)
  })

  it('passes over a backend that does not answer, but waits longer for the last one', async () => {
    const silent = { ip: '192.0.2.1', port: 9 }
    const live = await backend('live')
    // A connection to the silent backend never completes (as a SYN dropped by a full accept queue).
    const connectVia = (port: number, host: string): Socket => host === silent.ip ? new Socket() : connect({ host, port, allowHalfOpen: true })
    const f = new TcpFrontend({ address: '127.0.0.1', port: 0, connectTimeoutMs: 20, lastConnectTimeoutMs: 300, connect: connectVia })
    await f.listen()
    cleanup.push(async () => { await f.close() })
    f.update([silent, live])
    expect(await ask(f.port)).toBe('live')
    f.update([silent])
    const t0 = Date.now()
    expect(await ask(f.port)).toBe('')
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250)
  })

  it('carries data both ways, with half-close', async () => {
    const echo = createServer({ allowHalfOpen: true }, (s) => {
      let got = ''
      s.on('data', (d) => { got += d.toString() })
      s.on('end', () => { s.end(`echo:${got}`) })
    })
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve))
    cleanup.push(async () => { await new Promise((resolve) => echo.close(resolve)) })
    const f = await frontend()
    f.update([{ ip: '127.0.0.1', port: (echo.address() as { port: number }).port }])
    const answer = await new Promise<string>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: f.port, allowHalfOpen: true })
      let got = ''
      s.on('data', (d) => { got += d.toString() })
      s.on('end', () => { resolve(got) })
      s.end('x'.repeat(100_000))
    })
    expect(answer).toBe(`echo:${'x'.repeat(100_000)}`)
  })

  it('keeps a client IP on its backend while the affinity lasts, and drops it with the backend', async () => {
    let now = 0
    const f = await frontend(() => now)
    const a = await backend('a')
    const b = await backend('b')
    f.update([a, b], 10)
    // Round robin would alternate; the client stays on its first backend instead.
    expect(await ask(f.port)).toBe('a')
    for (let i = 0; i < 4; i++) expect(await ask(f.port)).toBe('a')
    // Expired: the next connection goes by round robin (the 6th: b), and sticks there.
    now = 11_000
    for (let i = 0; i < 3; i++) expect(await ask(f.port)).toBe('b')
    // Its backend gone, the client moves.
    f.update([a], 10)
    expect(await ask(f.port)).toBe('a')
  })

  it('refuses to bind an address in use, with the socket error', async () => {
    const f = await frontend()
    const g = new TcpFrontend({ address: '127.0.0.1', port: f.port })
    await expect(g.listen()).rejects.toMatchObject({ code: 'EADDRINUSE' })
  })
})
