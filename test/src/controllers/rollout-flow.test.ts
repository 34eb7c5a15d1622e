// A rollout end to end in one process: the real API server over the real store, the
// Deployment and ReplicaSet controllers, the `flotilla` CLI, and a stand-in for the kubelets
// that marks every new pod Ready. Apply, `rollout status`, a template change, `rollout
// history`, `rollout undo` (the old ReplicaSet comes back, no third one), `scale`.

import { afterEach, describe, expect, it } from 'vitest'
import { createApiServer, type ApiServer } from '../../../src/api/server.ts'
import type { ControllerRole } from '../../../src/controllers/controller-role.ts'
import { deploymentController } from '../../../src/controllers/deployment.ts'
import { isPodReady } from '../../../src/controllers/pod-readiness.ts'
import { replicaSetController } from '../../../src/controllers/replicaset.ts'
import { KINDS } from '../../../src/objects/kinds.ts'
import { runCliAgainst, type CliOutcome } from '../cli/in-process.ts'
import { controllerHarness, deployment, type ControllerHarness } from './harness.ts'

const TOKEN = 'token'
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

/** Marks every pod Ready shortly after it appears, as kubelets would. */
function readyEveryPod (h: ControllerHarness): () => void {
  let scheduled = false
  const sweep = (): void => {
    scheduled = false
    const pending = h.list('', 'Pod', 'default').filter((p) => !isPodReady(p) && p.metadata.deletionTimestamp === undefined)
    if (pending.length > 0) void h.makeReady(pending).catch(() => {})
  }
  return h.backend.reader.watch('', 'Pod', 'default', h.backend.reader.appliedIndex, {}, () => {
    if (!scheduled) { scheduled = true; setImmediate(sweep) }
  })
}

async function start (): Promise<{ h: ControllerHarness, cli: (...argv: string[]) => Promise<CliOutcome> }> {
  const h = await controllerHarness()
  const roles: ControllerRole[] = [replicaSetController(h.ctx), deploymentController(h.ctx)]
  for (const r of roles) r.start()
  const stopReady = readyEveryPod(h)
  const api: ApiServer = createApiServer({ backend: h.backend, kinds: KINDS, token: TOKEN, host: '127.0.0.1', port: 0 })
  const { port } = await api.start()
  cleanups.push(async () => { await api.stop(); stopReady(); for (const r of roles) await r.stop() })
  const cli = async (...argv: string[]): Promise<CliOutcome> => await runCliAgainst(`http://127.0.0.1:${port}`, TOKEN, argv)
  return { h, cli }
}

describe('a rollout through the API and the CLI', () => {
  it('rolls out, updates, undoes and scales', async () => {
    const { h, cli } = await start()
    await h.create(deployment('web', 3))
    const first = await cli('rollout', 'status', 'deploy/web', '--timeout', '20s')
    expect(first.code).toBe(0)
    expect(first.out.trim().split('\n').at(-1)).toBe('deployment "web" successfully rolled out')

    const d = structuredClone(h.get('apps', 'Deployment', 'web')) as any
    d.spec.template.spec.containers[0].image = 'busybox:2'
    d.metadata.annotations = { ...d.metadata.annotations, 'kubernetes.io/change-cause': 'image busybox:2' }
    expect((await h.backend.write({ op: 'update', object: d })).ok).toBe(true)
    expect((await cli('rollout', 'status', 'deploy/web', '--timeout', '20s')).code).toBe(0)
    expect((await cli('rollout', 'history', 'deploy/web')).out).toBe('deployment.apps/web\nREVISION  CHANGE-CAUSE\n1         <none>\n2         image busybox:2\n\n')

    const firstRs = h.list('apps', 'ReplicaSet', 'default').find((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === '1')
    expect((await cli('rollout', 'undo', 'deploy/web')).out).toBe('deployment.apps/web rolled back\n')
    expect((await cli('rollout', 'status', 'deploy/web', '--timeout', '20s')).code).toBe(0)
    const rss = h.list('apps', 'ReplicaSet', 'default')
    expect(rss).toHaveLength(2)
    const current = rss.find((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === '3')
    expect(current?.metadata.uid).toBe(firstRs?.metadata.uid)
    const pods = h.list('', 'Pod', 'default').filter((p) => p.metadata.deletionTimestamp === undefined)
    expect(pods.map((p) => (p.spec as any).containers[0].image)).toEqual(['busybox:1', 'busybox:1', 'busybox:1'])

    expect((await cli('scale', 'deploy/web', '--replicas', '1')).out).toBe('deployment.apps/web scaled\n')
    expect((await cli('rollout', 'status', 'deploy/web', '--timeout', '20s')).code).toBe(0)
    expect(h.list('', 'Pod', 'default')).toHaveLength(1)
  }, 60_000)
})
