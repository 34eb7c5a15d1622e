// Event expiry: Events last seen more than the TTL ago are deleted on the next check; newer
// ones, and Events that happened again meanwhile (lastTimestamp moved), stay.

import { describe, expect, it } from 'vitest'
import { EventRecorder } from '../../../src/controllers/event-recorder.ts'
import { eventTtlController } from '../../../src/controllers/event-ttl.ts'
import type { KObject } from '../../../src/store/types.ts'
import { controllerHarness } from './harness.ts'

const pod = (name: string): KObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid: name } })

describe('Event TTL', () => {
  it('deletes Events last seen more than the TTL ago, once a minute', async () => {
    const h = await controllerHarness()
    const rec = new EventRecorder({ backend: h.backend, clock: h.clock, component: 'test' })
    rec.record(pod('old'), 'Normal', 'Started', 'Started container app')
    rec.record(pod('again'), 'Warning', 'BackOff', 'Back-off')
    await rec.flush()
    h.clock.advance(50 * 60_000)
    rec.record(pod('again'), 'Warning', 'BackOff', 'Back-off')
    rec.record(pod('new'), 'Normal', 'Started', 'Started container app')
    await rec.flush()
    const gc = eventTtlController(h.ctx, { ttlMs: 60 * 60_000, everyMs: 60_000 })
    gc.start()
    for (let minute = 0; minute < 11; minute++) {
      h.clock.advance(60_000)
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
    }
    await gc.stop()
    const left = h.list('', 'Event', 'default').map((e) => (e.involvedObject as { name: string }).name).sort()
    expect(left).toEqual(['again', 'new'])
  })
})
