import { describe, expect, test } from 'vitest'
import { Forwarder, type FallbackReceipt, type Forward, type ForwarderOptions } from '../../raft/forwarding.ts'
import type { ForwardedProposal } from '../../raft/types.ts'

/** A caller of `id`, recording how it settled in `settled` under `name` (default: the id). */
function forward (id: string, settled: Map<string, unknown>, opts: { name?: string, deadline?: number } = {}): Forward {
  const name = opts.name ?? id
  return {
    data: new Uint8Array([1]),
    id,
    deadline: opts.deadline ?? Number.POSITIVE_INFINITY,
    resolve: (r) => { settled.set(name, r) },
    reject: (e) => { settled.set(name, e) }
  }
}

/** Let queued batches flush and fallback promises settle (no timers involved). */
async function turn (): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}

interface Rig {
  forwarder: Forwarder
  /** Ids sent by propose message, one array per batch. */
  sent: string[][]
  /** Ids handed to the fallback, in order. */
  fellBack: string[]
  /** Answers the next fallback calls get (shifted off; default: the leader took it, first copy). */
  answers: Array<FallbackReceipt | Error>
}

function rig (opts: Partial<ForwarderOptions> & { withFallback?: boolean } = {}): Rig {
  const r: Rig = { forwarder: undefined as unknown as Forwarder, sent: [], fellBack: [], answers: [] }
  const fallback = async (p: ForwardedProposal): Promise<FallbackReceipt> => {
    r.fellBack.push(p.id)
    const a = r.answers.shift() ?? { index: 7 }
    if (a instanceof Error) throw a
    return a
  }
  r.forwarder = new Forwarder({
    send: (entries) => { r.sent.push(entries.map((e) => e.id)) },
    ...(opts.withFallback === true ? { fallback } : {}),
    ...opts
  })
  return r
}

const timeout = (): Error => new Error('timed out')

