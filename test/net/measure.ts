// Measures the net layer on loopback (not a test: figures depend on the machine and its load).
// Run: npx tsx test/net/measure.ts [--values 200000]
// Prints message-channel throughput for 100-byte values, unary rpc round-trip latency
// (sequential) and throughput (1,000 in flight), with libp2p ping beside them.

import '../../polyfill.ts'
import { loadavg } from 'node:os'
import { generateClusterKey } from '../../net/cluster-key.ts'
import { createHost, type Host } from '../../net/host.ts'
import { MessageChannel } from '../../net/message-channel.ts'
import { Rpc } from '../../net/rpc.ts'

const total = Number(process.argv[process.argv.indexOf('--values') + 1] ?? '') || 200_000

function percentile (sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN
}

async function channelThroughput (a: Host, b: Host, perTick: number): Promise<number> {
  const sender = new MessageChannel({ host: a }, { protocol: `/measure/${perTick}/1.0.0`, maxQueuedPerPeer: 1_000_000 })
  const receiver = new MessageChannel({ host: b }, { protocol: `/measure/${perTick}/1.0.0` })
  await sender.start()
  await receiver.start()
  let received = 0
  let resolve!: () => void
  const done = new Promise<void>(r => { resolve = r })
  receiver.onMessage(() => { if (++received === total + 1) resolve() })
  const value = new Uint8Array(100).fill(7)
  sender.send(b.peerId, [value]) // open the stream before the clock starts
  while (received === 0) await new Promise(r => setImmediate(r))
  const start = performance.now()
  for (let sent = 0; sent < total; sent += perTick) {
    // One value per send() call, perTick calls per macrotask: what a busy Raft leader does.
    for (let i = 0; i < perTick; i++) sender.send(b.peerId, [value])
    await new Promise(r => setImmediate(r))
  }
  await done
  const seconds = (performance.now() - start) / 1000
  await sender.stop()
  await receiver.stop()
  return total / seconds
}

async function rpcLatency (a: Host, b: Host): Promise<{ p50: number, p99: number, concurrentPerSecond: number }> {
  const client = new Rpc({ host: a })
  const server = new Rpc({ host: b })
  await client.start()
  await server.start()
  server.handle('echo', async (req) => req)
  for (let i = 0; i < 500; i++) await client.call(b.peerId, 'echo', { i }) // warm up
  const samples: number[] = []
  for (let i = 0; i < 5000; i++) {
    const t = performance.now()
    await client.call(b.peerId, 'echo', { i, key: 'k'.repeat(40) })
    samples.push(performance.now() - t)
  }
  samples.sort((x, y) => x - y)
  const rounds = 20
  const start = performance.now()
  for (let r = 0; r < rounds; r++) {
    await Promise.all(Array.from({ length: 1000 }, async (_, i) => await client.call(b.peerId, 'echo', { i, pad: 'x'.repeat(100) })))
  }
  const concurrentPerSecond = rounds * 1000 / ((performance.now() - start) / 1000)
  await client.stop()
  await server.stop()
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), concurrentPerSecond }
}

const key = generateClusterKey()
const a = await createHost({ clusterKey: key })
const b = await createHost({ clusterKey: key })
await a.dial(b.listenAddresses[0] ?? '')
const pings: number[] = []
for (let i = 0; i < 200; i++) {
  const t = performance.now()
  await a.ping(b.peerId)
  pings.push(performance.now() - t)
}
pings.sort((x, y) => x - y)

console.log(`load average before: ${loadavg().map(l => l.toFixed(2)).join(' ')}`)
for (const perTick of [1, 100, 1000]) {
  const rate = await channelThroughput(a, b, perTick)
  console.log(`message channel, 100-byte values, ${perTick} send()/tick: ${Math.round(rate).toLocaleString('en')} msgs/s (${total.toLocaleString('en')} values)`)
}
const rpc = await rpcLatency(a, b)
console.log(`rpc round trip (sequential, 5,000 calls): p50 ${rpc.p50.toFixed(3)} ms, p99 ${rpc.p99.toFixed(3)} ms`)
console.log(`rpc throughput (1,000 calls in flight): ${Math.round(rpc.concurrentPerSecond).toLocaleString('en')} calls/s`)
console.log(`libp2p ping (200): p50 ${percentile(pings, 0.5).toFixed(3)} ms`)
console.log(`load average after: ${loadavg().map(l => l.toFixed(2)).join(' ')}`)
await a.stop()
await b.stop()
