// LocalPodIo.portForward: a TCP connection to the pod's IP and port, refused with the code the
// API answers with when the pod is not running, has no IP, or nothing listens on the port.

import { once } from 'node:events'
import { createServer } from 'node:net'
import type { Duplex } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { LocalPodIo } from '../../../src/kubelet/pod-io.ts'
import { harness, podObject, type Harness } from './helpers.ts'

let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

describe('LocalPodIo.portForward', () => {
  it('connects to the pod IP and port, and refuses pods that are not running or ports that refuse', async () => {
    h = await harness()
    const server = createServer((s) => { s.end('hi from the pod') })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const port = (server.address() as { port: number }).port
    try {
      await h.create({ ...podObject('up'), status: { phase: 'Running', podIP: '127.0.0.1' } })
      await h.create({ ...podObject('pending'), status: { phase: 'Pending' } })
      const io = new LocalPodIo(h.backend.reader, h.runtime)
      const signal = new AbortController().signal
      const conn: Duplex = await io.portForward({ namespace: 'default', pod: 'up', port }, signal)
      let got = ''
      conn.on('data', (c: Buffer) => { got += c.toString() })
      await once(conn, 'end')
      expect(got).toBe('hi from the pod')
      conn.destroy()
      await expect(io.portForward({ namespace: 'default', pod: 'pending', port }, signal)).rejects.toMatchObject({ code: 400, message: expect.stringContaining('pod is not running') })
      await expect(io.portForward({ namespace: 'default', pod: 'nope', port }, signal)).rejects.toMatchObject({ code: 404 })
      server.close()
      await once(server, 'close')
      await expect(io.portForward({ namespace: 'default', pod: 'up', port }, signal)).rejects.toMatchObject({ code: 503, message: expect.stringContaining('ECONNREFUSED') })
    } finally {
      server.close()
    }
  })
})
