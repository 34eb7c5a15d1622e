// scopedSignal: a per-operation signal under a role's long-lived one that, unlike
// AbortSignal.any, lets go of the parent once released.

import { afterEach, describe, expect, it, vi } from 'vitest'
import { scopedSignal } from '../../../src/controllers/scoped-signal.ts'

afterEach(() => { vi.useRealTimers() })

describe('scopedSignal', () => {
  it('aborts with the parent, with the parent reason', () => {
    const parent = new AbortController()
    const s = scopedSignal(parent.signal, 1000)
    parent.abort(new Error('role stopped'))
    expect(s.signal.aborted).toBe(true)
    expect((s.signal.reason as Error).message).toBe('role stopped')
    s.release()
  })

  it('aborts with a TimeoutError after ms', () => {
    vi.useFakeTimers()
    const s = scopedSignal(new AbortController().signal, 500)
    vi.advanceTimersByTime(499)
    expect(s.signal.aborted).toBe(false)
    vi.advanceTimersByTime(1)
    expect((s.signal.reason as DOMException).name).toBe('TimeoutError')
  })

  it('once released, keeps no listener on the parent and no timer', () => {
    vi.useFakeTimers()
    const parent = new AbortController()
    const add = vi.spyOn(parent.signal, 'addEventListener')
    const remove = vi.spyOn(parent.signal, 'removeEventListener')
    const s = scopedSignal(parent.signal, 500)
    s.release()
    expect(remove).toHaveBeenCalledWith('abort', add.mock.calls[0]?.[1])
    expect(vi.getTimerCount()).toBe(0)
    parent.abort()
    expect(s.signal.aborted).toBe(false)
  })

  it('an already aborted parent gives an aborted signal', () => {
    const parent = new AbortController()
    parent.abort(new Error('gone'))
    expect(scopedSignal(parent.signal, 500).signal.aborted).toBe(true)
  })
})
