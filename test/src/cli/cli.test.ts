// The CLI end to end, in-process, against a fake Kubernetes-shaped API server: apply (created,
// unchanged, configured), get in every output format, delete, describe, cluster status, and
// the errors users see.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { writeKubeconfig } from '../../../src/cli/kubeconfig.ts'
import { main } from '../../../src/cli/main.ts'
import { LAST_APPLIED_ANNOTATION } from '../../../src/cli/three-way-merge.ts'
import { FAKE_TOKEN, startFakeApiServer, type FakeApiServer } from './fake-api-server.ts'

const NOW = Date.parse('2024-05-01T12:00:00Z')
const CREATED = NOW - 5000

let dir: string
let api: FakeApiServer

interface Outcome { code: number, out: string, err: string }

async function run (argv: string[], opts: { stdin?: string, env?: Record<string, string> } = {}): Promise<Outcome> {
  let out = ''
  let err = ''
  const code = await main(argv, {
    stdout: { write: (s: string) => { out += s } },
    stderr: { write: (s: string) => { err += s } },
    stdin: Readable.from([opts.stdin ?? '']),
    env: opts.env ?? {},
    cwd: dir,
    home: join(dir, 'home'),
    now: () => NOW
  })
  return { code, out, err }
}

const APP = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1"}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-0, labels: {app: web}}
spec:
  containers: [{name: web, image: "nginx:1"}]
