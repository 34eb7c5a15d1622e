// The HTTP edge: authentication, discovery, health checks, routing errors, body limits and
// parsing, backend failures mapped to Status codes, and inputs that must not crash the server.

import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { fromStoreError } from '../../../src/api/status.ts'
import { namedError, pod, startApi, TOKEN } from './harness.ts'

describe('authentication', () => {
  it('answers 401 with an Unauthorized Status without a valid bearer token', async () => {
    const { base } = await startApi()
    const attempts: Array<Record<string, string>> = [{}, { Authorization: 'Bearer wrong' }, { Authorization: `Basic ${TOKEN}` }]
    for (const headers of attempts) {
      const res = await fetch(`${base}/api/v1/namespaces/default/pods`, { headers })
      expect(res.status).toBe(401)
      expect(await res.json()).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Unauthorized', code: 401 })
    }
    expect((await fetch(`${base}/nope`)).status).toBe(401)
  })

  it('takes the token in any accepted spelling, and refuses a wrong one of the same length after a good one', async () => {
    const { base } = await startApi()
    const status = async (authorization: string): Promise<number> =>
      (await fetch(`${base}/api/v1/namespaces/default/pods`, { headers: { Authorization: authorization } })).status
    const sameLength = TOKEN.slice(0, -1) + (TOKEN.endsWith('x') ? 'y' : 'x')
    expect(await status(`Bearer ${TOKEN}`)).toBe(200)
    expect(await status(`Bearer ${sameLength}`)).toBe(401)
    expect(await status(`bearer   ${TOKEN}`)).toBe(200)
    expect(await status(`bearer   ${sameLength}`)).toBe(401)
    expect(await status(`Bearer ${TOKEN}`)).toBe(200)
    expect(await status(`Bearer ${TOKEN}x`)).toBe(401)
  })

  it('serves health checks without a token', async () => {
    const { base } = await startApi()
    for (const path of ['/healthz', '/readyz', '/livez']) {
      const res = await fetch(base + path)
      expect(res.status).toBe(200)
      expect(await res.text()).toBe('ok')
    }
  })
})

describe('discovery', () => {
  it('lists the core version, the named groups and their resources', async () => {
    const { call } = await startApi()
    expect((await call('GET', '/api')).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] })
    const groups = (await call('GET', '/apis')).body
    expect(groups).toMatchObject({ kind: 'APIGroupList', apiVersion: 'v1' })
    expect(groups.groups).toEqual([{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } }])
    expect((await call('GET', '/apis/apps')).body).toMatchObject({ kind: 'APIGroup', name: 'apps' })

    const core = (await call('GET', '/api/v1')).body
    expect(core).toMatchObject({ kind: 'APIResourceList', groupVersion: 'v1' })
    const pods = core.resources.find((r: any) => r.name === 'pods')
    expect(pods).toMatchObject({ singularName: 'pod', namespaced: true, kind: 'Pod', shortNames: ['po'], categories: ['all'] })
    expect(pods.verbs).toEqual(expect.arrayContaining(['create', 'get', 'list', 'watch', 'update', 'patch', 'delete']))
    expect(core.resources.find((r: any) => r.name === 'pods/status')).toMatchObject({ kind: 'Pod', verbs: ['get', 'patch', 'update'] })
    expect(core.resources.find((r: any) => r.name === 'namespaces')).toMatchObject({ namespaced: false })

    const apps = (await call('GET', '/apis/apps/v1')).body
    expect(apps.groupVersion).toBe('apps/v1')
    expect(apps.resources.find((r: any) => r.name === 'deployments/scale')).toMatchObject({ kind: 'Scale', group: 'autoscaling', version: 'v1' })
  })

  it('publishes OpenAPI v3 documents that tell kubectl the server takes fieldValidation', async () => {
    const { call } = await startApi()
    const root = (await call('GET', '/openapi/v3')).body
    expect(Object.keys(root.paths)).toEqual(['api/v1', 'apis/apps/v1'])
    const url: string = root.paths['apis/apps/v1'].serverRelativeURL
    expect(url).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]+$/)
    const doc = (await call('GET', url)).body
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' })
    expect(patch.parameters).toContainEqual(expect.objectContaining({ name: 'fieldValidation', in: 'query' }))
    const core = (await call('GET', '/openapi/v3/api/v1')).body
    expect(Object.keys(core.paths)).toContain('/api/v1/namespaces/{name}')
    expect((await call('GET', '/openapi/v3/apis/batch/v1')).status).toBe(404)
  })

  it('reports a version', async () => {
    const { call } = await startApi()
    const v = (await call('GET', '/version')).body
    expect(v).toMatchObject({ major: '1', gitVersion: expect.stringMatching(/^v1\./) })
  })

  it('refuses writes to discovery paths with 405', async () => {
    const { call } = await startApi()
    expect((await call('POST', '/api/v1', {})).body).toMatchObject({ reason: 'MethodNotAllowed', code: 405 })
  })
})

