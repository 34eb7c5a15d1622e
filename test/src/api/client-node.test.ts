// The official JavaScript client (@kubernetes/client-node) against the API server in this
// process (over the in-memory fake backend): the paths of its informer and Watch that a real
// cluster reaches only by chance — a relist after 410 Expired, bookmarks, a streaming list.

import { afterEach, describe, expect, it } from 'vitest'
import { CoreV1Api, KubeConfig, makeInformer, Watch, type V1ConfigMap } from '@kubernetes/client-node'
import { createApiServer, type ApiServer } from '../../../src/api/server.ts'
import { FakeBackend, FakeStore, KINDS, TOKEN, until } from './harness.ts'

const CMS = '/api/v1/namespaces/default/configmaps'
const servers: ApiServer[] = []
afterEach(async () => { await Promise.all(servers.splice(0).map(async (s) => { await s.stop() })) })

async function serve (backend: FakeBackend, port = 0, watchBookmarkIntervalMs?: number): Promise<ApiServer> {
  const api = createApiServer({ backend, kinds: KINDS, token: TOKEN, port, ...(watchBookmarkIntervalMs !== undefined ? { watchBookmarkIntervalMs } : {}) })
  servers.push(api)
  await api.start()
  return api
}

function kubeConfig (port: number): KubeConfig {
  const kc = new KubeConfig()
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: TOKEN }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c'
  })
  return kc
}

async function write (core: CoreV1Api, name: string, data: Record<string, string>): Promise<void> {
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name }, data } })
}

describe('client-node', () => {
  it('an informer whose resourceVersion expired while it was away relists: updates and deletes what changed, adds nothing twice', async () => {
    const backend = new FakeBackend(new FakeStore(KINDS))
    const first = await serve(backend)
    const port = first.port
    const kc = kubeConfig(port)
    const core = kc.makeApiClient(CoreV1Api)
    await write(core, 'a', { v: '1' })
    await write(core, 'b', { v: '1' })

    let lists = 0
    const informer = makeInformer(kc, CMS, async () => { lists++; return await core.listNamespacedConfigMap({ namespace: 'default' }) })
    const events: string[] = []
    for (const verb of ['add', 'update', 'delete'] as const) informer.on(verb, (o: V1ConfigMap) => { events.push(`${verb} ${o.metadata?.name ?? ''}`) })
    let stopped = false
    informer.on('error', () => { if (!stopped) setTimeout(() => { if (!stopped) informer.start().catch(() => {}) }, 50) })
    await informer.start()
    try {
      await until(() => events.length === 2)
      expect(events).toEqual(['add a', 'add b'])

      // The server goes away; meanwhile a changes, b goes, c comes, and the history the
      // informer would resume from is compacted away.
      await first.stop()
      const store = backend.store
      store.apply({ op: 'update', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'default' }, data: { v: '2' } } })
      store.apply({ op: 'delete', ref: { group: '', kind: 'ConfigMap', namespace: 'default', name: 'b' } })
      store.apply({ op: 'create', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default', uid: 'u-c' }, data: { v: '1' } } })
      store.compactedIndex = store.appliedIndex

      await serve(backend, port)
      await until(() => events.length === 5, 10_000)
      expect(events.slice(2).sort()).toEqual(['add c', 'delete b', 'update a'])
      expect(lists).toBe(2)
      expect(informer.list('default').map((o) => [o.metadata?.name, o.data])).toEqual([['a', { v: '2' }], ['c', { v: '1' }]])
    } finally {
      stopped = true
      await informer.stop()
    }
  })

  it('Watch with sendInitialEvents gets the current objects, the initial-events-end bookmark, then live events and bookmarks', async () => {
    const backend = new FakeBackend(new FakeStore(KINDS))
    const api = await serve(backend, 0, 100)
    const kc = kubeConfig(api.port)
    const core = kc.makeApiClient(CoreV1Api)
    await write(core, 'a', { v: '1' })
    const seen: Array<[string, string | undefined, string | undefined, Record<string, string> | undefined]> = []
    const controller = await new Watch(kc).watch(CMS, { allowWatchBookmarks: true, sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan' },
      (type: string, obj: V1ConfigMap) => { seen.push([type, obj.metadata?.name, obj.metadata?.resourceVersion, obj.metadata?.annotations]) }, () => {})
    try {
      await until(() => seen.length === 2)
      expect(seen).toEqual([['ADDED', 'a', '1', undefined], ['BOOKMARK', undefined, '1', { 'k8s.io/initial-events-end': 'true' }]])
      await write(core, 'b', { v: '1' })
      backend.store.bump() // another kind's write: the resourceVersion moves without an event here
      await until(() => seen.length === 4)
      expect(seen.slice(2)).toEqual([['ADDED', 'b', '2', undefined], ['BOOKMARK', undefined, '3', undefined]])
    } finally {
      controller.abort()
    }
  })
})
