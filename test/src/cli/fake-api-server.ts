// A tiny Kubernetes-shaped API server for CLI tests: discovery documents, CRUD on a few core
// and apps kinds kept in memory, bearer-token auth, Status errors, label selectors (`a=b`
// only), field selectors rejected with 400 (as a server supporting few of them would), and
// /flotilla/v1/cluster/status. It records every request so tests can assert on the traffic.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export const FAKE_TOKEN = 'secret-token'

interface Res { group: string, version: string, plural: string, singular: string, kind: string, namespaced: boolean, shortNames: string[] }

const RESOURCES: Res[] = [
  { group: '', version: 'v1', plural: 'pods', singular: 'pod', kind: 'Pod', namespaced: true, shortNames: ['po'] },
  { group: '', version: 'v1', plural: 'services', singular: 'service', kind: 'Service', namespaced: true, shortNames: ['svc'] },
  { group: '', version: 'v1', plural: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] },
  { group: '', version: 'v1', plural: 'events', singular: 'event', kind: 'Event', namespaced: true, shortNames: ['ev'] },
  { group: '', version: 'v1', plural: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false, shortNames: ['ns'] },
  { group: '', version: 'v1', plural: 'nodes', singular: 'node', kind: 'Node', namespaced: false, shortNames: ['no'] },
  { group: 'apps', version: 'v1', plural: 'deployments', singular: 'deployment', kind: 'Deployment', namespaced: true, shortNames: ['deploy'] },
  { group: 'apps', version: 'v1', plural: 'replicasets', singular: 'replicaset', kind: 'ReplicaSet', namespaced: true, shortNames: ['rs'] }
]

type Obj = Record<string, any>

export interface FakeApiServer {
  url: string
  /** `METHOD path?query` of every request, in order. */
  requests: string[]
  objects: Map<string, Obj>
  /** Puts an object straight into the store (fills uid, resourceVersion, creationTimestamp). */
  seed: (group: string, plural: string, obj: Obj) => Obj
  clusterStatus: Obj
  close: () => Promise<void>
}

function discoveryList (group: string, version: string): Obj {
  const resources: Obj[] = []
  for (const r of RESOURCES.filter(x => x.group === group && x.version === version)) {
    resources.push({ name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: ['create', 'delete', 'get', 'list', 'update'], shortNames: r.shortNames })
    if (r.kind === 'Pod' || r.kind === 'Deployment') resources.push({ name: `${r.plural}/status`, singularName: '', namespaced: true, kind: r.kind, verbs: ['get', 'update'] })
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group === '' ? version : `${group}/${version}`, resources }
}

function status (res: ServerResponse, code: number, reason: string, message: string): void {
  send(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code })
}

function send (res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'Content-Type': 'application/json' })
  res.end(JSON.stringify(body))
}

async function readBody (req: IncomingMessage): Promise<Obj | undefined> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  return text === '' ? undefined : JSON.parse(text) as Obj
}

/** Parses `/api/v1/...` or `/apis/g/v/...` into resource, namespace and name. */
function route (path: string): { r: Res, ns: string | undefined, name: string | undefined } | undefined {
  const parts = path.split('/').filter(p => p !== '')
  let group: string
  let rest: string[]
  if (parts[0] === 'api' && parts[1] === 'v1') { group = ''; rest = parts.slice(2) } else if (parts[0] === 'apis' && parts.length >= 3) { group = parts[1] ?? ''; rest = parts.slice(3) } else return undefined
  let ns: string | undefined
  if (rest[0] === 'namespaces' && rest.length >= 3) { ns = rest[1]; rest = rest.slice(2) }
  const r = RESOURCES.find(x => x.group === group && x.plural === rest[0])
  if (r === undefined || rest.length > 2) return undefined
  return { r, ns, name: rest[1] }
}