describe('routing errors', () => {
  it('answers 404 for unknown paths, kinds and group versions', async () => {
    const { call } = await startApi()
    for (const path of ['/nope', '/api/v2', '/api/v1/widgets', '/apis/batch/v1/jobs', '/apis/apps/v2/deployments', '/api/v1/namespaces/default/widgets/x', '/api/v1/namespaces/default/pods/x/y/z']) {
      const res = await call('GET', path)
      expect(res.status, path).toBe(404)
      expect(res.body).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'the server could not find the requested resource', code: 404 })
    }
  })

  it('does not name a namespaced object without its namespace', async () => {
    const { call } = await startApi()
    expect((await call('GET', '/api/v1/pods/x')).status).toBe(404)
  })

  it('answers 405 for verbs a path does not serve', async () => {
    const { call } = await startApi()
    expect((await call('POST', '/api/v1/namespaces/default/pods/x', pod('x'))).status).toBe(405)
    expect((await call('PUT', '/api/v1/namespaces/default/pods', pod('x'))).status).toBe(405)
    expect((await call('POST', '/api/v1/pods', pod('x'))).status).toBe(405)
    expect((await call('OPTIONS', '/api/v1/namespaces/default/pods')).status).toBe(405)
  })

  it('answers 400 for a malformed percent-escape in the path', async () => {
    const { call } = await startApi()
    const res = await call('GET', '/api/v1/namespaces/%zz/pods')
    expect(res.status).toBe(400)
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'BadRequest' })
  })

  it('survives garbage on the wire and keeps serving', async () => {
    const { api, call } = await startApi()
    for (const raw of ['FOO /api HTTP/1.1\r\n\r\n', 'GET /api\r\n\r\n', '\x00\x01\x02 nonsense\r\n\r\n', 'GET http://[::1 HTTP/1.1\r\nHost: x\r\n\r\n']) {
      const answer = await new Promise<string>(resolve => {
        const sock = connect(api.port, '127.0.0.1', () => sock.end(raw))
        let out = ''
        sock.on('data', d => { out += d.toString() })
        sock.on('close', () => resolve(out))
        sock.on('error', () => resolve(out))
      })
      expect(answer === '' || answer.startsWith('HTTP/1.1 4')).toBe(true)
    }
    expect((await call('GET', '/api')).status).toBe(200)
  })
})

