// Event validation and defaults (core/v1, as Kubernetes' legacy Event rules).

import { describe, expect, it } from 'vitest'
import { eventKind } from '../../../src/objects/event.ts'
import type { KObject } from '../../../src/store/types.ts'

const event = (extra: Record<string, unknown> = {}): KObject => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'web-1.abc', namespace: 'default' },
  involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-1', uid: 'u1' },
  reason: 'Scheduled',
  message: 'Successfully assigned default/web-1 to a',
  type: 'Normal',
  ...extra
})

const fields = (obj: KObject): string[] => eventKind.validate(obj).map((e) => e.field)

describe('Event kind', () => {
  it('accepts a well-formed event and defaults count to 1', () => {
    const e = event()
    eventKind.defaults(e)
    expect(e.count).toBe(1)
    expect(eventKind.validate(e)).toEqual([])
    expect(eventKind.shortNames).toEqual(['ev'])
  })

  it('refuses a missing involvedObject, another namespace, an unknown type and overlong fields', () => {
    expect(fields(event({ involvedObject: undefined }))).toEqual(['involvedObject'])
    expect(fields(event({ involvedObject: { name: 'x' } }))).toEqual(['involvedObject.kind'])
    expect(fields(event({ involvedObject: { kind: 'Pod', name: 'x', namespace: 'other' } }))).toEqual(['involvedObject.namespace'])
    expect(fields(event({ type: 'Info' }))).toEqual(['type'])
    expect(fields(event({ reason: 'x'.repeat(129) }))).toEqual(['reason'])
    expect(fields(event({ message: 'x'.repeat(1025) }))).toEqual(['message'])
    expect(fields(event({ count: -1 }))).toEqual(['count'])
  })

  it('takes events about cluster-scoped objects (no involvedObject.namespace)', () => {
    expect(eventKind.validate(event({ involvedObject: { kind: 'Node', name: 'a', uid: 'n1' } }))).toEqual([])
  })
})
