// The real kubectl against one real agent (fake runtime): server-side apply (create, an
// update that drops a field, conflicts with `kubectl scale` and with another field manager,
// --force-conflicts, managedFields as `--show-managed-fields` prints them), `kubectl explain`
// from the published OpenAPI v3 schemas, and the example manifests applied client-side (with
// kubectl's default strict field validation, which the server now performs) and server-side.
// Skipped, with a warning, without kubectl.

import { writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { expect, test } from 'vitest'
import { e2eClusters, waitFor } from './cluster-harness.ts'
import { haveKubectl, KUBECTL, kubectl, type KubectlRun } from './harness/kubectl.ts'

const clusters = e2eClusters()
const MANIFESTS = resolve(import.meta.dirname, '../../examples/manifests')

function deployment (replicas: number, labels: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: demo
  labels: {${labels}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: app
        image: flotilla/busybox:test
        command: [sleep, "3600"]
        ports: [{containerPort: 8080}]
`
}

test('kubectl apply --server-side, conflicts, --force-conflicts, explain, and the example manifests', async () => {
  if (!haveKubectl()) {
    console.warn(`kubectl-ssa-explain: ${KUBECTL} is missing, so this test did not run kubectl (install kubectl v1.32 to run it)`)
    return
  }
  const c = await clusters.create('kubectl-ssa')
  const a = await c.startFirst('a')
  const kubeconfig = join(a.dataDir, 'kubeconfig')
  const cacheDir = join(c.root, 'kube-cache')
  const run = async (...args: string[]): Promise<KubectlRun> => await kubectl(kubeconfig, cacheDir, args)
  const ok = async (...args: string[]): Promise<KubectlRun> => {
    const r = await run(...args)
    expect(r.stderr, `kubectl ${args.join(' ')}`).toBe('')
    expect(r.code, `kubectl ${args.join(' ')}`).toBe(0)
    return r
  }
  const file = async (name: string, text: string): Promise<string> => {
    const path = join(c.root, name)
    await writeFile(path, text)
    return path
  }

  let last: KubectlRun | undefined
  await waitFor('kubectl get ns to list default', async () => {
    last = await run('get', 'ns')
    return last.code === 0 && /^default\s/m.test(last.stdout) ? last : undefined
  }, { timeoutMs: 30_000, intervalMs: 500, lastSeen: () => last })
  await ok('create', 'namespace', 'demo')

  // Create through server-side apply; the manager and its fields show with --show-managed-fields.
  const v1 = await file('api-v1.yaml', deployment(2, 'app: api, tier: backend'))
  expect((await ok('apply', '--server-side', '-f', v1)).stdout).toBe('deployment.apps/api serverside-applied\n')
  const yaml = (await ok('get', '-n', 'demo', 'deploy', 'api', '-o', 'yaml', '--show-managed-fields')).stdout
  expect(yaml).toMatch(/manager: kubectl\n\s+operation: Apply/)
  expect(yaml).toContain('fieldsType: FieldsV1')
  expect(yaml).toMatch(/f:spec:\n\s+f:replicas: \{\}\n\s+f:selector: \{\}/)
  expect(yaml).toMatch(/k:\{"name":"app"\}:\n\s+\.: \{\}\n\s+f:command: \{\}/)
  expect(yaml).toContain('k:{"containerPort":8080,"protocol":"TCP"}:')
  // Without the flag kubectl hides them, as it does with Kubernetes.
  expect((await ok('get', '-n', 'demo', 'deploy', 'api', '-o', 'yaml')).stdout).not.toContain('managedFields')

  // Someone else labels the Deployment; the next apply drops `tier` (the applier's) and keeps `owner`.
  await ok('label', '-n', 'demo', 'deploy', 'api', 'owner=ops')
  const v2 = await file('api-v2.yaml', deployment(2, 'app: api'))
  expect((await ok('apply', '--server-side', '-f', v2)).stdout).toBe('deployment.apps/api serverside-applied\n')
  const labels = JSON.parse((await ok('get', '-n', 'demo', 'deploy', 'api', '-o', 'jsonpath={.metadata.labels}')).stdout) as Record<string, string>
  expect(labels).toEqual({ app: 'api', owner: 'ops' })

  // kubectl scale now owns spec.replicas: an apply that changes it is a conflict.
  expect((await ok('scale', '-n', 'demo', 'deploy', 'api', '--replicas=4')).stdout).toContain('scaled')
  const v3 = await file('api-v3.yaml', deployment(3, 'app: api'))
  const refused = await run('apply', '--server-side', '-f', v3)
  expect(refused.code).not.toBe(0)
  // The scaler's manager is kubectl's User-Agent up to its first "/": "kubectl".
  expect(refused.stderr).toMatch(/Apply failed with 1 conflict: conflict with "kubectl[^"]*" with subresource "scale" using apps\/v1: \.spec\.replicas/)
  expect(refused.stderr).toContain('--force-conflicts')
  expect((await ok('get', '-n', 'demo', 'deploy', 'api', '-o', 'jsonpath={.spec.replicas}')).stdout).toBe('4')

  // Another applier that changes fields kubectl applied conflicts too.
  // (replicas 4 equals the live value: shared, not a conflict; the label is kubectl's.)
  const otherFile = await file('api-other.yaml', deployment(4, 'app: mine'))
  const other = await run('apply', '--server-side', '--field-manager=other', '-f', otherFile)
  expect(other.code).not.toBe(0)
  expect(other.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl": .metadata.labels.app')

  // --force-conflicts takes spec.replicas over.
  expect((await ok('apply', '--server-side', '--force-conflicts', '-f', v3)).stdout).toBe('deployment.apps/api serverside-applied\n')
  const after = JSON.parse((await ok('get', '-n', 'demo', 'deploy', 'api', '-o', 'json', '--show-managed-fields')).stdout) as {
    spec: { replicas: number }
    metadata: { managedFields: Array<{ manager: string, operation: string, subresource?: string, fieldsV1: Record<string, any> }> }
  }
  expect(after.spec.replicas).toBe(3)
  const scaleEntry = after.metadata.managedFields.find(e => e.subresource === 'scale')
  expect(scaleEntry?.fieldsV1['f:spec']?.['f:replicas']).toBeUndefined()
  expect(after.metadata.managedFields.find(e => e.operation === 'Apply')?.fieldsV1['f:spec']['f:replicas']).toEqual({})

  // kubectl explain reads the OpenAPI v3 schemas.
  const pods = (await ok('explain', 'pods')).stdout
  expect(pods).toMatch(/^KIND:\s+Pod\nVERSION:\s+v1\n/)
  expect(pods).toMatch(/^\s+spec\s+<PodSpec>$/m)
  expect(pods).toMatch(/^\s+status\s+<PodStatus>$/m)
  const replicas = (await ok('explain', 'deployment.spec.replicas')).stdout
  expect(replicas).toMatch(/^GROUP:\s+apps\nKIND:\s+Deployment\nVERSION:\s+v1\n/)
  expect(replicas).toMatch(/FIELD: replicas <integer>/)
  expect(replicas).toContain('How many pods the deployment should run')
  const svc = (await ok('explain', 'svc.spec', '--recursive')).stdout
  expect(svc).toMatch(/FIELD: spec <ServiceSpec>/)
  expect(svc).toMatch(/^\s+ports\s+<\[\]ServicePort>$/m)
  expect(svc).toMatch(/^\s+port\s+<integer> -required-$/m)
  expect(svc).toMatch(/^\s+targetPort\s+<IntOrString>$/m)
  expect(svc).toMatch(/^\s+type\s+<string>\n\s+enum: ClusterIP, ExternalName, LoadBalancer, NodePort$/m)
  const unknownPath = await run('explain', 'pods.spec.nope')
  expect(unknownPath.code).not.toBe(0)

  // The example manifests: client-side apply with strict validation, server-side apply over
  // the same objects, then (after deleting them: the Service's node port is taken) server-side
  // apply creating them.
  const clientSide = await ok('apply', '--validate=strict', '-f', MANIFESTS)
  expect(clientSide.stdout).toContain('deployment.apps/web created')
  const over = await ok('apply', '--server-side', '-f', MANIFESTS)
  expect(over.stdout).toContain('deployment.apps/web serverside-applied')
  await ok('delete', '-f', MANIFESTS, '--wait=false')
  await waitFor('the example objects to be gone', async () => {
    last = await run('get', 'deploy,svc,cm', '-o', 'name')
    return last.code === 0 && !/\/web/.test(last.stdout) ? last : undefined
  }, { timeoutMs: 30_000, intervalMs: 500, lastSeen: () => last })
  const serverSide = await ok('apply', '--server-side', '-f', MANIFESTS)
  expect(serverSide.stdout).toBe('configmap/web-config serverside-applied\ndeployment.apps/web serverside-applied\nservice/web serverside-applied\n')
  expect((await ok('get', 'cm', 'web-config', '-o', 'jsonpath={.data.GREETING}')).stdout).toBe('Hello from Flotilla')
  expect((await ok('get', 'svc', 'web', '-o', 'jsonpath={.spec.ports[0].nodePort}')).stdout).toBe('30080')
  // Applying the same again changes nothing: the Deployment keeps its generation.
  await ok('apply', '--server-side', '-f', join(MANIFESTS, 'web.yaml'))
  expect((await ok('get', 'deploy', 'web', '-o', 'jsonpath={.metadata.generation}')).stdout).toBe('1')

  // An unknown field is reported clearly, by both forms of apply.
  const bad = await file('bad.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndata:\n  a: "1"\nbogus: 1\n')
  const strict = await run('apply', '--validate=strict', '-f', bad)
  expect(strict.code).not.toBe(0)
  expect(strict.stderr).toContain('strict decoding error: unknown field "bogus"')
  const strictSsa = await run('apply', '--server-side', '-f', bad)
  expect(strictSsa.code).not.toBe(0)
  expect(strictSsa.stderr).toContain('unknown field "bogus"')
  const warned = await run('apply', '--validate=warn', '-f', bad)
  expect(warned.code).toBe(0)
  expect(warned.stderr).toContain('Warning: unknown field "bogus"')
}, 180_000)