describe('request bodies', () => {
  it('answers 413 for a body over the limit', async () => {
    const { call } = await startApi({ maxBodyBytes: 1024 })
    const big = pod('big', { data: 'x'.repeat(4096) })
    const res = await call('POST', '/api/v1/namespaces/default/pods', big)
    expect(res.status).toBe(413)
    expect(res.body).toMatchObject({ reason: 'RequestEntityTooLarge', code: 413 })
    expect((await call('GET', '/api')).status).toBe(200)
  })

  it('answers 413 for a chunked body that grows past the limit, without reading it all', async () => {
    const { base, call } = await startApi({ maxBodyBytes: 64 * 1024 })
    let sent = 0
    const stream = new ReadableStream<Uint8Array>({
      pull (controller) {
        if (sent > 64 * 1024 * 1024) { controller.close(); return }
        sent += 65536
        controller.enqueue(new Uint8Array(65536).fill(32))
      }
    })
    const res = await fetch(`${base}/api/v1/namespaces/default/pods`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: stream,
      duplex: 'half'
    } as RequestInit).catch((err: unknown) => err)
    // The server answers 413 and closes; depending on timing the client sees the answer or a reset.
    if (res instanceof Response) expect(res.status).toBe(413)
    expect(sent).toBeLessThan(64 * 1024 * 1024)
    expect((await call('GET', '/api')).status).toBe(200)
  })

  it('answers 400 with the parser message for malformed JSON and YAML', async () => {
    const { call } = await startApi()
    const json = await call('POST', '/api/v1/namespaces/default/pods', '{"metadata": {', { 'Content-Type': 'application/json' })
    expect(json.status).toBe(400)
    expect(json.body).toMatchObject({ kind: 'Status', reason: 'BadRequest' })
    expect(json.body.message).toMatch(/JSON/)
    const yaml = await call('POST', '/api/v1/namespaces/default/pods', 'metadata:\n  name: [unclosed\n', { 'Content-Type': 'application/yaml' })
    expect(yaml.status).toBe(400)
    expect(yaml.body.message).toMatch(/YAML/)
    const notObject = await call('POST', '/api/v1/namespaces/default/pods', '[1,2]', { 'Content-Type': 'application/json' })
    expect(notObject.status).toBe(400)
  })

  it('accepts YAML bodies', async () => {
    const { call } = await startApi()
    const yaml = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: y\nspec:\n  containers:\n  - name: c\n    image: nginx\n'
    const res = await call('POST', '/api/v1/namespaces/default/pods', yaml, { 'Content-Type': 'application/yaml' })
    expect(res.status).toBe(201)
    expect(res.body.metadata).toMatchObject({ name: 'y', namespace: 'default' })
  })

  it('drops __proto__ members from bodies', async () => {
    const { call } = await startApi()
    const json = '{"__proto__": {"polluted": 1}, "metadata": {"name": "p", "labels": {"__proto__": "x"}}, "spec": {"containers": [{"name": "c", "image": "x"}]}}'
    const res = await call('POST', '/api/v1/namespaces/default/pods', json, { 'Content-Type': 'application/json' })
    expect(res.status).toBe(201)
    expect(Object.keys(res.body)).not.toContain('__proto__')
    // Nothing is left of the labels: an empty map is no map.
    expect(res.body.metadata.labels).toBeUndefined()
    const yaml = '__proto__: {polluted: 1}\nmetadata: {name: q}\nspec: {containers: [{name: c, image: x}]}\n'
    const fromYaml = await call('POST', '/api/v1/namespaces/default/pods', yaml, { 'Content-Type': 'application/yaml' })
    expect(fromYaml.status).toBe(201)
    expect(Object.keys(fromYaml.body)).not.toContain('__proto__')
    // The key spelled with a JSON escape is the same key.
    const escaped = '{"metadata": {"name": "r", "labels": {"\\u005f_proto__": "x", "app": "y"}}, "spec": {"containers": [{"name": "c", "image": "x"}]}}'
    const fromEscaped = await call('POST', '/api/v1/namespaces/default/pods', escaped, { 'Content-Type': 'application/json' })
    expect(fromEscaped.status).toBe(201)
    expect(fromEscaped.body.metadata.labels).toEqual({ app: 'y' })
  })

  it('answers 415 for a body type it does not read', async () => {
    const { call } = await startApi()
    const res = await call('POST', '/api/v1/namespaces/default/pods', 'x', { 'Content-Type': 'application/vnd.kubernetes.protobuf' })
    expect(res.status).toBe(415)
    expect(res.body.reason).toBe('UnsupportedMediaType')
  })
})

describe('backend failures', () => {
  it('maps cluster unavailability to 503 and unknown outcomes to 504, telling the client to retry', async () => {
    const { backend, call } = await startApi()
    backend.failNextWrite = namedError('NotLeaderError', 'No leader is known right now')
    const r503 = await call('POST', '/api/v1/namespaces/default/pods', pod('a'))
    expect(r503.status).toBe(503)
    expect(r503.body).toMatchObject({ reason: 'ServiceUnavailable', code: 503 })
    expect(r503.body.message).toMatch(/retry/)
    expect(r503.headers.get('retry-after')).toBe('1')

    backend.failNextWrite = namedError('LeadershipLostError', 'Leadership was lost')
    const r504 = await call('POST', '/api/v1/namespaces/default/pods', pod('a'))
    expect(r504.status).toBe(504)
    expect(r504.body).toMatchObject({ reason: 'Timeout', code: 504 })

    backend.failNextWrite = namedError('RaftTimeoutError', 'did not complete in time')
    expect((await call('POST', '/api/v1/namespaces/default/pods', pod('a'))).status).toBe(504)
  })

  it('answers 500 for anything else and keeps serving', async () => {
    const { backend, call } = await startApi()
    backend.failNextWrite = new TypeError('boom')
    const res = await call('POST', '/api/v1/namespaces/default/pods', pod('a'))
    expect(res.status).toBe(500)
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'InternalError', code: 500 })
    expect((await call('POST', '/api/v1/namespaces/default/pods', pod('a'))).status).toBe(201)
  })

  it('answers 400 for a bad selector', async () => {
    const { call } = await startApi()
    const res = await call('GET', '/api/v1/namespaces/default/pods?labelSelector=' + encodeURIComponent('a in (('))
    expect(res.status).toBe(400)
    expect(res.body.reason).toBe('BadRequest')
  })
})

