// AgentBackend: retries of writes and read barriers (until success, a non-retryable error,
// the caller's signal, or — without a signal — the default timeout), answers to duplicates,
// and the timestamps it hands out. Raft is a named fake that answers from a script; timers
// and the clock are vitest's fakes.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { NotLeaderError } from '../../../raft/errors.ts'
import type { ProposeResult, RaftNode } from '../../../raft/node.ts'
import { AgentBackend } from '../../../src/agent/api-backend.ts'
import { ObjectStore } from '../../../src/store/object-store.ts'
import type { KObject, StoreCommand } from '../../../src/store/types.ts'

/** Answers submit/readIndex from a script of results and errors; records each call's proposal id and signal. */
class ScriptedRaft {
  readonly calls: Array<{ id?: string, signal?: AbortSignal }> = []
  constructor (private readonly script: Array<ProposeResult | Error>, private readonly fallback?: ProposeResult | Error) {}

  async submit (_data: Uint8Array, opts: { id: string, signal?: AbortSignal }): Promise<ProposeResult> {
    this.calls.push(opts)
    const next = this.script.shift() ?? this.fallback
    if (next === undefined) throw new Error('the script ran out')
    if (next instanceof Error) throw next
    return next
  }

  async readIndex (opts: { signal?: AbortSignal } = {}): Promise<number> {
    return (await this.submit(new Uint8Array(), { id: 'read', ...opts })).index
  }
}

const CM: KObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'default' } }
const CREATE: StoreCommand = { op: 'create', object: CM }

function backend (raft: ScriptedRaft, timeoutMs?: number): AgentBackend {
  return new AgentBackend({ raft: raft as unknown as RaftNode, reader: new ObjectStore() }, timeoutMs)
}

describe('AgentBackend', () => {
  beforeEach(() => { vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] }) })
  afterEach(() => { vi.useRealTimers() })

  it('retries a write after a retryable error with the same proposal id, and answers the result', async () => {
    const raft = new ScriptedRaft([new NotLeaderError(null), new NotLeaderError(null), { index: 7, result: { ok: true, object: CM } }])
    const written = backend(raft).write(CREATE)
    await vi.runAllTimersAsync()
    expect(await written).toEqual({ ok: true, object: CM })
    expect(raft.calls).toHaveLength(3)
    expect(new Set(raft.calls.map(c => c.id)).size).toBe(1)
  })

  it('gives up a write without a signal once the default timeout has passed', async () => {
    const raft = new ScriptedRaft([], new NotLeaderError(null))
    const written = backend(raft, 1000).write(CREATE)
    const outcome = written.then(() => 'resolved', (err: Error) => err.name)
    await vi.advanceTimersByTimeAsync(999)
    const attempts = raft.calls.length
    expect(attempts).toBeGreaterThan(5)
    await vi.advanceTimersByTimeAsync(1000)
    expect(await outcome).toBe('NotLeaderError')
    expect(raft.calls.length).toBeLessThanOrEqual(attempts + 1)
  })

  it('passes the caller\'s signal to Raft and stops retrying once it fires', async () => {
    const raft = new ScriptedRaft([], new NotLeaderError(null))
    const controller = new AbortController()
    const outcome = backend(raft, 1000).write(CREATE, controller.signal).then(() => 'resolved', (err: Error) => err.name)
    await vi.advanceTimersByTimeAsync(5000)
    expect(raft.calls.length).toBeGreaterThan(10)
    expect(raft.calls.every(c => c.signal === controller.signal)).toBe(true)
    controller.abort()
    await vi.advanceTimersByTimeAsync(0)
    expect(await outcome).toBe('NotLeaderError')
  })

  it('fails at once on an error that is not retryable', async () => {
    const raft = new ScriptedRaft([new Error('disk full')])
    await expect(backend(raft).write(CREATE)).rejects.toThrow('disk full')
    await expect(backend(new ScriptedRaft([new Error('disk full')])).linearize()).rejects.toThrow('disk full')
    expect(raft.calls).toHaveLength(1)
  })

  it('answers a duplicate write with the object as the replica holds it', async () => {
    const store = new ObjectStore()
    const raft = new ScriptedRaft([{ index: 3, result: undefined, duplicateOf: 3 }])
    const b = new AgentBackend({ raft: raft as unknown as RaftNode, reader: store })
    expect(await b.write(CREATE)).toEqual({ ok: true, object: CM })
  })

  it('hands out timestamps as Date.toISOString does, across second boundaries', () => {
    const b = backend(new ScriptedRaft([]))
    for (const ms of [Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1) + 7, Date.UTC(2026, 0, 1) + 999, Date.UTC(2026, 0, 1, 0, 0, 1), Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(2027, 0, 1, 0, 0, 0, 42)]) {
      vi.setSystemTime(ms)
      expect(b.now()).toBe(new Date(ms).toISOString())
    }
  })
})
