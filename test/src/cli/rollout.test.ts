// `flotilla rollout` and `flotilla scale` in-process against the fake API server: the
// messages kubectl prints, the updates they send (pause, resume, restart, scale, undo copying
// a ReplicaSet's template back), history from the ReplicaSets' revision annotations, and
// status waiting with a timeout.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { writeKubeconfig } from '../../../src/cli/kubeconfig.ts'
import { main } from '../../../src/cli/main.ts'
import { FAKE_TOKEN, startFakeApiServer, type FakeApiServer } from './fake-api-server.ts'

const NOW = Date.parse('2024-05-01T12:00:00Z')
let dir: string
let api: FakeApiServer

async function run (argv: string[], onOut?: (s: string) => void): Promise<{ code: number, out: string, err: string }> {
  let out = ''
  let err = ''
  const code = await main(argv, {
    stdout: { write: (s: string) => { out += s; onOut?.(s) } },
    stderr: { write: (s: string) => { err += s } },
    stdin: Readable.from(['']),
    env: {},
    cwd: dir,
    home: join(dir, 'home'),
    now: () => Date.now()
  })
  return { code, out, err }
}

beforeAll(async () => { api = await startFakeApiServer({ now: () => NOW }) })
afterAll(async () => { await api.close() })
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-rollout-'))
  mkdirSync(join(dir, 'home'))
  await writeKubeconfig(join(dir, '.flotilla', 'kubeconfig'), { server: api.url, token: FAKE_TOKEN, clusterName: 'flotilla', userName: 'admin' })
  api.objects.clear()
  api.requests.length = 0
})
afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

const template = (image: string, hash?: string): Record<string, any> => ({
  metadata: { labels: { app: 'web', ...(hash !== undefined ? { 'pod-template-hash': hash } : {}) } },
  spec: { containers: [{ name: 'web', image }] }
})

function seedDeployment (spec: Record<string, unknown> = {}, status: Record<string, unknown> = {}, generation = 2): Record<string, any> {
  return api.seed('apps', 'deployments', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', generation, annotations: { 'deployment.kubernetes.io/revision': '2' } },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: template('web:2'), ...spec },
    status: { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3, ...status }
  })
}

function seedReplicaSet (owner: Record<string, any>, hash: string, image: string, revision: string, cause?: string): void {
  api.seed('apps', 'replicasets', {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `web-${hash}`,
      namespace: 'default',
      annotations: { 'deployment.kubernetes.io/revision': revision, ...(cause !== undefined ? { 'kubernetes.io/change-cause': cause } : {}) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: owner.metadata.uid, controller: true }]
    },
    spec: { replicas: 0, template: template(image, hash) }
  })
}

const deployment = (): Record<string, any> => api.objects.get('apps/deployments/default/web') as Record<string, any>

describe('rollout status', () => {
  it('prints kubectl\'s success line when the rollout is complete', async () => {
    seedDeployment()
    expect(await run(['rollout', 'status', 'deploy/web'])).toEqual({ code: 0, out: 'deployment "web" successfully rolled out\n', err: '' })
  })

  it('waits, printing progress, until the Deployment is rolled out', async () => {
    seedDeployment({}, { availableReplicas: 1 })
    let finished = false
    const r = await run(['rollout', 'status', 'deployment', 'web'], (s) => {
      if (finished || !s.includes('1 of 3 updated replicas are available')) return
      finished = true
      const d = deployment()
      d.status.availableReplicas = 3
    })
    expect(r).toEqual({ code: 0, out: 'Waiting for deployment "web" rollout to finish: 1 of 3 updated replicas are available...\ndeployment "web" successfully rolled out\n', err: '' })
  })

  it('gives up after --timeout, and fails at once past the progress deadline', async () => {
    seedDeployment({}, { updatedReplicas: 1 })
    const r = await run(['rollout', 'status', 'deploy/web', '--timeout', '100ms'])
    expect(r).toEqual({ code: 1, out: 'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...\n', err: 'error: timed out waiting for the condition\n' })
    deployment().status.conditions = [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }]
    expect((await run(['rollout', 'status', 'deploy/web'])).err).toBe('error: deployment "web" exceeded its progress deadline\n')
    deployment().metadata.generation = 3
    expect((await run(['rollout', 'status', 'deploy/web', '--timeout=1ms'])).out).toBe('Waiting for deployment spec update to be observed...\n')
  })
})

