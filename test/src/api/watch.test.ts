// Watch streams: initial ADDED events, live MODIFIED/DELETED, starting from a resourceVersion,
// 410 as an ERROR event, timeoutSeconds, selectors, bookmarks, streaming lists
// (sendInitialEvents), the ListOptions rules, and ending on server stop.

import { describe, expect, it } from 'vitest'
import { pod, readEvents, startApi, TOKEN, until, type Harness } from './harness.ts'

const PODS = '/api/v1/namespaces/default/pods'

async function watch (h: Harness, path: string, headers: Record<string, string> = {}): Promise<Response> {
  const res = await fetch(h.base + path, { headers: { Authorization: `Bearer ${TOKEN}`, ...headers } })
  expect(res.status).toBe(200)
  return res
}

describe('watch', () => {
  it('sends the current objects as ADDED, then live ADDED, MODIFIED and DELETED events', async () => {
    const h = await startApi()
    await h.call('POST', PODS, pod('a'))
    const res = await watch(h, `${PODS}?watch=1`)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(await readEvents(res, 1)).toMatchObject([{ type: 'ADDED', object: { metadata: { name: 'a' } } }])
    expect(h.backend.linearizeCalls).toBe(1)

    await h.call('POST', PODS, pod('b'))
    await h.call('PATCH', `${PODS}/a`, JSON.stringify({ metadata: { labels: { x: 'y' } } }), { 'Content-Type': 'application/merge-patch+json' })
    await h.call('DELETE', `${PODS}/b`)
    await h.call('POST', '/api/v1/namespaces/other/pods', pod('elsewhere'))
    const events = await readEvents(res, 3)
    expect(events.map(e => [e.type, e.object.metadata.name])).toEqual([['ADDED', 'b'], ['MODIFIED', 'a'], ['DELETED', 'b']])
    expect(events[1].object.metadata.labels).toEqual({ x: 'y' })
    expect(h.store.watching).toBe(1)
    await res.body?.cancel()
    await until(() => h.store.watching === 0)
  })

  it('starts after a given resourceVersion without replaying the list', async () => {
    const h = await startApi()
    await h.call('POST', PODS, pod('a'))
    await h.call('POST', PODS, pod('b'))
    await h.call('DELETE', `${PODS}/a`)
    const res = await watch(h, `${PODS}?watch=true&resourceVersion=1`)
    const events = await readEvents(res, 2)
    expect(events.map(e => [e.type, e.object.metadata.name])).toEqual([['ADDED', 'b'], ['DELETED', 'a']])
    expect(h.backend.linearizeCalls).toBe(0)
    await res.body?.cancel()
  })

  it('sends a 410 ERROR event when the history no longer reaches the resourceVersion', async () => {
    const h = await startApi()
    await h.call('POST', PODS, pod('a'))
    await h.call('POST', PODS, pod('b'))
    h.store.compactedIndex = 2
    const res = await watch(h, `${PODS}?watch=1&resourceVersion=1`)
    const events = await readEvents(res, 2, 2000)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410 } })
  })

  it('ends after timeoutSeconds', async () => {
    const h = await startApi()
    const res = await watch(h, `${PODS}?watch=1&timeoutSeconds=1`)
    const started = Date.now()
    expect(await res.text()).toBe('')
    expect(Date.now() - started).toBeLessThan(5000)
    expect(h.store.watching).toBe(0)
  })

  it('filters by label selector and by name (legacy /watch/ path)', async () => {
    const h = await startApi()
    const byLabel = await watch(h, `${PODS}?watch=1&resourceVersion=0&labelSelector=app%3Dweb`)
    const byName = await watch(h, '/api/v1/watch/namespaces/default/pods/b')
    await h.call('POST', PODS, pod('a', { metadata: { name: 'a', labels: { app: 'web' } } }))
    await h.call('POST', PODS, pod('b'))
    expect((await readEvents(byLabel, 1)).map(e => e.object.metadata.name)).toEqual(['a'])
    expect((await readEvents(byName, 1)).map(e => e.object.metadata.name)).toEqual(['b'])
    await byLabel.body?.cancel()
    await byName.body?.cancel()
  })

  it('answers a bad selector with 400 before streaming', async () => {
    const h = await startApi()
    const res = await h.call('GET', `${PODS}?watch=1&labelSelector=${encodeURIComponent('(((')}`)
    expect(res.status).toBe(400)
  })

  it('streams Table events to kubectl get -w', async () => {
    const h = await startApi()
    await h.call('POST', PODS, pod('a'))
    const res = await watch(h, `${PODS}?watch=1`, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' })
    await h.call('POST', PODS, pod('b'))
    const events = await readEvents(res, 2)
    expect(events[0]).toMatchObject({ type: 'ADDED', object: { kind: 'Table', columnDefinitions: [{ name: 'Name' }, { name: 'Ready' }, { name: 'Status' }, { name: 'Restarts' }, { name: 'Age' }, { name: 'IP', priority: 1 }, { name: 'Node', priority: 1 }, { name: 'Nominated Node', priority: 1 }, { name: 'Readiness Gates', priority: 1 }], rows: [{ cells: ['a', '0/1', 'Pending', '0', '0s', '<none>', '<none>', '<none>', '<none>'] }] } })
    expect(events[1]).toMatchObject({ type: 'ADDED', object: { kind: 'Table', columnDefinitions: [], rows: [{ cells: ['b', '0/1', 'Pending', '0', '0s', '<none>', '<none>', '<none>', '<none>'] }] } })
    await res.body?.cancel()
  })

  it('with allowWatchBookmarks, sends a BOOKMARK with the resourceVersion it is up to when that moved', async () => {
    const h = await startApi({ watchBookmarkIntervalMs: 100 })
    await h.call('POST', PODS, pod('a'))
    const res = await watch(h, `${PODS}?watch=1&resourceVersion=1&allowWatchBookmarks=true`)
    // A write to another namespace moves the resourceVersion without an event for this watch.
    await h.call('POST', '/api/v1/namespaces/other/pods', pod('elsewhere'))
    const [e] = await readEvents(res, 1)
    expect(e).toEqual({ type: 'BOOKMARK', object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: '2' } } })
    // Nothing moved: no more bookmarks; the next thing is the next event.
    await new Promise((resolve) => setTimeout(resolve, 300))
    await h.call('POST', PODS, pod('b'))
    expect((await readEvents(res, 1)).map(x => [x.type, x.object.metadata.resourceVersion])).toEqual([['ADDED', '3']])
    await res.body?.cancel()

    const plain = await watch(h, `${PODS}?watch=1&resourceVersion=3`)
    await h.call('POST', '/api/v1/namespaces/other/pods', pod('elsewhere-2'))
    await h.call('POST', PODS, pod('c'))
    expect((await readEvents(plain, 1)).map(x => x.type)).toEqual(['ADDED']) // no bookmark without asking
    await plain.body?.cancel()
  })

  it('sends a bookmark to a Table watch as an empty Table carrying the resourceVersion', async () => {
    const h = await startApi({ watchBookmarkIntervalMs: 100 })
    const res = await watch(h, `${PODS}?watch=1&resourceVersion=0&allowWatchBookmarks=true`, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' })
    await h.call('POST', '/api/v1/namespaces/other/pods', pod('elsewhere'))
    expect(await readEvents(res, 1)).toEqual([{ type: 'BOOKMARK', object: { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '1' }, columnDefinitions: [], rows: [] } }])
    await res.body?.cancel()
  })

  it('sendInitialEvents=true: the current objects, a BOOKMARK marking their end, then live events', async () => {
    const h = await startApi()
    await h.call('POST', PODS, pod('a'))
    await h.call('POST', PODS, pod('b'))
    const res = await watch(h, `${PODS}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`)
    const initial = await readEvents(res, 3)
    expect(initial.map(e => [e.type, e.object.metadata.name])).toEqual([['ADDED', 'a'], ['ADDED', 'b'], ['BOOKMARK', undefined]])
    expect(initial[2].object).toEqual({ kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: '2', annotations: { 'k8s.io/initial-events-end': 'true' } } })
    expect(h.backend.linearizeCalls).toBe(1)
    await h.call('DELETE', `${PODS}/a`)
    expect((await readEvents(res, 1)).map(e => [e.type, e.object.metadata.name])).toEqual([['DELETED', 'a']])
    await res.body?.cancel()
  })

  it('sendInitialEvents=false without a resourceVersion starts at the current one, with no initial events', async () => {
    const h = await startApi()
    await h.call('POST', PODS, pod('a'))
    const res = await watch(h, `${PODS}?watch=1&sendInitialEvents=false&resourceVersionMatch=NotOlderThan`)
    await h.call('POST', PODS, pod('b'))
    expect((await readEvents(res, 1)).map(e => [e.type, e.object.metadata.name])).toEqual([['ADDED', 'b']])
    await res.body?.cancel()
  })

  it('refuses ListOptions Kubernetes refuses, with a 422 naming the option', async () => {
    const h = await startApi()
    const cases: Array<[string, string]> = [
      ['watch=1&sendInitialEvents=true&allowWatchBookmarks=true', 'resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'],
      ['watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan', 'allowWatchBookmarks: Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true'],
      ['watch=1&resourceVersionMatch=NotOlderThan&resourceVersion=1', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'],
      ['resourceVersionMatch=Exact', 'resourceVersionMatch is forbidden unless resourceVersion is provided'],
      ['resourceVersionMatch=Exact&resourceVersion=0', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'],
      ['resourceVersionMatch=Newest&resourceVersion=1', 'resourceVersionMatch: Unsupported value: "Newest"'],
      ['sendInitialEvents=true&resourceVersionMatch=NotOlderThan', 'sendInitialEvents is forbidden for list']
    ]
    for (const [q, message] of cases) {
      const res = await h.call('GET', `${PODS}?${q}`)
      expect(res.status, q).toBe(422)
      expect(res.body, q).toMatchObject({ kind: 'Status', reason: 'Invalid', details: { kind: 'ListOptions', group: 'meta.k8s.io' } })
      expect(res.body.message, q).toContain(message)
    }
    expect((await h.call('GET', `${PODS}?watch=1&allowWatchBookmarks=maybe`)).status).toBe(400)
  })

  it('lists with resourceVersionMatch: NotOlderThan waits for the resourceVersion; Exact answers only the current one, else 410 Expired', async () => {
    const h = await startApi()
    await h.call('POST', PODS, pod('a'))
    await h.call('POST', PODS, pod('b'))
    const newer = await h.call('GET', `${PODS}?resourceVersion=1&resourceVersionMatch=NotOlderThan`)
    expect(newer.status).toBe(200)
    expect(newer.body.metadata.resourceVersion).toBe('2')
    const exact = await h.call('GET', `${PODS}?resourceVersion=2&resourceVersionMatch=Exact`)
    expect(exact.status).toBe(200)
    expect(exact.body.items.map((p: any) => p.metadata.name)).toEqual(['a', 'b'])
    const old = await h.call('GET', `${PODS}?resourceVersion=1&resourceVersionMatch=Exact`)
    expect(old.status).toBe(410)
    expect(old.body).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 })
  })

  it('ends open watches when the server stops', async () => {
    const h = await startApi()
    const res = await watch(h, `${PODS}?watch=1`)
    const body = res.text().catch(() => 'reset')
    await h.api.stop()
    expect(['', 'reset']).toContain(await body)
  })
})
