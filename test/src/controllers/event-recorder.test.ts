// The event recorder against the real store on a manual clock: notes go out together after
// flushMs, repeats become one Event with a count, a second recorder (a new leader) counts on
// the same Event, messages are cut to 1 KiB, cluster-scoped objects' Events live in default.

import { describe, expect, it } from 'vitest'
import { EventRecorder } from '../../../src/controllers/event-recorder.ts'
import type { Event } from '../../../src/objects/event.ts'
import type { KObject } from '../../../src/store/types.ts'
import { controllerHarness } from './harness.ts'

const pod: KObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'default', uid: 'p1', resourceVersion: '7' } }
const node: KObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'a', uid: 'n1' } }

async function settle (): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
}

describe('EventRecorder', () => {
  it('writes notes together after flushMs, one Event per happening with its count', async () => {
    const h = await controllerHarness()
    const r = new EventRecorder({ backend: h.backend, clock: h.clock, component: 'default-scheduler', flushMs: 100 })
    r.record(pod, 'Normal', 'Scheduled', 'Successfully assigned default/web-1 to a')
    r.record(pod, 'Warning', 'BackOff', 'Back-off restarting failed container')
    r.record(pod, 'Warning', 'BackOff', 'Back-off restarting failed container')
    r.record(node, 'Normal', 'NodeNotReady', 'Node a status is now: NodeNotReady')
    await settle()
    expect(h.backend.writes).toHaveLength(0)
    h.clock.advance(100)
    await r.flush()
    expect(h.backend.writes).toHaveLength(1)
    const events = h.list('', 'Event', 'default') as Event[]
    expect(events.map((e) => [e.reason, e.count, e.type]).sort()).toEqual([['BackOff', 2, 'Warning'], ['NodeNotReady', 1, 'Normal'], ['Scheduled', 1, 'Normal']])
    const scheduled = events.find((e) => e.reason === 'Scheduled') as Event
    expect(scheduled.involvedObject).toEqual({ apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'web-1', uid: 'p1', resourceVersion: '7' })
    expect(scheduled.source).toEqual({ component: 'default-scheduler' })
    expect(scheduled.metadata.name).toMatch(/^web-1\.[0-9a-f]{16}$/)
    expect((events.find((e) => e.reason === 'NodeNotReady') as Event).involvedObject).toEqual({ apiVersion: 'v1', kind: 'Node', name: 'a', uid: 'n1' })
  })

  it('a second recorder (another leader) counts on the same Event', async () => {
    const h = await controllerHarness()
    const first = new EventRecorder({ backend: h.backend, clock: h.clock, component: 'kubelet', host: 'a' })
    first.record(pod, 'Warning', 'BackOff', 'Back-off')
    await first.stop()
    const second = new EventRecorder({ backend: h.backend, clock: h.clock, component: 'kubelet', host: 'a' })
    second.record(pod, 'Warning', 'BackOff', 'Back-off')
    second.record(pod, 'Warning', 'BackOff', 'Back-off')
    await second.stop()
    const events = h.list('', 'Event', 'default') as Event[]
    expect(events).toHaveLength(1)
    expect(events[0]?.count).toBe(3)
    expect(events[0]?.source).toEqual({ component: 'kubelet', host: 'a' })
    // Stopped: no more notes.
    second.record(pod, 'Warning', 'BackOff', 'Back-off')
    await second.flush()
    expect((h.list('', 'Event', 'default') as Event[])[0]?.count).toBe(3)
  })

  it('cuts long messages to 1 KiB and survives a failed write', async () => {
    const h = await controllerHarness()
    const logs: string[] = []
    const r = new EventRecorder({ backend: h.backend, clock: h.clock, component: 'c', log: (l) => { logs.push(l) } })
    h.backend.failNext.push(new Error('not leader'))
    r.record(pod, 'Normal', 'Lost', 'x')
    await r.flush()
    expect(logs).toEqual(['events: 1 not recorded: not leader'])
    r.record(pod, 'Normal', 'Long', 'y'.repeat(5000))
    await r.flush()
    const [e] = h.list('', 'Event', 'default') as Event[]
    expect(e?.message).toHaveLength(1024)
    expect(e?.message?.endsWith('...')).toBe(true)
  })
})

describe('EventRecorder under a burst', () => {
  const settle = async (): Promise<void> => { for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve)) }
  const podN = (i: number): KObject => ({ ...pod, metadata: { ...pod.metadata, name: `p${i}`, uid: `u${i}` } })

  it('waits for a quiet moment, or maxDelayMs after the first note', async () => {
    const h = await controllerHarness()
    const r = new EventRecorder({ backend: h.backend, clock: h.clock, component: 'c', flushMs: 100, maxDelayMs: 1000 })
    // A note every 50 ms: never quiet for 100 ms, so they go out at maxDelayMs.
    for (let i = 0; i < 19; i++) {
      r.record(podN(i), 'Normal', 'Scheduled', `to n${i}`)
      h.clock.advance(50)
      await settle()
      expect(h.list('', 'Event', 'default')).toHaveLength(0)
    }
    r.record(podN(19), 'Normal', 'Scheduled', 'to n19')
    h.clock.advance(50)
    await settle()
    await r.flush()
    expect(h.list('', 'Event', 'default')).toHaveLength(20)
  })

  it('drops notes past maxPending, and says how many', async () => {
    const h = await controllerHarness()
    const logs: string[] = []
    const r = new EventRecorder({ backend: h.backend, clock: h.clock, component: 'c', maxPending: 2, log: (l) => { logs.push(l) } })
    for (let i = 0; i < 5; i++) r.record(podN(i), 'Normal', 'Scheduled', `to n${i}`)
    await r.flush()
    expect(h.list('', 'Event', 'default')).toHaveLength(2)
    expect(logs).toEqual(['events: 3 dropped: more than 2 were waiting'])
  })

  it('gives happenings noted in the same instant increasing timestamps, so kubectl describe keeps their order', async () => {
    const h = await controllerHarness()
    const r = new EventRecorder({ backend: h.backend, clock: h.clock, component: 'kubelet', host: 'a', flushMs: 100 })
    for (const reason of ['Pulled', 'Created', 'Started']) r.record(pod, 'Normal', reason, `${reason} container app`)
    h.clock.advance(100)
    await r.flush()
    const events = h.list('', 'Event', 'default') as Event[]
    const at = (reason: string): number => Date.parse(String(events.find((e) => e.reason === reason)?.lastTimestamp))
    expect(at('Pulled')).toBeLessThan(at('Created'))
    expect(at('Created')).toBeLessThan(at('Started'))
  })
})
