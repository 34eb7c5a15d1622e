// The official JavaScript client (@kubernetes/client-node) as a user drives it against one
// agent: its KubeConfig loaded from the kubeconfig file the agent wrote, typed API clients,
// an informer (ListWatch) whose every callback is recorded, a writer that keeps changing
// ConfigMaps through client-node while recording what each write was acknowledged as, the
// checks the tests make of what an informer saw against what was written, and manifest
// objects typed as client-node users type them.

import { join } from 'node:path'
import { expect } from 'vitest'
import { ApiException, CoreV1Api, KubeConfig, ListWatch, makeInformer, PatchStrategy, setHeaderOptions, Watch, type Informer, type ObjectCache, type V1ConfigMap, type V1Deployment, type V1Service, type V1ConfigMapList } from '@kubernetes/client-node'
import type { AgentProcess } from './agent-process.ts'

/** A KubeConfig exactly as a user loads it: from the file the agent wrote into its data dir. */
export function kubeConfigOf (agent: AgentProcess): KubeConfig {
  const kc = new KubeConfig()
  kc.loadFromFile(join(agent.dataDir, 'kubeconfig'))
  return kc
}

/** The Kubernetes Status an ApiException carries (client-node keeps the response body as text). */
export function statusOf (err: unknown): { code: number, reason: string, kind: string, status: string, message: string } {
  if (!(err instanceof ApiException)) throw err
  const body: unknown = typeof err.body === 'string' ? JSON.parse(err.body) : err.body
  return { ...(body as { reason: string, kind: string, status: string, message: string }), code: err.code }
}

/** What an informer callback reported. */
export interface SeenEvent {
  type: 'add' | 'update' | 'delete'
  name: string
  rv: number
  /** When the callback ran (Date.now()). */
  at: number
}

/**
 * An informer on the ConfigMaps of `namespace`, started, recording every add/update/delete.
 * When the connection fails (client-node then stops the informer and reports 'error'), it is
 * started again after `restartMs`, as client-node's documentation tells users to do.
 */
export class RecordedInformer {
  readonly events: SeenEvent[] = []
  /** How many times the informer listed (its first list, then every relist). */
  lists = 0
  errors = 0
  private stopped = false
  readonly informer: Informer<V1ConfigMap> & ObjectCache<V1ConfigMap>

  constructor (kc: KubeConfig, readonly namespace: string, restartMs = 300) {
    const core = kc.makeApiClient(CoreV1Api)
    const list = async (): Promise<V1ConfigMapList> => {
      this.lists++
      return await core.listNamespacedConfigMap({ namespace })
    }
    this.informer = makeInformer(kc, `/api/v1/namespaces/${namespace}/configmaps`, list)
    const push = (type: SeenEvent['type']) => (obj: V1ConfigMap): void => {
      this.events.push({ type, name: obj.metadata?.name ?? '', rv: Number(obj.metadata?.resourceVersion), at: Date.now() })
    }
    this.informer.on('add', push('add'))
    this.informer.on('update', push('update'))
    this.informer.on('delete', push('delete'))
    this.informer.on('error', () => {
      this.errors++
      if (this.stopped) return
      setTimeout(() => { if (!this.stopped) this.informer.start().catch(() => {}) }, restartMs).unref()
    })
  }

  async start (): Promise<void> {
    this.stopped = false
    await this.informer.start()
  }

  async stop (): Promise<void> {
    this.stopped = true
    await this.informer.stop()
  }

  /** The resourceVersion the informer would watch from next (makeInformer makes a ListWatch). */
  resourceVersion (): string {
    if (!(this.informer instanceof ListWatch)) throw new Error('makeInformer did not make a ListWatch')
    return this.informer.latestResourceVersion()
  }

  /** The informer's cache: name → resourceVersion. */
  cache (): Map<string, string> {
    return new Map(this.informer.list(this.namespace).map((o) => [o.metadata?.name ?? '', o.metadata?.resourceVersion ?? '']))
  }

  /** Events about objects whose names start with `prefix`. */
  about (prefix: string): SeenEvent[] { return this.events.filter((e) => e.name.startsWith(prefix)) }
}