export async function startFakeApiServer (opts: { now: () => number }): Promise<FakeApiServer> {
  const objects = new Map<string, Obj>()
  const requests: string[] = []
  let rv = 100
  let uid = 0
  const key = (r: Res, ns: string | undefined, name: string): string => `${r.group}/${r.plural}/${r.namespaced ? ns ?? '' : ''}/${name}`
  const stamp = (o: Obj): Obj => {
    o.metadata.uid ??= `uid-${++uid}`
    o.metadata.resourceVersion = String(++rv)
    o.metadata.creationTimestamp ??= new Date(opts.now()).toISOString()
    return o
  }
  const defaults = (r: Res, o: Obj): void => {
    if (r.kind === 'Pod') for (const c of o.spec?.containers ?? []) c.imagePullPolicy ??= 'IfNotPresent'
    if (r.kind === 'Service') o.spec.clusterIP ??= '10.96.0.10'
  }
  const fake: FakeApiServer = {
    url: '',
    requests,
    objects,
    seed: (group, plural, obj) => {
      const r = RESOURCES.find(x => x.group === group && x.plural === plural)
      if (r === undefined) throw new Error(`no resource ${group}/${plural}`)
      const o = stamp(structuredClone(obj))
      objects.set(key(r, o.metadata.namespace, o.metadata.name), o)
      return o
    },
    clusterStatus: {
      leader: 'node-a',
      term: 3,
      commitIndex: 42,
      members: [
        { name: 'node-b', peerId: '12D3KooWB', role: 'voter', healthy: true },
        { name: 'node-a', peerId: '12D3KooWA', role: 'voter', healthy: true },
        { name: 'node-c', peerId: '12D3KooWC', role: 'learner', healthy: false }
      ]
    },
    close: async () => {}
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x')
    requests.push(`${req.method ?? ''} ${url.pathname}${url.search}`)
    if (req.headers.authorization !== `Bearer ${FAKE_TOKEN}`) { status(res, 401, 'Unauthorized', 'Unauthorized'); return }
    const path = url.pathname
    if (path === '/api') { send(res, 200, { kind: 'APIVersions', versions: ['v1'] }); return }
    if (path === '/api/v1') { send(res, 200, discoveryList('', 'v1')); return }
    if (path === '/apis') {
      send(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } }] })
      return
    }
    if (path === '/apis/apps/v1') { send(res, 200, discoveryList('apps', 'v1')); return }
    if (path === '/flotilla/v1/cluster/status') { send(res, 200, fake.clusterStatus); return }
    const rt = route(path)
    if (rt === undefined) { status(res, 404, 'NotFound', 'the server could not find the requested resource'); return }
    const { r, ns, name } = rt
    const notFound = (n: string): void => status(res, 404, 'NotFound', `${r.plural}${r.group === '' ? '' : '.' + r.group} "${n}" not found`)

    if (req.method === 'GET' && name === undefined) {
      const fieldSelector = url.searchParams.get('fieldSelector')
      if (fieldSelector !== null) { status(res, 400, 'BadRequest', `field label not supported: ${fieldSelector}`); return }
      const sel = url.searchParams.get('labelSelector')
      const items = [...objects.entries()]
        .filter(([k]) => k.startsWith(`${r.group}/${r.plural}/${r.namespaced && ns !== undefined ? ns + '/' : ''}`))
        .map(([, o]) => o)
        .filter(o => sel === null || sel.split(',').every(t => { const [k, v] = t.split('='); return o.metadata.labels?.[k ?? ''] === v }))
        .sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`))
      send(res, 200, { kind: `${r.kind}List`, apiVersion: r.group === '' ? 'v1' : `${r.group}/v1`, metadata: { resourceVersion: String(rv) }, items: items.map(({ apiVersion: _a, kind: _k, ...o }) => o) })
      return
    }
    if (req.method === 'GET' && name !== undefined) {
      const o = objects.get(key(r, ns, name))
      if (o === undefined) notFound(name)
      else send(res, 200, o)
      return
    }
    if (req.method === 'POST' && name === undefined) {
      const body = await readBody(req) as Obj
      const k = key(r, ns, body.metadata.name)
      if (objects.has(k)) { status(res, 409, 'AlreadyExists', `${r.plural} "${String(body.metadata.name)}" already exists`); return }
      if (r.namespaced) body.metadata.namespace = ns
      defaults(r, body)
      objects.set(k, stamp(body))
      send(res, 201, body)
      return
    }
    if (req.method === 'PUT' && name !== undefined) {
      const body = await readBody(req) as Obj
      const live = objects.get(key(r, ns, name))
      if (live === undefined) { notFound(name); return }
      if (body.metadata.resourceVersion !== live.metadata.resourceVersion) {
        status(res, 409, 'Conflict', `Operation cannot be fulfilled on ${r.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`)
        return
      }
      body.metadata.uid = live.metadata.uid
      body.metadata.creationTimestamp = live.metadata.creationTimestamp
      defaults(r, body)
      objects.set(key(r, ns, name), stamp(body))
      send(res, 200, body)
      return
    }
    if (req.method === 'DELETE' && name !== undefined) {
      const o = objects.get(key(r, ns, name))
      if (o === undefined) { notFound(name); return }
      objects.delete(key(r, ns, name))
      send(res, 200, o)
      return
    }
    status(res, 405, 'MethodNotAllowed', 'method not allowed')
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(err => status(res, 500, 'InternalError', String(err)))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  fake.close = async () => await new Promise<void>(resolve => server.close(() => resolve()))
  return fake
}