`

beforeAll(async () => {
  api = await startFakeApiServer({ now: () => CREATED })
})

afterAll(async () => await api.close())

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-cli-'))
  mkdirSync(join(dir, 'home'))
  // Where `flotilla agent` leaves it: found without any flag.
  await writeKubeconfig(join(dir, '.flotilla', 'kubeconfig'), { server: api.url, token: FAKE_TOKEN, clusterName: 'flotilla', userName: 'admin' })
  api.objects.clear()
  api.requests.length = 0
})

afterEach(() => rmSync(dir, { recursive: true, force: true }))

function file (name: string, text: string): string {
  const p = join(dir, name)
  mkdirSync(join(p, '..'), { recursive: true })
  writeFileSync(p, text)
  return p
}

describe('apply', () => {
  it('creates, then reports unchanged without writing, then configures what changed', async () => {
    const path = file('app.yaml', APP)
    expect(await run(['apply', '-f', path])).toEqual({ code: 0, out: 'deployment.apps/web created\nservice/web created\npod/web-0 created\n', err: '' })
    const pod = api.objects.get('/pods/default/web-0')
    expect(pod?.metadata.namespace).toBe('default')
    expect(JSON.parse(pod?.metadata.annotations[LAST_APPLIED_ANNOTATION]).spec).toEqual({ containers: [{ name: 'web', image: 'nginx:1' }] })

    api.requests.length = 0
    expect(await run(['apply', '-f', path])).toEqual({ code: 0, out: 'deployment.apps/web unchanged\nservice/web unchanged\npod/web-0 unchanged\n', err: '' })
    expect(api.requests.filter(r => !r.startsWith('GET'))).toEqual([])

    file('app.yaml', APP.replace('replicas: 2', 'replicas: 3').replace('name: web-0, labels: {app: web}', 'name: web-0, labels: {app: web, tier: front}'))
    expect((await run(['apply', '-f', path])).out).toBe('deployment.apps/web configured\nservice/web unchanged\npod/web-0 configured\n')
    expect(api.objects.get('apps/deployments/default/web')?.spec.replicas).toBe(3)
    const updated = api.objects.get('/pods/default/web-0')
    expect(updated?.metadata.labels).toEqual({ app: 'web', tier: 'front' })
    expect(updated?.metadata.uid).toBe(pod?.metadata.uid)
    expect(updated?.spec.containers[0].imagePullPolicy).toBe('IfNotPresent')
    expect(api.objects.get('/services/default/web')?.spec.clusterIP).toBe('10.96.0.10')
  })

  it('reads a directory (*.yaml, *.yml, *.json) and stdin, honouring -n', async () => {
    file('m/a.json', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { k: 'v' } }))
    file('m/b.yml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n')
    file('m/notes.txt', 'not a manifest')
    expect((await run(['apply', '-f', join(dir, 'm'), '-n', 'team'])).out).toBe('configmap/a created\nconfigmap/b created\n')
    expect(api.objects.has('/configmaps/team/a')).toBe(true)
    const r = await run(['apply', '-f', '-'], { stdin: 'apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n' })
    expect(r).toEqual({ code: 0, out: 'namespace/team created\n', err: '' })
  })

  it('reports a bad object, still applies the others, and exits 1', async () => {
    const path = file('mixed.yaml', 'apiVersion: v1\nkind: Widget\nmetadata: {name: w}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n')
    const r = await run(['apply', '-f', path])
    expect(r.code).toBe(1)
    expect(r.out).toBe('configmap/ok created\n')
    expect(r.err).toContain('no matches for kind "Widget" in version "v1"')
  })

  it('needs -f', async () => {
    const r = await run(['apply'])
    expect(r.code).toBe(2)
    expect(r.err).toContain('must specify one of -f or --filename')
  })
})

describe('get', () => {
  beforeEach(async () => {
    await run(['apply', '-f', file('app.yaml', APP)])
    api.seed('', 'pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'db-0', namespace: 'data' }, spec: { containers: [{ name: 'db' }], nodeName: 'node-b' }, status: { phase: 'Running', podIP: '10.1.0.9', containerStatuses: [{ name: 'db', ready: true, restartCount: 0, state: { running: {} } }] } })
  })

  it('prints a table in the default namespace, resolving any kubectl name for the kind', async () => {
    for (const kind of ['pods', 'pod', 'po', 'Pod']) {
      expect(await run(['get', kind])).toEqual({ code: 0, out: 'NAME    READY   STATUS    RESTARTS   AGE\nweb-0   0/1     Pending   0          5s\n', err: '' })
    }
    expect((await run(['get', 'deployments.apps'])).out).toBe('NAME   READY   UP-TO-DATE   AVAILABLE   AGE\nweb    0/2     0            0           5s\n')
    expect((await run(['get', 'deploy', '-o', 'wide'])).out).toContain('CONTAINERS   IMAGES    SELECTOR')
    expect((await run(['get', 'svc'])).out).toBe('NAME   TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE\nweb    ClusterIP   10.96.0.10   <none>        80/TCP    5s\n')
  })

  it('lists across namespaces with -A, adding NAMESPACE first', async () => {
    expect((await run(['get', 'pods', '-A', '-o', 'wide'])).out).toBe(
      'NAMESPACE   NAME    READY   STATUS    RESTARTS   AGE   IP         NODE     NOMINATED NODE   READINESS GATES\n' +
      'data        db-0    1/1     Running   0          5s    10.1.0.9   node-b   <none>           <none>\n' +
      'default     web-0   0/1     Pending   0          5s    <none>     <none>   <none>           <none>\n')
    expect(api.requests.at(-1)).toBe('GET /api/v1/pods')
  })

  it('prints JSON and YAML: the object when named, a List otherwise', async () => {
    const one = JSON.parse((await run(['get', 'pod', 'web-0', '-o', 'json'])).out)
    expect(one).toMatchObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-0', namespace: 'default' } })
    const list = JSON.parse((await run(['get', 'pods', '-n', 'data', '-o', 'json'])).out)
    expect(list.kind).toBe('List')
    expect(list.apiVersion).toBe('v1')
    expect(list.items.map((i: { kind: string, metadata: { name: string } }) => `${i.kind}/${i.metadata.name}`)).toEqual(['Pod/db-0'])
    expect((await run(['get', 'deploy', 'web', '-o', 'yaml'])).out).toMatch(/^apiVersion: apps\/v1\nkind: Deployment\nmetadata:\n/)
    expect((await run(['get', 'pods,svc', '-o', 'name'])).out).toBe('pod/web-0\nservice/web\n')
    expect((await run(['get', 'pods', '-n', 'empty', '-o', 'json'])).out).toContain('"items": []')
  })

  it('passes label selectors to the server', async () => {
    await run(['get', 'pods', '-l', 'app=web'])
    expect(api.requests.at(-1)).toBe('GET /api/v1/namespaces/default/pods?labelSelector=app%3Dweb')
  })

  it('says so when nothing is found', async () => {
    expect(await run(['get', 'pods', '-n', 'empty'])).toEqual({ code: 0, out: '', err: 'No resources found in empty namespace.\n' })
    expect((await run(['get', 'nodes'])).err).toBe('No resources found\n')
  })

  it('prints the server\'s NotFound like kubectl and exits 1', async () => {
    expect(await run(['get', 'pod', 'nope'])).toEqual({ code: 1, out: '', err: 'Error from server (NotFound): pods "nope" not found\n' })
  })

  it('rejects unknown kinds and bad output formats', async () => {
    expect(await run(['get', 'widgets'])).toEqual({ code: 1, out: '', err: 'error: the server doesn\'t have a resource type "widgets"\n' })
    const r = await run(['get', 'pods', '-o', 'toml'])
    expect(r.code).toBe(2)
    expect(r.err).toContain('allowed formats are: json,yaml,wide,name')
  })
})

describe('delete', () => {
  beforeEach(async () => { await run(['apply', '-f', file('app.yaml', APP)]) })

  it('deletes by name, by KIND/NAME and by file', async () => {
    expect(await run(['delete', 'pod', 'web-0'])).toEqual({ code: 0, out: 'pod "web-0" deleted\n', err: '' })
    expect(api.objects.has('/pods/default/web-0')).toBe(false)
    expect((await run(['delete', 'deploy/web'])).out).toBe('deployment.apps "web" deleted\n')
    const r = await run(['delete', '-f', join(dir, 'app.yaml')])
    expect(r.code).toBe(1)
    expect(r.out).toBe('service "web" deleted\n')
    expect(r.err).toBe('Error from server (NotFound): deployments.apps "web" not found\nError from server (NotFound): pods "web-0" not found\n')
    expect((await run(['delete', 'pod', 'web-0', '--ignore-not-found'])).code).toBe(0)
  })

  it('needs a name', async () => {
    expect((await run(['delete', 'pods'])).code).toBe(2)
  })
})

describe('describe', () => {
  it('shows metadata, containers and events of a pod', async () => {
    await run(['apply', '-f', file('app.yaml', APP)])
    api.seed('', 'events', {
      apiVersion: 'v1', kind: 'Event', metadata: { name: 'web-0.1', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web-0', namespace: 'default' },
      type: 'Normal', reason: 'Scheduled', message: 'Successfully assigned default/web-0 to node-a', source: { component: 'scheduler' },
      lastTimestamp: new Date(NOW - 3000).toISOString()
    })
    const r = await run(['describe', 'pod', 'web-0'])
    expect(r.code).toBe(0)
    expect(r.out).toContain('Name:               web-0\nNamespace:          default\nLabels:             app=web\nAnnotations:        <none>\nCreationTimestamp:  Wed, 01 May 2024 11:59:55 +0000\n')
    expect(r.out).toContain('Status:             Pending\n')
    expect(r.out).toContain('Containers:\n  web:\n    Image:        nginx:1\n    Port:         <none>\n')
    expect(r.out).toContain('Events:\n  Type    Reason     Age  From       Message\n  ----    ------     ---  ----       -------\n  Normal  Scheduled  3s   scheduler  Successfully assigned default/web-0 to node-a\n')
  })

  it('describes deployments and reports missing objects', async () => {
    await run(['apply', '-f', file('app.yaml', APP)])
    const r = await run(['describe', 'deployments.apps/web'])
    expect(r.out).toContain('Replicas:           2 desired | 0 updated | 0 total | 0 available | 0 unavailable\n')
    expect(r.out).toContain('Events:             <none>\n')
    expect(await run(['describe', 'svc', 'nope'])).toEqual({ code: 1, out: '', err: 'Error from server (NotFound): services "nope" not found\n' })
  })
})

describe('cluster status', () => {
  it('prints a table, and the server\'s document with -o json', async () => {
    const r = await run(['cluster', 'status'])
    expect(r.out).toBe(
      'Leader:        node-a\nTerm:          3\nCommit index:  42\n\n' +
      'NAME     ROLE      HEALTHY   LEADER   PEER ID\n' +
      'node-a   voter     true      *        12D3KooWA\n' +
      'node-b   voter     true               12D3KooWB\n' +
      'node-c   learner   false              12D3KooWC\n')
    expect(JSON.parse((await run(['cluster', 'status', '-o', 'json'])).out)).toEqual(api.clusterStatus)
    expect((await run(['cluster'])).code).toBe(2)
  })
})

describe('connection and errors', () => {
  it('finds the kubeconfig via --data-dir, KUBECONFIG, or --server/--token', async () => {
    rmSync(join(dir, '.flotilla'), { recursive: true })
    expect((await run(['get', 'pods'])).err).toContain('No kubeconfig found: pass --kubeconfig, set KUBECONFIG')
    await writeKubeconfig(join(dir, 'node-a', 'kubeconfig'), { server: api.url, token: FAKE_TOKEN, clusterName: 'f', userName: 'u' })
    expect((await run(['--data-dir', 'node-a', 'get', 'pods'])).code).toBe(0)
    expect((await run(['get', 'pods'], { env: { KUBECONFIG: join(dir, 'node-a', 'kubeconfig') } })).code).toBe(0)
    expect((await run(['get', 'pods', '--server', api.url, '--token', FAKE_TOKEN])).code).toBe(0)
  })

  it('explains a wrong token and an unreachable server', async () => {
    expect(await run(['get', 'pods', '--token', 'wrong'])).toEqual({ code: 1, out: '', err: 'error: You must be logged in to the server (Unauthorized)\n' })
    const r = await run(['get', 'pods', '--server', 'http://127.0.0.1:1'])
    expect(r.code).toBe(1)
    expect(r.err).toBe('The connection to the server 127.0.0.1:1 was refused - is a flotilla agent running at http://127.0.0.1:1? (check --server or your kubeconfig)\n')
  })

  it('prints usage for unknown verbs (exit 2) and per-verb help', async () => {
    const bad = await run(['frobnicate'])
    expect(bad.code).toBe(2)
    expect(bad.err).toContain('unknown command "frobnicate"')
    expect(bad.err).toContain('Usage:')
    const help = await run(['apply', '--help'])
    expect(help.code).toBe(0)
    expect(help.out).toContain('flotilla apply -f FILE|DIR|- [flags]')
    expect((await run(['help', 'get'])).out).toContain('flotilla get KIND[,KIND...] [NAME...] [flags]')
    const flag = await run(['get', 'pods', '--bogus'])
    expect(flag).toEqual({ code: 2, out: '', err: "error: unknown flag: --bogus\nSee 'flotilla get --help' for usage.\n" })
  })
})
