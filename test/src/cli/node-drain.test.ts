// cordon, uncordon and drain in-process against the real API server over the real object store
// (StoreBackend): spec.unschedulable, kubectl's messages, drain's refusals and flags, and
// waiting for pods that take a while to go (held by a finalizer here, as a kubelet's graceful
// stop would hold them).

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createApiServer, type ApiServer } from '../../../src/api/index.ts'
import { writeKubeconfig } from '../../../src/cli/kubeconfig.ts'
import { main } from '../../../src/cli/main.ts'
import { KINDS } from '../../../src/objects/kinds.ts'
import type { KObject, OwnerReference } from '../../../src/store/types.ts'
import { StoreBackend } from '../store-backend.ts'

const TOKEN = 'drain-token'
let dir: string
let backend: StoreBackend
let api: ApiServer

interface Outcome { code: number, out: string, err: string }

/** Runs the CLI; `out` and `err` can be read while it runs. */
function start (argv: string[]): { done: Promise<Outcome>, seen: () => string } {
  const o = { out: '', err: '' }
  const done = main(argv, {
    stdout: { write: (s: string) => { o.out += s } },
    stderr: { write: (s: string) => { o.err += s } },
    stdin: Readable.from(['']),
    env: {},
    cwd: dir,
    home: join(dir, 'home')
  }).then((code) => ({ code, ...o }))
  return { done, seen: () => o.out }
}

async function run (argv: string[]): Promise<Outcome> { return await start(argv).done }

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-drain-'))
  backend = await StoreBackend.open(() => Date.now() - Date.UTC(2024, 0, 1))
  api = createApiServer({ backend, kinds: KINDS, token: TOKEN, host: '127.0.0.1', port: 0 })
  const { port } = await api.start()
  await writeKubeconfig(join(dir, '.flotilla', 'kubeconfig'), { server: `http://127.0.0.1:${port}`, token: TOKEN, clusterName: 'flotilla', userName: 'admin' })
  for (const name of ['a', 'b']) await write({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: {}, status: {} })
})

afterEach(async () => {
  await api.stop()
  await backend.close()
  rmSync(dir, { recursive: true, force: true })
})

async function write (object: KObject): Promise<void> {
  const r = await backend.write({ op: 'create', object })
  if ('error' in r) throw new Error(r.error.message)
}

const owner = (kind: string): OwnerReference[] => [{ apiVersion: 'apps/v1', kind, name: 'web', uid: 'owner-uid', controller: true }]

async function pod (name: string, nodeName: string, extra: { owner?: string, emptyDir?: boolean, finalizer?: boolean, phase?: string } = {}): Promise<void> {
  await write({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      ...(extra.owner !== undefined ? { ownerReferences: owner(extra.owner) } : {}),
      ...(extra.finalizer === true ? { finalizers: ['example.com/hold'] } : {})
    },
    spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }], ...(extra.emptyDir === true ? { volumes: [{ name: 'scratch', emptyDir: {} }] } : {}) },
    status: { phase: extra.phase ?? 'Running' }
  })
}

function node (name: string): KObject | undefined { return backend.store.get({ group: '', kind: 'Node', namespace: '', name }) }
function pods (): string[] { return backend.store.list('', 'Pod', undefined).items.map((p) => p.metadata.name).sort() }

describe('cordon / uncordon', () => {
  it('sets and clears spec.unschedulable, saying so as kubectl does', async () => {
    expect(await run(['cordon', 'a'])).toEqual({ code: 0, out: 'node/a cordoned\n', err: '' })
    expect((node('a')?.spec as { unschedulable?: boolean }).unschedulable).toBe(true)
    expect((await run(['cordon', 'a'])).out).toBe('node/a already cordoned\n')
    expect((await run(['uncordon', 'a'])).out).toBe('node/a uncordoned\n')
    expect(node('a')?.spec).toEqual({})
    expect((await run(['uncordon', 'a'])).out).toBe('node/a already uncordoned\n')
  })

  it('reports a missing node as the server does, and a missing name as a usage error', async () => {
    expect(await run(['cordon', 'nope'])).toMatchObject({ code: 1, err: 'Error from server (NotFound): nodes "nope" not found\n' })
    expect((await run(['uncordon'])).code).toBe(2)
  })
})

