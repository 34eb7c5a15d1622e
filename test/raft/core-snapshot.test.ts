import { describe, expect, it } from 'vitest'
import { Harness } from './harness.ts'

// Log compaction and InstallSnapshot (§7).

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

/** Leader a, follower c cut off while a commits `proposals` entries. */
function cutOffFollower (chunkBytes: number, proposals: number): Harness {
  const h = new Harness(['a', 'b', 'c'], { options: { snapshotChunkBytes: chunkBytes } })
  h.stabilize()
  h.campaign('a')
  h.tick('all', 1)
  h.isolate('c')
  for (let i = 0; i < proposals; i++) h.propose('a', `v${i}`)
  return h
}

describe('snapshots (§7)', () => {
  it('a follower behind the compacted log receives the snapshot in chunks, then the tail', () => {
    const h = cutOffFollower(16, 20)
    const a = h.core('a')
    const state = enc(JSON.stringify(h.appliedData('a'))) // the "state machine" bytes
    a.compact(state)
    expect(a.log.firstIndex).toBeGreaterThan(h.core('c').log.lastIndex() + 1)
    h.propose('a', 'tail')
    let chunks = 0
    h.observe = (m) => { if (m.type === 'snapshot' && m.to === 'c') chunks++ }
    h.heal()
    h.tick('all', 3)
    expect(chunks).toBe(Math.ceil(state.length / 16))
    const c = h.node('c')
    expect(c.restored).toHaveLength(1)
    expect(new TextDecoder().decode(c.restored[0]?.data)).toBe(JSON.stringify(h.appliedData('a').slice(0, 20)))
    // After the snapshot, the tail arrives through AppendEntries.
    expect(c.applied.map((e) => new TextDecoder().decode(e.data))).toContain('tail')
    expect(h.core('c').log.commit).toBe(a.log.commit)
  })

  it('a leader that released the snapshot bytes sends chunks it reads back (Ready.snapshotReads)', () => {
    const h = cutOffFollower(16, 20)
    const a = h.core('a')
    const state = enc(JSON.stringify(h.appliedData('a')))
    h.compactAndRelease('a', state)
    expect(a.snapshot).toMatchObject({ size: state.length, data: null })
    const reads: number[] = []
    h.observe = (m) => { if (m.type === 'snapshot' && m.to === 'c') reads.push(m.offset) }
    h.heal()
    h.tick('all', 3)
    expect(reads).toEqual(Array.from({ length: Math.ceil(state.length / 16) }, (_, i) => i * 16))
    expect(new TextDecoder().decode(h.node('c').restored[0]?.data)).toBe(JSON.stringify(h.appliedData('a').slice(0, 20)))
    expect(h.core('c').log.commit).toBe(a.log.commit)
  })

  it('a chunk read back after the transfer moved on is not sent', () => {
    const h = cutOffFollower(8, 10)
    const snap = h.compactAndRelease('a', enc('0123456789abcdefghijklmnopqrstuvwxyz'))
    const a = h.core('a')
    h.serveSnapshotReads = false
    h.heal()
    for (let i = 0; i < 5 && h.snapshotReads.length === 0; i++) h.tick('all', 1)
    expect(h.snapshotReads).toEqual([{ to: 'c', index: snap.meta.index, offset: 0, length: 8 }])
    // The transfer waits on offset 0 of this snapshot: answers for another offset or snapshot are dropped.
    a.sendSnapshotChunkData('c', snap.meta.index, 8, enc('89abcdef'))
    a.sendSnapshotChunkData('c', snap.meta.index - 1, 0, enc('01234567'))
    expect(a.hasReady()).toBe(false)
    a.sendSnapshotChunkData('c', snap.meta.index, 0, enc('01234567'))
    const rd = a.ready()
    expect([...rd.earlyMessages, ...rd.messages]).toMatchObject([{ type: 'snapshot', to: 'c', offset: 0, done: false, meta: { index: snap.meta.index } }])
  })

  it('a lost chunk is re-sent after silence and the transfer completes', () => {
    const h = cutOffFollower(8, 10)
    h.core('a').compact(enc('0123456789abcdefghijklmnopqrstuvwxyz'))
    h.heal()
    let dropped = false
    h.core('a').tick()
    // Drop the second chunk once.
    for (let i = 0; i < 50; i++) {
      h.processReadies()
      h.deliver((m) => {
        if (!dropped && m.type === 'snapshot' && m.offset === 8) { dropped = true; return false }
        return true
      })
    }
    expect(dropped).toBe(true)
    h.tick('all', 25)
    expect(h.node('c').restored).toHaveLength(1)
    expect(new TextDecoder().decode(h.node('c').restored[0]?.data)).toBe('0123456789abcdefghijklmnopqrstuvwxyz')
  })

  it('restart from snapshot plus log tail keeps the log and commit', () => {
    const h = new Harness(['a', 'b', 'c'])
    h.stabilize()
    h.campaign('a')
    h.tick('all', 1)
    for (let i = 0; i < 5; i++) h.propose('a', `v${i}`)
    h.tick('all', 1)
    const b = h.node('b')
    b.disk.snapshot = { meta: { index: b.core.applied, term: b.core.log.term(b.core.applied)!, conf: b.core.membership.toConfState() }, data: enc('state') }
    b.core.compact(enc('state'))
    h.propose('a', 'after')
    h.tick('all', 1)
    const last = b.core.log.lastIndex()
    h.restart('b')
    expect(h.core('b').log.lastIndex()).toBe(last)
    expect(h.core('b').membership.voters).toEqual(new Set(['a', 'b', 'c']))
    h.tick('all', 2)
    expect(h.core('b').log.commit).toBe(h.core('a').log.commit)
  })

  it('retained entries spare a slightly slow follower the snapshot', () => {
    const h = new Harness(['a', 'b', 'c'])
    h.stabilize()
    h.campaign('a')
    h.tick('all', 1)
    h.isolate('c')
    for (let i = 0; i < 5; i++) h.propose('a', `v${i}`)
    const a = h.core('a')
    a.compact(enc('state'), a.applied - 10)
    let snaps = 0
    h.observe = (m) => { if (m.type === 'snapshot') snaps++ }
    h.heal()
    h.tick('all', 3)
    expect(snaps).toBe(0)
    expect(h.appliedData('c')).toHaveLength(5)
  })

  it('compact() does nothing while a snapshot received from the leader waits to be handed out', () => {
    const h = new Harness(['a', 'b', 'c'], { options: { snapshotChunkBytes: 1024 } })
    h.stabilize()
    h.campaign('a')
    h.tick('all', 1)
    h.isolate('c')
    for (let i = 0; i < 5; i++) h.propose('a', `v${i}`)
    h.core('a').compact(enc('state'))
    h.heal()
    h.core('a').tick()
    // Deliver to c without letting it process its Ready: the snapshot is installed and pending.
    const c = h.core('c')
    for (let i = 0; i < 20 && c.pendingSnapshot === null; i++) {
      h.processReadies()
      const chunk = h.queue.find((m) => m.type === 'snapshot' && m.to === 'c')
      if (chunk !== undefined) c.step(chunk) // installed; c's Ready is not processed yet
      else h.deliver()
    }
    expect(h.core('c').pendingSnapshot).not.toBeNull()
    expect(h.core('c').compact(enc('mine'))).toBeNull()
    h.stabilize()
    expect(new TextDecoder().decode(h.node('c').restored[0]?.data)).toBe('state')
  })
})