describe('robustness', () => {
  it('answers odd inputs with a 4xx Status, never a 5xx or a crash', async () => {
    const { call } = await startApi()
    await call('POST', '/api/v1/namespaces/default/pods', pod('a'))
    const bodies = [
      'null', '42', '"str"', '{"metadata": "x"}', '{"metadata": {"name": 7}}', '{"metadata": {"name": "a/b"}}',
      '{"metadata": {"name": "z", "labels": {"a": 1}}}', '{"metadata": {"name": "z"}, "spec": "str"}',
      '{"__proto__": {"x": 1}, "metadata": {"name": "p"}}', '{"metadata": {"name": "z", "namespace": 5}}',
      '\xff\xfe', '[' .repeat(5000) + ']'.repeat(5000), '{"apiVersion": 3}', '{"kind": {}}'
    ]
    const paths = ['/api/v1/namespaces/default/pods', '/api/v1/namespaces/default/pods/a', '/api/v1/namespaces/default/pods/a/status', '/api/v1/namespaces', '/apis/apps/v1/namespaces/default/deployments/d/scale']
    const types = ['application/json', 'application/yaml', 'application/merge-patch+json', 'application/json-patch+json']
    for (const path of paths) {
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        for (const body of bodies) {
          for (const type of types) {
            const res = await call(method, path, body, { 'Content-Type': type })
            expect(res.status, `${method} ${path} ${type} ${body.slice(0, 40)}`).toBeLessThan(500)
            if (res.status >= 400) expect(res.body.kind).toBe('Status')
          }
        }
      }
    }
    for (const q of ['?watch=yes&timeoutSeconds=-1', '?resourceVersion=-1', '?timeoutSeconds=abc&watch=1&resourceVersion=99999999999999999999', '?labelSelector=%00', '?dryRun=Some']) {
      const res = await call('GET', `/api/v1/namespaces/default/pods${q}`)
      expect(res.status, q).toBeLessThan(500)
    }
    expect((await call('GET', '/api')).status).toBe(200)
    expect(({} as Record<string, unknown>).x).toBeUndefined()
  })
})

describe('store errors', () => {
  const pods = { group: '', plural: 'pods', name: 'a' }

  it('keeps the store\'s Kubernetes wording and reads the details from it', () => {
    const ns = fromStoreError({ code: 404, reason: 'NotFound', message: 'namespaces "team" not found' }, pods).toStatus()
    expect(ns).toMatchObject({ code: 404, reason: 'NotFound', message: 'namespaces "team" not found', details: { name: 'team', kind: 'namespaces' } })
    const dep = fromStoreError({ code: 409, reason: 'Conflict', message: 'Operation cannot be fulfilled on deployments.apps "d": the object has been modified' }, pods).toStatus()
    expect(dep).toMatchObject({ code: 409, reason: 'Conflict', details: { name: 'd', group: 'apps', kind: 'deployments' } })
  })

  it('gives an Invalid error the cause kubectl prints (field and why)', () => {
    const svc = { group: '', plural: 'services', name: 'web' }
    const message = 'Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated'
    expect(fromStoreError({ code: 422, reason: 'Invalid', message }, svc).toStatus()).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message,
      details: { name: 'web', kind: 'Service', causes: [{ reason: 'FieldValueInvalid', field: 'spec.ports[0].nodePort', message: 'Invalid value: 30080: provided port is already allocated' }] }
    })
  })

  it('words other messages for the resource the request named', () => {
    const pre = fromStoreError({ code: 409, reason: 'Conflict', message: 'Precondition failed: UID in precondition: x, UID in object meta: y' }, pods).toStatus()
    expect(pre.message).toBe('Operation cannot be fulfilled on pods "a": Precondition failed: UID in precondition: x, UID in object meta: y')
    expect(fromStoreError({ code: 404, reason: 'NotFound', message: 'gone' }, pods).message).toBe('pods "a" not found')
    expect(fromStoreError({ code: 422, reason: 'Invalid', message: 'bad command' }, pods).toStatus()).toMatchObject({ code: 422, reason: 'Invalid', message: 'bad command' })
  })
})