describe('drain', () => {
  it('refuses pods no controller would recreate, leaving the node cordoned and every pod in place', async () => {
    await pod('web-1', 'a', { owner: 'ReplicaSet' })
    await pod('solo', 'a')
    await pod('scratch', 'a', { owner: 'ReplicaSet', emptyDir: true })
    const r = await run(['drain', 'a'])
    expect(r.code).toBe(1)
    expect(r.out).toBe('node/a cordoned\n')
    expect(r.err).toContain('cannot delete Pods that declare no controller (use --force to override): default/solo')
    expect(r.err).toContain('cannot delete Pods with local storage (use --delete-emptydir-data to override): default/scratch')
    expect(r.err).toContain('There are pending nodes to be drained:\n a\n')
    expect(pods()).toEqual(['scratch', 'solo', 'web-1'])
    expect((node('a')?.spec as { unschedulable?: boolean }).unschedulable).toBe(true)
  })

  it('deletes the node\'s pods with the flags that allow it, skips DaemonSet pods, and leaves other nodes alone', async () => {
    await pod('web-1', 'a', { owner: 'ReplicaSet' })
    await pod('solo', 'a')
    await pod('scratch', 'a', { owner: 'ReplicaSet', emptyDir: true })
    await pod('agent', 'a', { owner: 'DaemonSet' })
    await pod('done', 'a', { phase: 'Succeeded' })
    await pod('web-2', 'b', { owner: 'ReplicaSet' })
    expect((await run(['drain', 'a', '--delete-emptydir-data', '--force'])).err).toContain('cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): default/agent')

    const r = await run(['drain', 'a', '--force', '--ignore-daemonsets', '--delete-emptydir-data', '--grace-period', '0'])
    expect(r.code).toBe(0)
    expect(r.err).toBe('Warning: ignoring DaemonSet-managed Pods: default/agent\n' +
      'Warning: deleting Pods that declare no controller: default/solo\n' +
      'Warning: deleting Pods with local storage: default/scratch\n')
    const lines = r.out.trim().split('\n')
    expect(lines[0]).toBe('node/a already cordoned')
    expect(lines.filter((l) => l.startsWith('evicting pod')).sort()).toEqual(['evicting pod default/done', 'evicting pod default/scratch', 'evicting pod default/solo', 'evicting pod default/web-1'])
    expect(lines.filter((l) => l.endsWith(' evicted')).sort()).toEqual(['pod/done evicted', 'pod/scratch evicted', 'pod/solo evicted', 'pod/web-1 evicted'])
    expect(lines.at(-1)).toBe('node/a drained')
    expect(pods()).toEqual(['agent', 'web-2'])
  })

  it('waits until deleted pods are really gone', async () => {
    await pod('slow', 'a', { owner: 'ReplicaSet', finalizer: true })
    const drain = start(['drain', 'a'])
    const deadline = Date.now() + 10_000
    while (!(node('a') !== undefined && backend.store.get({ group: '', kind: 'Pod', namespace: 'default', name: 'slow' })?.metadata.deletionTimestamp !== undefined)) {
      if (Date.now() > deadline) throw new Error(`drain did not delete the pod; printed: ${drain.seen()}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(drain.seen()).toBe('node/a cordoned\nevicting pod default/slow\n')
    // What a kubelet does once the containers stopped: the last finalizer goes, and the pod with it.
    const marked = backend.store.get({ group: '', kind: 'Pod', namespace: 'default', name: 'slow' }) as KObject
    await backend.write({ op: 'update', object: { ...marked, metadata: { ...marked.metadata, finalizers: [] } } })
    expect(await drain.done).toEqual({ code: 0, out: 'node/a cordoned\nevicting pod default/slow\npod/slow evicted\nnode/a drained\n', err: '' })
  })

  it('gives up after --timeout, naming the pods still there', async () => {
    await pod('stuck', 'a', { owner: 'ReplicaSet', finalizer: true })
    const r = await run(['drain', 'a', '--timeout', '300ms'])
    expect(r.code).toBe(1)
    expect(r.err).toContain('global timeout reached: 300ms; pods still terminating: default/stuck')
  })

  it('checks its arguments', async () => {
    expect((await run(['drain'])).code).toBe(2)
    expect((await run(['drain', 'a', '--grace-period', 'soon'])).err).toContain('invalid value "soon" for --grace-period')
    expect((await run(['drain', 'a', '--timeout', '5'])).err).toContain('invalid value "5" for --timeout')
  })
})
