import { describe, expect, test } from 'vitest'
import { Forwarder, type Forward } from '../../raft/forwarding.ts'
import type { ForwardedProposal } from '../../raft/types.ts'

function forward (id: string, settled: Map<string, unknown>): Forward {
  return {
    data: new Uint8Array([1]),
    id,
    deadline: Number.POSITIVE_INFINITY,
    sentAt: 0,
    resolve: (r) => { settled.set(id, r) },
    reject: (e) => { settled.set(id, e) }
  }
}

describe('Forwarder', () => {
  test('settleApplied resolves, as duplicates, the forwards a snapshot brought in, and keeps the others', async () => {
    const sent: ForwardedProposal[][] = []
    const forwarder = new Forwarder((entries) => { sent.push(entries) })
    const settled = new Map<string, unknown>()
    forwarder.add(forward('in-snapshot', settled))
    forwarder.add(forward('not-yet', settled))
    await Promise.resolve()
    expect(sent.flat().map((e) => e.id)).toEqual(['in-snapshot', 'not-yet'])

    forwarder.settleApplied((id) => id === 'in-snapshot' ? 42 : undefined)
    expect(settled.get('in-snapshot')).toEqual({ index: 42, result: undefined, duplicateOf: 42 })
    expect(settled.has('not-yet')).toBe(false)
    expect(forwarder.size).toBe(1)
    expect(forwarder.take('not-yet')?.id).toBe('not-yet')
  })
})