describe('rollout history and undo', () => {
  it('lists revisions with their change causes, and shows one revision\'s template', async () => {
    const d = seedDeployment()
    seedReplicaSet(d, 'aaaaa', 'web:1', '1')
    seedReplicaSet(d, 'bbbbb', 'web:2', '2', 'flotilla set image web:2')
    expect((await run(['rollout', 'history', 'deploy/web'])).out).toBe('deployment.apps/web\nREVISION  CHANGE-CAUSE\n1         <none>\n2         flotilla set image web:2\n\n')
    const one = await run(['rollout', 'history', 'deploy/web', '--revision', '1'])
    expect(one.out).toContain('deployment.apps/web with revision #1\nPod Template:\n  Labels:')
    expect(one.out).toContain('Image:')
    expect(one.out).toContain('web:1')
    expect(await run(['rollout', 'history', 'deploy/web', '--revision', '7'])).toMatchObject({ code: 1, err: 'error: unable to find the specified revision 7\n' })
  })

  it('undo copies the previous revision\'s template back (without the hash label); --to-revision picks one', async () => {
    const d = seedDeployment()
    seedReplicaSet(d, 'aaaaa', 'web:1', '1', 'first')
    seedReplicaSet(d, 'bbbbb', 'web:2', '2')
    seedReplicaSet(d, 'ccccc', 'web:0', '3')
    // Current template is web:2 but revision 3 is the newest: previous = revision 2.
    deployment().spec.template = template('web:3')
    expect(await run(['rollout', 'undo', 'deploy/web'])).toEqual({ code: 0, out: 'deployment.apps/web rolled back\n', err: '' })
    expect(deployment().spec.template).toEqual(template('web:2'))
    expect(await run(['rollout', 'undo', 'deploy/web', '--to-revision=2'])).toEqual({ code: 0, out: 'deployment.apps/web skipped rollback (current template already matches revision 2)\n', err: '' })
    expect((await run(['rollout', 'undo', 'deploy/web', '--to-revision', '1'])).out).toBe('deployment.apps/web rolled back\n')
    expect(deployment().spec.template).toEqual(template('web:1'))
    expect(deployment().metadata.annotations['kubernetes.io/change-cause']).toBe('first')
    expect(await run(['rollout', 'undo', 'deploy/web', '--to-revision', '9'])).toMatchObject({ code: 1, err: 'error: unable to find specified revision 9 in history\n' })
  })

  it('refuses to undo a paused Deployment or one without history', async () => {
    seedDeployment({ paused: true })
    expect((await run(['rollout', 'undo', 'deploy/web'])).err).toContain("you cannot rollback a paused deployment; resume it first with 'flotilla rollout resume deployment.apps/web' and try again")
    deployment().spec.paused = false
    expect((await run(['rollout', 'undo', 'deploy/web'])).err).toBe('error: no rollout history found for deployment "web"\n')
  })
})

describe('rollout pause, resume, restart', () => {
  it('sets and clears spec.paused, and says when there is nothing to do', async () => {
    seedDeployment()
    expect(await run(['rollout', 'pause', 'deploy/web'])).toEqual({ code: 0, out: 'deployment.apps/web paused\n', err: '' })
    expect(deployment().spec.paused).toBe(true)
    expect(await run(['rollout', 'pause', 'deploy/web'])).toEqual({ code: 1, out: '', err: 'error: deployments.apps "web" is already paused\n' })
    expect((await run(['rollout', 'restart', 'deploy/web'])).err).toBe('error: deployments.apps "web" can\'t restart paused deployment (run rollout resume first)\n')
    expect(await run(['rollout', 'resume', 'deploy/web'])).toEqual({ code: 0, out: 'deployment.apps/web resumed\n', err: '' })
    expect(deployment().spec.paused).toBeUndefined()
    expect((await run(['rollout', 'resume', 'deploy/web'])).err).toBe('error: deployments.apps "web" is not paused\n')
  })

  it('restart stamps kubectl.kubernetes.io/restartedAt on the pod template', async () => {
    seedDeployment()
    expect((await run(['rollout', 'restart', 'deploy/web'])).out).toBe('deployment.apps/web restarted\n')
    expect(deployment().spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
  })

  it('rejects other kinds and unknown subcommands', async () => {
    seedDeployment()
    expect(await run(['rollout', 'status', 'pod/web'])).toMatchObject({ code: 2 })
    expect((await run(['rollout', 'sideways', 'deploy/web'])).err).toContain('unknown subcommand "sideways"')
  })
})

describe('scale', () => {
  it('sets spec.replicas of a Deployment or ReplicaSet', async () => {
    const d = seedDeployment()
    seedReplicaSet(d, 'aaaaa', 'web:1', '1')
    expect(await run(['scale', 'deploy/web', '--replicas', '5'])).toEqual({ code: 0, out: 'deployment.apps/web scaled\n', err: '' })
    expect(deployment().spec.replicas).toBe(5)
    expect((await run(['scale', 'rs', 'web-aaaaa', '--replicas=2'])).out).toBe('replicaset.apps/web-aaaaa scaled\n')
    expect(api.objects.get('apps/replicasets/default/web-aaaaa')?.spec.replicas).toBe(2)
  })

  it('honours --current-replicas and needs --replicas', async () => {
    seedDeployment()
    expect(await run(['scale', 'deploy/web', '--replicas', '1', '--current-replicas', '2'])).toEqual({ code: 1, out: '', err: 'error: Expected replicas to be 2, was 3\n' })
    expect(deployment().spec.replicas).toBe(3)
    expect((await run(['scale', 'deploy/web'])).code).toBe(2)
  })
})