describe('Forwarder', () => {
  test('settleApplied resolves, as duplicates, the forwards a snapshot brought in, and keeps the others', async () => {
    const { forwarder, sent } = rig()
    const settled = new Map<string, unknown>()
    forwarder.add(forward('in-snapshot', settled), 0)
    forwarder.add(forward('not-yet', settled), 0)
    await turn()
    expect(sent.flat()).toEqual(['in-snapshot', 'not-yet'])

    forwarder.settleApplied((id) => id === 'in-snapshot' ? 42 : undefined)
    expect(settled.get('in-snapshot')).toEqual({ index: 42, result: undefined, duplicateOf: 42 })
    expect(settled.has('not-yet')).toBe(false)
    expect(forwarder.size).toBe(1)
    expect(forwarder.resolve('not-yet', { index: 43, result: 'r' })).toBe(true)
    expect(settled.get('not-yet')).toEqual({ index: 43, result: 'r' })
  })

  test('a second caller with an id already pending joins the first: sent once, and both settle with the entry', async () => {
    const { forwarder, sent } = rig()
    const settled = new Map<string, unknown>()
    forwarder.add(forward('w', settled, { name: 'first' }), 0)
    forwarder.add(forward('w', settled, { name: 'second' }), 0)
    await turn()
    expect(sent.flat()).toEqual(['w'])
    expect(forwarder.size).toBe(1)
    forwarder.resolve('w', { index: 5, result: 'ok' })
    expect(settled.get('first')).toEqual({ index: 5, result: 'ok' })
    expect(settled.get('second')).toEqual({ index: 5, result: 'ok' })
    expect(forwarder.size).toBe(0)
  })

  test('a joined caller that gives up or times out leaves the other waiting', async () => {
    const { forwarder } = rig()
    const settled = new Map<string, unknown>()
    const first = forward('w', settled, { name: 'first', deadline: 100 })
    const second = forward('w', settled, { name: 'second', deadline: 1000 })
    const third = forward('w', settled, { name: 'third' })
    forwarder.add(first, 0)
    forwarder.add(second, 0)
    forwarder.add(third, 0)
    expect(forwarder.cancel(third)).toBe(true)
    expect(forwarder.has(third)).toBe(false)
    forwarder.tick(100, 1000, timeout)
    expect(settled.get('first')).toEqual(new Error('timed out'))
    expect(forwarder.has(second)).toBe(true)
    forwarder.resolve('w', { index: 9, result: 'ok' })
    expect(settled.get('second')).toEqual({ index: 9, result: 'ok' })
    expect(settled.has('third')).toBe(false)
  })

  test('without a fallback, a forward not in the log is sent again by message on every resend', async () => {
    const { forwarder, sent } = rig()
    forwarder.add(forward('w', new Map()), 0)
    await turn()
    for (const now of [500, 1000, 1500, 2000, 3000]) {
      forwarder.tick(now, 1000, timeout)
      await turn()
    }
    expect(sent.flat()).toEqual(['w', 'w', 'w', 'w'])
    // Seen in this node's log: the timer leaves it alone.
    forwarder.appended('w')
    forwarder.tick(5000, 1000, timeout)
    await turn()
    expect(sent.flat()).toEqual(['w', 'w', 'w', 'w'])
  })

  test('a forward not in the log after fallbackAfter resends goes by the fallback; a leader that took it only that way gets every later forward that way', async () => {
    const r = rig({ withFallback: true, fallbackAfter: 2 })
    const settled = new Map<string, unknown>()
    r.forwarder.add(forward('a', settled), 0)
    await turn()
    r.forwarder.tick(1000, 1000, timeout)
    await turn()
    r.forwarder.tick(2000, 1000, timeout)
    await turn()
    expect(r.sent.flat()).toEqual(['a', 'a'])
    expect(r.fellBack).toEqual(['a'])
    // Taken by the leader (committed there): no more resends while it travels to this log.
    r.forwarder.tick(3000, 1000, timeout)
    await turn()
    expect(r.fellBack).toEqual(['a'])
    // The leader did not have it before (no duplicateOf): later forwards skip the messages.
    r.forwarder.add(forward('b', settled), 3000)
    await turn()
    expect(r.sent.flat()).toEqual(['a', 'a'])
    expect(r.fellBack).toEqual(['a', 'b'])
    r.forwarder.resolve('a', { index: 7, result: 'A' })
    expect(settled.get('a')).toEqual({ index: 7, result: 'A' })
    // A new leader or term: messages again, for what is pending and what comes next.
    r.forwarder.resendAll(3000)
    r.forwarder.add(forward('c', settled), 3000)
    await turn()
    expect(r.sent.slice(2)).toEqual([['b', 'c']])
    expect(r.fellBack).toEqual(['a', 'b'])
  })

  test('a fallback that finds the proposal already there (duplicateOf) keeps later forwards on messages', async () => {
    const r = rig({ withFallback: true, fallbackAfter: 1 })
    r.answers.push({ index: 3, duplicateOf: 2 })
    r.forwarder.add(forward('a', new Map()), 0)
    await turn()
    r.forwarder.tick(1000, 1000, timeout)
    await turn()
    expect(r.fellBack).toEqual(['a'])
    r.forwarder.add(forward('b', new Map()), 1000)
    await turn()
    expect(r.sent.flat()).toEqual(['a', 'b'])
    expect(r.fellBack).toEqual(['a'])
  })

  test('a failed fallback is tried again on the next resend, one at a time', async () => {
    const r = rig({ withFallback: true, fallbackAfter: 1 })
    r.answers.push(new Error('PeerUnreachableError'))
    let release: (v: FallbackReceipt) => void = () => {}
    const held = new Forwarder({
      send: () => {},
      fallback: async (p) => { r.fellBack.push(`held-${p.id}`); return await new Promise<FallbackReceipt>((resolve) => { release = resolve }) },
      fallbackAfter: 1
    })
    r.forwarder.add(forward('a', new Map()), 0)
    r.forwarder.tick(1000, 1000, timeout)
    await turn()
    r.forwarder.tick(2000, 1000, timeout)
    await turn()
    expect(r.fellBack).toEqual(['a', 'a'])
    // While one delivery is under way, the timer starts no other.
    held.add(forward('x', new Map()), 0)
    held.tick(1000, 1000, timeout)
    await turn()
    held.tick(2000, 1000, timeout)
    held.tick(3000, 1000, timeout)
    await turn()
    expect(r.fellBack).toEqual(['a', 'a', 'held-x'])
    release({ index: 1 })
    await turn()
    held.tick(4000, 1000, timeout)
    await turn()
    expect(r.fellBack).toEqual(['a', 'a', 'held-x'])
  })
})
