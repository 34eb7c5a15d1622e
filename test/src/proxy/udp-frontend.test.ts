// The proxy's UDP listener on loopback: a session per client address kept on its backend,
// clients spread round robin, replies from the Service's address, a backend that goes (or
// answers port unreachable) replaced on the next datagram, idle sessions closed.

import { createSocket, type Socket } from 'node:dgram'
import { afterEach, describe, expect, it } from 'vitest'
import { UdpFrontend } from '../../../src/proxy/udp-frontend.ts'

const cleanup: Array<() => Promise<void> | void> = []
afterEach(async () => { for (const c of cleanup.splice(0).reverse()) await c() })

/** A UDP backend that answers each datagram with `name:payload`. */
async function backend (name: string): Promise<{ ip: string, port: number }> {
  const s = createSocket('udp4')
  s.on('message', (m, r) => { s.send(`${name}:${m.toString()}`, r.port, r.address) })
  await new Promise<void>((resolve) => { s.bind(0, '127.0.0.1', resolve) })
  cleanup.push(() => { s.close() })
  return { ip: '127.0.0.1', port: s.address().port }
}

async function deadPort (): Promise<{ ip: string, port: number }> {
  const s = createSocket('udp4')
  await new Promise<void>((resolve) => { s.bind(0, '127.0.0.1', resolve) })
  const port = s.address().port
  await new Promise<void>((resolve) => { s.close(resolve) })
  return { ip: '127.0.0.1', port }
}

async function client (): Promise<Socket> {
  const s = createSocket('udp4')
  await new Promise<void>((resolve) => { s.bind(0, '127.0.0.1', resolve) })
  cleanup.push(() => { s.close() })
  return s
}

/** Send and wait for one reply (or '' after `ms`); the reply's source port too. */
async function ask (s: Socket, port: number, payload: string, ms = 1000): Promise<{ text: string, from: number }> {
  return await new Promise((resolve) => {
    const timer = setTimeout(() => { s.off('message', on); resolve({ text: '', from: 0 }) }, ms)
    const on = (m: Buffer, r: { port: number }): void => { clearTimeout(timer); s.off('message', on); resolve({ text: m.toString(), from: r.port }) }
    s.on('message', on)
    s.send(payload, port, '127.0.0.1')
  })
}

async function frontend (opts: { idleMs?: number, now?: () => number } = {}): Promise<UdpFrontend> {
  const f = new UdpFrontend({ address: '127.0.0.1', port: 0, ...opts })
  await f.listen()
  cleanup.push(async () => { await f.close() })
  return f
}

describe('UDP frontend', () => {
  it('keeps a client on its backend, spreads clients, and replies from the Service port', async () => {
    const f = await frontend()
    f.update([await backend('a'), await backend('b')])
    const c1 = await client()
    const c2 = await client()
    const first = await ask(c1, f.port, 'x')
    expect(first.from).toBe(f.port)
    const name1 = first.text.split(':')[0]
    for (let i = 0; i < 3; i++) expect((await ask(c1, f.port, String(i))).text).toBe(`${String(name1)}:${i}`)
    const name2 = (await ask(c2, f.port, 'y')).text.split(':')[0]
    expect([name1, name2].sort()).toEqual(['a', 'b'])
    expect(f.sessionCount).toBe(2)
  })

  it('moves a session when its backend leaves or nothing listens there; drops datagrams with no backend', async () => {
    const f = await frontend()
    const dead = await deadPort()
    const a = await backend('a')
    f.update([dead, a])
    const c = await client()
    // The first client goes to the dead backend: port unreachable ends the session, the next datagram goes to a.
    expect((await ask(c, f.port, '1', 300)).text).toBe('')
    expect((await ask(c, f.port, '2')).text).toBe('a:2')
    const b = await backend('b')
    f.update([b])
    expect((await ask(c, f.port, '3')).text).toBe('b:3')
    f.update([])
    expect((await ask(c, f.port, '4', 200)).text).toBe('')
    expect(f.dropped).toBeGreaterThan(0)
  })

  it('closes idle sessions', async () => {
    let now = 0
    const f = await frontend({ idleMs: 20, now: () => now })
    f.update([await backend('a')])
    const c = await client()
    expect((await ask(c, f.port, 'x')).text).toBe('a:x')
    expect(f.sessionCount).toBe(1)
    now = 1000
    const deadline = Date.now() + 2000
    while (f.sessionCount > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(f.sessionCount).toBe(0)
  })
})