/** The ConfigMaps of a namespace as the server lists them (linearizable): name → resourceVersion. */
export async function serverState (kc: KubeConfig, namespace: string): Promise<Map<string, string>> {
  const list = await kc.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace })
  return new Map(list.items.map((o) => [o.metadata?.name ?? '', o.metadata?.resourceVersion ?? '']))
}

/** One write the writer made: acknowledged (with the resourceVersion it was given) or of unknown outcome. */
export interface WriteRecord {
  type: 'add' | 'update' | 'delete'
  name: string
  /** Set when acknowledged (a delete answers the object as deleted, with its resourceVersion, or a Status without one). */
  rv?: number
  acknowledged: boolean
  /** When the write was sent. */
  at: number
  /** When its answer came. */
  answeredAt: number
  error?: string
}

/**
 * Writes ConfigMaps `${prefix}${i}` through `kc` one at a time until told to stop: each round
 * creates one, every second round merge-patches the oldest live one, every third deletes it.
 * A failed write is recorded with acknowledged=false (its outcome is unknown) and never retried.
 */
export function startConfigMapWriter (kc: KubeConfig, namespace: string, prefix: string, until: { stop: boolean }): { writes: WriteRecord[], done: Promise<void> } {
  const core = kc.makeApiClient(CoreV1Api)
  const writes: WriteRecord[] = []
  const live: string[] = []
  const attempt = async (type: WriteRecord['type'], name: string, op: () => Promise<V1ConfigMap | { metadata?: { resourceVersion?: string } }>): Promise<boolean> => {
    const at = Date.now()
    try {
      const out = await op()
      const rv = out.metadata?.resourceVersion
      writes.push({ type, name, acknowledged: true, at, answeredAt: Date.now(), ...(rv !== undefined ? { rv: Number(rv) } : {}) })
      return true
    } catch (err) {
      writes.push({ type, name, acknowledged: false, at, answeredAt: Date.now(), error: err instanceof ApiException ? `HTTP ${err.code}` : String(err).slice(0, 200) })
      await new Promise((resolve) => setTimeout(resolve, 100))
      return false
    }
  }
  const done = (async () => {
    for (let i = 0; !until.stop; i++) {
      const name = `${prefix}${i}`
      if (await attempt('add', name, async () => await core.createNamespacedConfigMap({ namespace, body: { metadata: { name, labels: { writer: prefix.replace(/[^a-z0-9]+$/, '') } }, data: { round: String(i) } } }))) live.push(name)
      const oldest = live[0]
      if (i % 2 === 1 && oldest !== undefined) {
        await attempt('update', oldest, async () => await core.patchNamespacedConfigMap({ name: oldest, namespace, body: { data: { patchedIn: String(i) } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)))
      }
      if (i % 3 === 2 && oldest !== undefined) {
        live.shift()
        await attempt('delete', oldest, async () => await core.deleteNamespacedConfigMap({ name: oldest, namespace }))
      }
    }
  })()
  return { writes, done }
}

/** A short account of a writer's writes, for deadline messages and logs. */
export function describeWrites (writes: WriteRecord[]): string {
  const failed = writes.filter((w) => !w.acknowledged)
  const reasons = new Map<string, number>()
  for (const w of failed) reasons.set(w.error ?? '?', (reasons.get(w.error ?? '?') ?? 0) + 1)
  return `${writes.length - failed.length} acknowledged, ${failed.length} of unknown outcome` +
    (failed.length === 0 ? '' : ` (${[...reasons].map(([r, n]) => `${n}× ${r}`).join(', ')})`)
}

/** One event of a client-node Watch: its type and the object as sent. */
export interface WatchedEvent {
  type: string
  object: { kind?: string, code?: number, reason?: string, metadata?: { name?: string, resourceVersion?: string, annotations?: Record<string, string> } }
}

/**
 * A client-node Watch on `path` with `params`, recording events; `ended` resolves (with the
 * error client-node reported, or null) when the stream ends.
 */
export async function startWatch (kc: KubeConfig, path: string, params: Record<string, string | boolean>): Promise<{ events: WatchedEvent[], ended: Promise<unknown>, abort: () => void }> {
  const events: WatchedEvent[] = []
  let onEnd: (err: unknown) => void = () => {}
  const ended = new Promise<unknown>((resolve) => { onEnd = resolve })
  const controller = await new Watch(kc).watch(path, params, (type: string, object: WatchedEvent['object']) => { events.push({ type, object }) }, (err: unknown) => { onEnd(err ?? null) })
  return { events, ended, abort: () => { controller.abort() } }
}

/** The longest time from one acknowledged write's answer to the next, among writes sent after `since`. */
export function longestWriteGap (writes: WriteRecord[], since: number): number {
  const times = writes.filter((w) => w.acknowledged && w.answeredAt >= since).map((w) => w.answeredAt).sort((a, b) => a - b)
  return times.reduce((gap, t, i) => Math.max(gap, t - (times[i - 1] ?? since)), 0)
}

/** The largest delay between a write's answer and the informer's callback for it (matched by name and resourceVersion). */
export function largestInformerLag (writes: WriteRecord[], events: SeenEvent[]): number {
  const seen = new Map(events.map((e) => [`${e.name} ${e.rv}`, e.at]))
  let lag = 0
  for (const w of writes) {
    const at = w.rv === undefined ? undefined : seen.get(`${w.name} ${w.rv}`)
    if (w.acknowledged && at !== undefined) lag = Math.max(lag, at - w.answeredAt)
  }
  return lag
}

/** Rejects with the Status the server answered; fails the test if the call succeeded. */
export async function rejection (call: Promise<unknown>): Promise<ReturnType<typeof statusOf>> {
  return statusOf(await call.then(() => { throw new Error('the call succeeded; an error was expected') }, (err: unknown) => err))
}

/**
 * Every acknowledged write shows up exactly once among the informer's events (same kind of
 * change, same resourceVersion when the write told it), a write of unknown outcome at most
 * once, and nothing shows up that was never written.
 */
export function expectEachWriteOnce (events: SeenEvent[], writes: WriteRecord[]): void {
  const key = (type: string, name: string): string => `${type} ${name}`
  const seen = new Map<string, SeenEvent[]>()
  for (const e of events) seen.set(key(e.type, e.name), [...seen.get(key(e.type, e.name)) ?? [], e])
  const attempts = new Map<string, WriteRecord[]>()
  for (const w of writes) attempts.set(key(w.type, w.name), [...attempts.get(key(w.type, w.name)) ?? [], w])
  for (const [k, ws] of attempts) {
    const got = seen.get(k) ?? []
    const acked = ws.filter((w) => w.acknowledged)
    expect(got.length, `${k}: events ${JSON.stringify(got)} for writes ${JSON.stringify(ws)}`).toBeGreaterThanOrEqual(acked.length)
    expect(got.length, `${k}: events ${JSON.stringify(got)} for writes ${JSON.stringify(ws)}`).toBeLessThanOrEqual(ws.length)
    for (const w of acked) if (w.rv !== undefined) expect(got.map((e) => e.rv), k).toContain(w.rv)
  }
  for (const k of seen.keys()) expect(attempts.has(k), `${k} was seen but never written`).toBe(true)
}

/** Retries `attempt` while it fails with 409 Conflict, for up to 20 s (a rollout rewrites the Deployment's status every ~100 ms for a second or more). */
export async function retryOnConflict<T> (attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 20_000
  for (;;) {
    try {
      return await attempt()
    } catch (err) {
      if (Date.now() > deadline || statusOf(err).reason !== 'Conflict') throw err
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

export function sameMap (a: Map<string, string>, b: Map<string, string>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v)
}

export function configMap (name: string, data: Record<string, string>): V1ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data }
}

/** A Deployment as client-node users write one: typed, with selector and template. */
export function deployment (name: string, replicas: number, namespace = 'default'): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'flotilla/busybox:test', command: ['sleep', '3600'], ports: [{ containerPort: 80, name: 'http' }] }] }
      }
    }
  }
}

export function service (name: string, namespace = 'default'): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] }
  }
}
