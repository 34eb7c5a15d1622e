// Watches: replay from a resourceVersion then live, Gone for history that is gone, namespace
// and selector filtering with Kubernetes' ADDED/DELETED transitions, isolation of bad consumers.

import { beforeEach, describe, expect, it } from 'vitest'
import { GoneError } from '../../../src/store/errors.ts'
import { ObjectStore } from '../../../src/store/object-store.ts'
import type { KObject, WatchEvent } from '../../../src/store/types.ts'
import { copy, Feeder, namespace, pod } from './helpers.ts'

type Seen = Array<[string, string, string | undefined]>
const summary = (events: WatchEvent[]): Seen => events.map((e) => [e.type, e.object.metadata.name, e.object.metadata.resourceVersion])
const ref = (name: string, ns = 'default'): { group: string, kind: string, namespace: string, name: string } => ({ group: '', kind: 'Pod', namespace: ns, name })

function relabel (p: KObject, labels: Record<string, string>): KObject {
  const next = copy(p)
  next.metadata.labels = labels
  return next
}

describe('ObjectStore watch', () => {
  let store: ObjectStore
  let feed: Feeder
  beforeEach(async () => {
    store = new ObjectStore({ historySize: 5 })
    feed = new Feeder(store)
    await feed.create(namespace('default'), namespace('other')) // indexes 1, 2
  })

  it('replays events after the resourceVersion, then delivers live ones in order', async () => {
    await feed.create(pod('a'))                                            // 3
    await feed.ok({ op: 'update', object: relabel(store.get(ref('a'))!, { x: 'y' }) }) // 4
    const events: WatchEvent[] = []
    const stop = store.watch('', 'Pod', undefined, 3, {}, (e) => events.push(e))
    expect(summary(events)).toEqual([['MODIFIED', 'a', '4']])
    await feed.create(pod('b'))                                             // 5
    await feed.ok({ op: 'delete', ref: ref('a') })                          // 6
    expect(summary(events)).toEqual([['MODIFIED', 'a', '4'], ['ADDED', 'b', '5'], ['DELETED', 'a', '6']])
    stop()
    await feed.create(pod('c'))
    expect(events).toHaveLength(3)
  })

  it('filters by kind and namespace', async () => {
    const events: WatchEvent[] = []
    store.watch('', 'Pod', 'other', store.appliedIndex, {}, (e) => events.push(e))
    await feed.create(pod('a'), pod('b', 'other'), namespace('third'))
    expect(summary(events)).toEqual([['ADDED', 'b', '4']])
  })

  it('throws GoneError (410) once history no longer reaches back', async () => {
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) await feed.create(pod(name)) // 3..8; ring of 5 holds 4..8
    expect(store.historyStart).toBe(3)
    expect(() => store.watch('', 'Pod', undefined, 2, {}, () => {})).toThrow(new GoneError(2, 3))
    expect(() => store.watch('', 'Pod', undefined, 2, {}, () => {})).toThrow('too old resource version: 2 (3)')
    const events: WatchEvent[] = []
    store.watch('', 'Pod', undefined, 3, {}, (e) => events.push(e))
    expect(summary(events).map((e) => e[1])).toEqual(['b', 'c', 'd', 'e', 'f'])
    try {
      store.watch('', 'Pod', undefined, 0, {}, () => {})
    } catch (err) {
      expect(err).toMatchObject({ name: 'GoneError', code: 410 })
    }
  })

  it('expires a watch only when history of its own kind is gone, not for other kinds\' churn', async () => {
    await feed.create(pod('a'))                                                      // 3
    const quiet = store.appliedIndex
    for (const name of ['n1', 'n2', 'n3', 'n4', 'n5', 'n6']) await feed.create(namespace(name)) // 4..9; ring of 5 holds 5..9
    expect(store.historyStart).toBe(4)
    // No Pod event after 3 was pushed out: a Pod watch from 3 resumes, and misses nothing.
    const events: WatchEvent[] = []
    store.watch('', 'Pod', undefined, quiet, {}, (e) => events.push(e))
    await feed.create(pod('b'))                                                      // 10
    expect(summary(events)).toEqual([['ADDED', 'b', '10']])
    // The Pod event at 3 itself is gone by now: from 2 is Expired; Namespaces from before 4 are too.
    expect(() => store.watch('', 'Pod', undefined, 2, {}, () => {})).toThrow(new GoneError(2, 3))
    expect(() => store.watch('', 'Namespace', undefined, quiet, {}, () => {})).toThrow(GoneError)
  })

  it('sends objects that start matching as ADDED and ones that stop as DELETED', async () => {
    await feed.create(pod('a', 'default', { labels: { app: 'web' } }))
    const from = store.appliedIndex
    const events: WatchEvent[] = []
    store.watch('', 'Pod', undefined, from, { labelSelector: 'app=web' }, (e) => events.push(e))
    await feed.ok({ op: 'update', object: relabel(store.get(ref('a'))!, { app: 'web', v: '2' }) })
    const before = store.get(ref('a'))!
    await feed.ok({ op: 'update', object: relabel(before, { app: 'api' }) })
    await feed.ok({ op: 'update', object: relabel(store.get(ref('a'))!, { app: 'api', v: '3' }) })
    await feed.ok({ op: 'update', object: relabel(store.get(ref('a'))!, { app: 'web' }) })
    expect(summary(events)).toEqual([
      ['MODIFIED', 'a', String(from + 1)],
      ['DELETED', 'a', String(from + 2)],
      ['ADDED', 'a', String(from + 4)]
    ])
    // The DELETED event carries the last matching content, at the new resourceVersion.
    expect(events[1]?.object.metadata.labels).toEqual({ app: 'web', v: '2' })

    const replayed: WatchEvent[] = []
    store.watch('', 'Pod', undefined, from, { labelSelector: 'app=web' }, (e) => replayed.push(e))
    expect(summary(replayed)).toEqual(summary(events))
  })

  it('applies field selectors to transitions (status.phase)', async () => {
    await feed.create(pod('a'))
    const events: WatchEvent[] = []
    store.watch('', 'Pod', undefined, store.appliedIndex, { fieldSelector: 'status.phase=Running' }, (e) => events.push(e))
    const running = copy(store.get(ref('a'))!)
    running.status = { phase: 'Running' }
    await feed.ok({ op: 'update', object: running, subresource: 'status' })
    const done = copy(store.get(ref('a'))!)
    done.status = { phase: 'Succeeded' }
    await feed.ok({ op: 'update', object: done, subresource: 'status' })
    expect(events.map((e) => `${e.type} ${String((e.object.status as { phase: string }).phase)}`)).toEqual(['ADDED Running', 'DELETED Running'])
  })

  it('stops a consumer that throws and keeps applying', async () => {
    const errors: unknown[] = []
    const quiet = new ObjectStore({ onWatchError: (err) => errors.push(err) })
    const f = new Feeder(quiet)
    await f.create(namespace('default'))
    let calls = 0
    quiet.watch('', 'Pod', undefined, quiet.appliedIndex, {}, () => { calls++; throw new Error('boom') })
    const good: WatchEvent[] = []
    quiet.watch('', 'Pod', undefined, quiet.appliedIndex, {}, (e) => good.push(e))
    await f.create(pod('a'), pod('b'))
    expect(calls).toBe(1)
    expect(good).toHaveLength(2)
    expect(errors).toEqual([new Error('boom')])
  })

  it('sends no event for an update that changes nothing', async () => {
    await feed.create(pod('a'))
    const events: WatchEvent[] = []
    store.watch('', 'Pod', undefined, store.appliedIndex, {}, (e) => events.push(e))
    await feed.ok({ op: 'update', object: copy(store.get(ref('a'))!) })
    expect(events).toEqual([])
  })

  it('does not send an event twice to a watch started from inside a callback', async () => {
    const inner: WatchEvent[] = []
    store.watch('', 'Pod', undefined, store.appliedIndex, {}, (e) => {
      if (inner.length === 0) store.watch('', 'Pod', undefined, Number(e.object.metadata.resourceVersion) - 1, {}, (x) => inner.push(x))
    })
    await feed.create(pod('a'))
    await feed.create(pod('b'))
    expect(summary(inner).map((e) => e[1])).toEqual(['a', 'b'])
  })

  it('after a restore, resets history and brings live watches to the restored state', async () => {
    await feed.create(pod('keep'), pod('drop'), pod('later'))
    await feed.ok({ op: 'update', object: relabel(store.get(ref('keep'))!, { changed: 'yes' }) })
    await feed.ok({ op: 'delete', ref: ref('drop') })
    const snap = store.snapshot()

    const target = new ObjectStore()
    const tf = new Feeder(target)
    await tf.create(namespace('default'), pod('keep'), pod('drop'))
    const seen: WatchEvent[] = []
    target.watch('', 'Pod', undefined, target.appliedIndex, {}, (e) => seen.push(e))
    await target.restore(snap)
    const at = String(store.appliedIndex)
    expect(summary(seen)).toEqual([['MODIFIED', 'keep', store.get(ref('keep'))!.metadata.resourceVersion], ['ADDED', 'later', '5'], ['DELETED', 'drop', at]])
    expect(target.list('', 'Pod', undefined).items.map((p) => p.metadata.name)).toEqual(['keep', 'later'])
    expect(target.historyStart).toBe(store.appliedIndex)
    expect(() => target.watch('', 'Pod', undefined, store.appliedIndex - 1, {}, () => {})).toThrow(GoneError)
    const after: WatchEvent[] = []
    target.watch('', 'Pod', undefined, store.appliedIndex, {}, (e) => after.push(e))
    await tf.create(pod('new'))
    expect(summary(after)).toEqual([['ADDED', 'new', String(store.appliedIndex + 1)]])
  })
})
