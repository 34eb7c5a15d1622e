// Everyday kubectl commands that read and write objects, run by the real kubectl against a
// 3-agent cluster (fake runtime) through an agent that is not the leader: `get` in every
// output format with label and field selectors; `apply -f` (create, update: the
// last-applied annotation, fields dropped from the file dropped from the object, containers
// merged by name); `create`, `replace`, an edit; `patch` of each type; `label` and `annotate`;
// `delete` by name, file, label and with each cascade; `scale`; and the errors kubectl users
// know (NotFound, AlreadyExists, Invalid). Commands that succeed must print nothing on stderr.
// Skipped, with a warning, without kubectl.

import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { e2eClusters, waitFor } from './cluster-harness.ts'
import { haveKubectl, KUBECTL, ok, type Kubectl, type KubectlRun } from './harness/kubectl.ts'
import { kubectlCluster } from './harness/kubectl-cluster.ts'

const clusters = e2eClusters()
const HAS_KUBECTL = haveKubectl()

let k: Kubectl
let dir: string

/** Writes a manifest into the test's dir; returns its path. */
async function manifest (name: string, text: string): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, text)
  return path
}

function deployment (name: string, containers: string, labels = ''): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels:
    app: ${name}${labels}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
${containers}`
}

function container (name: string, image = 'flotilla/busybox:test', extra = ''): string {
  return `      - name: ${name}
        image: ${image}
        command: ["sleep", "3600"]${extra}
`
}

async function until<T> (what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  return await waitFor(what, probe, { timeoutMs, intervalMs: 300 })
}

async function jsonOf (args: string[]): Promise<any> {
  return JSON.parse(await ok(k, [...args, '-o', 'json']))
}

function expectError (r: KubectlRun, stderr: string | RegExp): void {
  expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(1)
  if (typeof stderr === 'string') expect(r.stderr).toBe(stderr)
  else expect(r.stderr).toMatch(stderr)
}

describe('kubectl writes through a follower of a 3-agent cluster', () => {
  beforeAll(async () => {
    if (!HAS_KUBECTL) return
    const kc = await kubectlCluster(clusters, 'kubectl-write')
    k = kc.k
    dir = join(kc.c.root, 'manifests')
    await mkdir(dir, { recursive: true })
  }, 120_000)

  it('get: -o yaml, json, name and jsonpath; -l; --field-selector metadata.name, status.phase, spec.nodeName; --show-labels', async () => {
    if (!HAS_KUBECTL) {
      console.warn(`kubectl-write: ${KUBECTL} is missing, so this test did not run kubectl (install kubectl v1.32 to run it)`)
      return
    }
    const pod = (name: string, tier: string): string => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels:
    tier: ${tier}
spec:
  containers:
  - name: app
    image: flotilla/busybox:test
    command: ["sleep", "3600"]
`
    expect(await ok(k, ['apply', '-f', '-'], { stdin: `${pod('p-front', 'front')}---\n${pod('p-back', 'back')}` })).toBe('pod/p-front created\npod/p-back created\n')

    const yaml = await ok(k, ['get', 'pod', 'p-front', '-o', 'yaml'])
    expect(yaml).toMatch(/^apiVersion: v1\n/)
    expect(yaml).toMatch(/^kind: Pod$/m)
    expect(yaml).toMatch(/^ {2}name: p-front$/m)
    expect(yaml).toMatch(/^ {4}tier: front$/m)
    const one = await jsonOf(['get', 'pod', 'p-front'])
    expect(one).toMatchObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p-front', namespace: 'default', labels: { tier: 'front' } } })
    const list = await jsonOf(['get', 'pods'])
    expect(list.kind).toBe('List')
    expect(list.items.map((p: any) => p.metadata.name).sort()).toEqual(['p-back', 'p-front'])

    expect(await ok(k, ['get', 'pods', '-l', 'tier=front', '-o', 'name'])).toBe('pod/p-front\n')
    expect(await ok(k, ['get', 'pods', '-l', 'tier!=front', '-o', 'name'])).toBe('pod/p-back\n')
    expect(await ok(k, ['get', 'pods', '-l', 'tier in (front,back)', '-o', 'jsonpath={.items[*].metadata.name}'])).toBe('p-back p-front')
    expect(await ok(k, ['get', 'pod', 'p-front', '-o', 'jsonpath={.metadata.labels.tier}'])).toBe('front')
    expect(await ok(k, ['get', 'pods', '--field-selector', 'metadata.name=p-back', '-o', 'name'])).toBe('pod/p-back\n')

    // The scheduler binds them and the (fake) kubelets run them.
    await until('both pods Running', async () => {
      const out = (await k(['get', 'pods', '--field-selector', 'status.phase=Running', '-o', 'name'])).stdout
      return out === 'pod/p-back\npod/p-front\n' ? out : undefined
    })
    const none = await k(['get', 'pods', '--field-selector', 'status.phase=Pending'])
    expect(none).toEqual({ code: 0, stdout: '', stderr: 'No resources found in default namespace.\n' })
    const node = await ok(k, ['get', 'pod', 'p-front', '-o', 'jsonpath={.spec.nodeName}'])
    expect(['a', 'b', 'c']).toContain(node)
    expect(await ok(k, ['get', 'pods', '--field-selector', `spec.nodeName=${node}`, '-o', 'name'])).toContain('pod/p-front\n')
    expect(await ok(k, ['get', 'pods', '--field-selector', `spec.nodeName=${node},metadata.name!=p-front`, '-o', 'name'])).not.toContain('p-front')

    // A field Kubernetes does not let pods be selected by: refused, as kube-apiserver does.
    expectError(await k(['get', 'pods', '--field-selector', 'spec.bogus=1']),
      'Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label selector "", field selector "spec.bogus=1": field label not supported: spec.bogus\n')

    const labelled = await ok(k, ['get', 'pods', '--show-labels'])
    expect(labelled.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+LABELS$/)
    expect(labelled).toMatch(/^p-front\s+1\/1\s+Running\s+0\s+\S+\s+tier=front$/m)
  }, 90_000)

  it('apply -f: creates, records last-applied, drops what the file dropped, merges containers by name', async () => {
    if (!HAS_KUBECTL) return
    const v1 = await manifest('web-v1.yaml', deployment('web', container('app', 'flotilla/busybox:test', '\n        env:\n        - name: MODE\n          value: "one"') + container('side'), '\n    team: blue'))
    expect(await ok(k, ['apply', '-f', v1])).toBe('deployment.apps/web created\n')
    const lastApplied = JSON.parse(await ok(k, ['get', 'deploy', 'web', '-o', 'jsonpath={.metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}']))
    expect(lastApplied).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { app: 'web', team: 'blue' } } })
    expect(lastApplied.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['app', 'side'])
    expect(await ok(k, ['apply', '-f', v1])).toBe('deployment.apps/web unchanged\n')

    // A change made outside the file, to the container named side: apply must keep it.
    expect(await ok(k, ['patch', 'deploy', 'web', '--type', 'strategic', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"side","workingDir":"/tmp"}]}}}}'])).toBe('deployment.apps/web patched\n')
    const v2 = await manifest('web-v2.yaml', deployment('web', container('app', 'flotilla/busybox:test', '\n        env:\n        - name: MODE\n          value: "two"') + container('side', 'flotilla/busybox:v2')))
    expect(await ok(k, ['apply', '-f', v2])).toBe('deployment.apps/web configured\n')
    let live = await jsonOf(['get', 'deploy', 'web'])
    expect(live.metadata.labels).toEqual({ app: 'web' })
    const containers = live.spec.template.spec.containers
    expect(containers.map((c: any) => c.name)).toEqual(['app', 'side'])
    expect(containers[0].env).toEqual([{ name: 'MODE', value: 'two' }])
    expect(containers[1]).toMatchObject({ name: 'side', image: 'flotilla/busybox:v2', workingDir: '/tmp' })

    // The file drops the side container: so does the object.
    const v3 = await manifest('web-v3.yaml', deployment('web', container('app', 'flotilla/busybox:test', '\n        env:\n        - name: MODE\n          value: "two"')))
    expect(await ok(k, ['apply', '-f', v3])).toBe('deployment.apps/web configured\n')
    live = await jsonOf(['get', 'deploy', 'web'])
    expect(live.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['app'])
    expect(JSON.parse(live.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).spec.template.spec.containers).toHaveLength(1)
  }, 60_000)

  it('create -f, create configmap and deployment, replace -f, replace from stdin, edit', async () => {
    if (!HAS_KUBECTL) return
    const cm = await manifest('plain.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  k: one\n')
    expect(await ok(k, ['create', '-f', cm])).toBe('configmap/plain created\n')
    expectError(await k(['create', '-f', cm]), `Error from server (AlreadyExists): error when creating "${cm}": configmaps "plain" already exists\n`)

    expect(await ok(k, ['create', 'configmap', 'settings', '--from-literal=a=1', '--from-literal=b=2'])).toBe('configmap/settings created\n')
    expect(await jsonOf(['get', 'cm', 'settings'])).toMatchObject({ data: { a: '1', b: '2' } })
    expectError(await k(['create', 'configmap', 'settings', '--from-literal=a=1']), 'error: failed to create configmap: configmaps "settings" already exists\n')
    expect(await ok(k, ['create', 'deployment', 'hello', '--image=flotilla/busybox:test', '--replicas=2', '--', 'sleep', '3600'])).toBe('deployment.apps/hello created\n')
    const hello = await jsonOf(['get', 'deploy', 'hello'])
    expect(hello.spec).toMatchObject({ replicas: 2, selector: { matchLabels: { app: 'hello' } } })
    expect(hello.spec.template.spec.containers[0]).toMatchObject({ image: 'flotilla/busybox:test', command: ['sleep', '3600'] })

    const replaced = await manifest('plain-2.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  k: two\n')
    expect(await ok(k, ['replace', '-f', replaced])).toBe('configmap/plain replaced\n')
    expect(await ok(k, ['get', 'cm', 'plain', '-o', 'jsonpath={.data.k}'])).toBe('two')
    // get -o json | change | replace -f -: a PUT with the resourceVersion read.
    const current = await jsonOf(['get', 'cm', 'plain'])
    current.data.k = 'three'
    expect(await ok(k, ['replace', '-f', '-'], { stdin: JSON.stringify(current) })).toBe('configmap/plain replaced\n')
    expect(await ok(k, ['get', 'cm', 'plain', '-o', 'jsonpath={.data.k}'])).toBe('three')
    // The same stale object again: a Conflict.
    const stale = await k(['replace', '-f', '-'], { stdin: JSON.stringify(current) })
    expectError(stale, /^Error from server \(Conflict\): error when replacing "STDIN": Operation cannot be fulfilled on configmaps "plain": the object has been modified; please apply your changes to the latest version and try again\n$/)

    // kubectl edit, with an "editor" that changes the value in the file kubectl hands it.
    const editor = await manifest('editor.sh', '#!/bin/sh\nsed -i "s/k: three/k: edited/" "$1"\n')
    await chmod(editor, 0o755)
    expect(await ok(k, ['edit', 'cm', 'plain'], { env: { EDITOR: editor, KUBE_EDITOR: editor } })).toBe('configmap/plain edited\n')
    expect(await ok(k, ['get', 'cm', 'plain', '-o', 'jsonpath={.data.k}'])).toBe('edited')
  }, 60_000)

  it('patch --type merge, json and strategic; label and annotate: add, overwrite, remove', async () => {
    if (!HAS_KUBECTL) return
    await ok(k, ['create', 'deployment', 'patchy', '--image=flotilla/busybox:test', '--', 'sleep', '3600'])
    expect(await ok(k, ['patch', 'deploy', 'patchy', '--type', 'merge', '-p', '{"spec":{"replicas":3}}'])).toBe('deployment.apps/patchy patched\n')
    expect(await ok(k, ['get', 'deploy', 'patchy', '-o', 'jsonpath={.spec.replicas}'])).toBe('3')
    expect(await ok(k, ['patch', 'deploy', 'patchy', '--type', 'json', '-p', '[{"op":"replace","path":"/spec/replicas","value":2},{"op":"add","path":"/metadata/labels/extra","value":"yes"}]'])).toBe('deployment.apps/patchy patched\n')
    expect(await jsonOf(['get', 'deploy', 'patchy'])).toMatchObject({ spec: { replicas: 2 }, metadata: { labels: { app: 'patchy', extra: 'yes' } } })
    // Strategic merge: the container list merges by name; a merge patch would replace the list.
    expect(await ok(k, ['patch', 'deploy', 'patchy', '--type', 'strategic', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"busybox","image":"flotilla/busybox:v2"}]}}}}'])).toBe('deployment.apps/patchy patched\n')
    const c = (await jsonOf(['get', 'deploy', 'patchy'])).spec.template.spec.containers
    expect(c).toHaveLength(1)
    expect(c[0]).toMatchObject({ name: 'busybox', image: 'flotilla/busybox:v2', command: ['sleep', '3600'] })
    expect(await ok(k, ['patch', 'deploy', 'patchy', '-p', '{"spec":{"replicas":2}}'])).toBe('deployment.apps/patchy patched (no change)\n')
    expectError(await k(['patch', 'deploy', 'patchy', '--type', 'json', '-p', '[{"op":"test","path":"/spec/replicas","value":9}]']), /^The request is invalid: .*test of \/spec\/replicas failed\n$/)

    await ok(k, ['create', 'configmap', 'tagged', '--from-literal=a=1'])
    expect(await ok(k, ['label', 'cm', 'tagged', 'tier=front'])).toBe('configmap/tagged labeled\n')
    expectError(await k(['label', 'cm', 'tagged', 'tier=back']), "error: 'tier' already has a value (front), and --overwrite is false\n")
    expect(await ok(k, ['label', 'cm', 'tagged', 'tier=back', '--overwrite'])).toBe('configmap/tagged labeled\n')
    expect(await ok(k, ['get', 'cm', '-l', 'tier=back', '-o', 'name'])).toBe('configmap/tagged\n')
    expect(await ok(k, ['label', 'cm', 'tagged', 'tier-'])).toBe('configmap/tagged unlabeled\n')
    expect(await ok(k, ['annotate', 'cm', 'tagged', 'note=hello'])).toBe('configmap/tagged annotated\n')
    expectError(await k(['annotate', 'cm', 'tagged', 'note=again']), "error: --overwrite is false but found the following declared annotation(s): 'note' already has a value (hello)\n")
    expect(await ok(k, ['annotate', 'cm', 'tagged', 'note=again', '--overwrite'])).toBe('configmap/tagged annotated\n')
    expect(await ok(k, ['get', 'cm', 'tagged', '-o', 'jsonpath={.metadata.annotations.note}'])).toBe('again')
    expect(await ok(k, ['annotate', 'cm', 'tagged', 'note-'])).toBe('configmap/tagged annotated\n')
    // Nothing left of either map: no `labels: {}` or `annotations: {}` in the object.
    const meta = (await jsonOf(['get', 'cm', 'tagged'])).metadata
    expect(meta).not.toHaveProperty('labels')
    expect(meta).not.toHaveProperty('annotations')
  }, 60_000)

  it('scale deploy/x --replicas=N; scale of a missing Deployment fails', async () => {
    if (!HAS_KUBECTL) return
    await ok(k, ['create', 'deployment', 'scaled', '--image=flotilla/busybox:test', '--', 'sleep', '3600'])
    expect(await ok(k, ['scale', 'deploy/scaled', '--replicas=3'])).toBe('deployment.apps/scaled scaled\n')
    await until('3 ready replicas', async () => {
      const out = await ok(k, ['get', 'deploy', 'scaled', '-o', 'jsonpath={.status.readyReplicas}'])
      return out === '3' ? out : undefined
    })
    expect((await ok(k, ['get', 'pods', '-l', 'app=scaled', '-o', 'name'])).trim().split('\n')).toHaveLength(3)
    expect(await ok(k, ['scale', 'deploy', 'scaled', '--replicas=1', '--current-replicas=3'])).toBe('deployment.apps/scaled scaled\n')
    expectError(await k(['scale', 'deploy', 'scaled', '--replicas=2', '--current-replicas=3']), /^error: Expected replicas to be 3, was 1\n$/)
    // The API answers the missing object with Kubernetes' NotFound (kubectl 1.32 itself then
    // prints "no objects passed to scale" for it: kubernetes/kubectl#1666, newer kubectl prints
    // the NotFound), and the scale subresource of a missing object likewise.
    expectError(await k(['scale', 'deploy', 'nope', '--replicas=1']), /^error: no objects passed to scale(?:\n| deployments\.apps "nope" not found\n)$|^Error from server \(NotFound\): deployments\.apps "nope" not found\n$/)
    expectError(await k(['get', '--raw', '/apis/apps/v1/namespaces/default/deployments/nope/scale']), 'Error from server (NotFound): deployments.apps "nope" not found\n')
    expectError(await k(['get', 'deploy', 'nope']), 'Error from server (NotFound): deployments.apps "nope" not found\n')
  }, 60_000)

  it('get all and short names; the status subresource: spec and status are written separately', async () => {
    if (!HAS_KUBECTL) return
    await ok(k, ['create', 'deployment', 'stat', '--image=flotilla/busybox:test', '--', 'sleep', '3600'])
    await ok(k, ['expose', 'deployment', 'stat', '--port=80'])
    await until('deploy/stat ready', async () => (await ok(k, ['get', 'deploy', 'stat', '-o', 'jsonpath={.status.readyReplicas}'])) === '1' ? true : undefined)
    // The category `all`: pods, services, deployments and replicasets, each under its header.
    const all = await ok(k, ['get', 'all', '-l', 'app=stat'])
    expect(all).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\npod\/stat-[a-z0-9]+-[a-z0-9]+\s+1\/1\s+Running\s/m)
    expect(all).toMatch(/^deployment\.apps\/stat\s+1\/1\s+1\s+1\s/m)
    expect(all).toMatch(/^replicaset\.apps\/stat-[a-z0-9]+\s+1\s+1\s+1\s/m)
    expect(await ok(k, ['get', 'svc,ep', '-o', 'name', '--field-selector', 'metadata.name=stat'])).toBe('service/stat\nendpoints/stat\n')
    for (const short of ['po', 'deploy', 'rs', 'svc', 'ep', 'cm', 'ns', 'no', 'ev']) expect((await k(['get', short, '-A'])).code, short).toBe(0)

    // A status change sent to the object itself is dropped; sent to /status it is kept, and a
    // spec change sent to /status is dropped.
    expect(await ok(k, ['patch', 'deploy', 'stat', '--type=merge', '-p', '{"status":{"observedGeneration":99}}'])).toBe('deployment.apps/stat patched (no change)\n')
    expect(await ok(k, ['patch', 'deploy', 'stat', '--subresource=status', '--type=merge', '-p', '{"status":{"conditions":[{"type":"Custom","status":"True","reason":"ByHand"}]},"spec":{"replicas":5}}'])).toBe('deployment.apps/stat patched\n')
    const after = await jsonOf(['get', 'deploy', 'stat'])
    expect(after.spec.replicas).toBe(1)
    expect(after.status.conditions.map((c: { type: string }) => c.type)).toContain('Custom')
    expect(await ok(k, ['get', 'deploy', 'stat', '--subresource=status', '-o', 'jsonpath={.status.readyReplicas}'])).toBe('1')
  }, 60_000)

  it('delete by name, -f, -l, and --cascade=orphan|foreground|background of a Deployment', async () => {
    if (!HAS_KUBECTL) return
    const cm = await manifest('gone.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gone\ndata:\n  k: v\n')
    await ok(k, ['create', '-f', cm])
    expect(await ok(k, ['delete', '-f', cm])).toBe('configmap "gone" deleted\n')
    await ok(k, ['create', 'configmap', 'byname'])
    expect(await ok(k, ['delete', 'cm', 'byname'])).toBe('configmap "byname" deleted\n')
    for (const name of ['grp-1', 'grp-2']) await ok(k, ['create', 'configmap', name])
    for (const name of ['grp-1', 'grp-2']) await ok(k, ['label', 'cm', name, 'group=x'])
    expect(await ok(k, ['delete', 'cm', '-l', 'group=x'])).toBe('configmap "grp-1" deleted\nconfigmap "grp-2" deleted\n')
    expectError(await k(['delete', 'cm', 'byname']), 'Error from server (NotFound): configmaps "byname" not found\n')

    const replicaSetOf = async (app: string): Promise<any | undefined> => {
      const list = await jsonOf(['get', 'rs', '-l', `app=${app}`])
      return list.items[0]
    }
    const withReplicaSet = async (app: string): Promise<any> => {
      await ok(k, ['create', 'deployment', app, '--image=flotilla/busybox:test', '--', 'sleep', '3600'])
      return await until(`the ReplicaSet of ${app} and its pod`, async () => {
        const rs = await replicaSetOf(app)
        const pods = (await jsonOf(['get', 'pods', '-l', `app=${app}`])).items
        return rs !== undefined && pods.length === 1 ? rs : undefined
      })
    }

    // Orphan: the Deployment goes, its ReplicaSet and pod stay, no longer owned.
    const orphanRs = await withReplicaSet('orphan')
    expect(await ok(k, ['delete', 'deploy', 'orphan', '--cascade=orphan'])).toBe('deployment.apps "orphan" deleted\n')
    await until('the orphaned ReplicaSet without its owner', async () => {
      const gone = (await k(['get', 'deploy', 'orphan'])).code === 1
      const rs = await replicaSetOf('orphan')
      return gone && rs?.metadata.uid === orphanRs.metadata.uid && (rs.metadata.ownerReferences ?? []).length === 0 ? true : undefined
    })
    expect((await jsonOf(['get', 'pods', '-l', 'app=orphan'])).items).toHaveLength(1)

    // Foreground and background: the ReplicaSet and its pods go too.
    for (const cascade of ['foreground', 'background']) {
      const app = `cascade-${cascade}`
      await withReplicaSet(app)
      expect(await ok(k, ['delete', 'deploy', app, `--cascade=${cascade}`])).toBe(`deployment.apps "${app}" deleted\n`)
      await until(`${app}: Deployment, ReplicaSet and pods gone`, async () => {
        const deploy = await k(['get', 'deploy', app])
        const rs = await replicaSetOf(app)
        const pods = (await jsonOf(['get', 'pods', '-l', `app=${app}`])).items
        return deploy.code === 1 && rs === undefined && pods.length === 0 ? true : undefined
      })
    }
  }, 90_000)

  it('errors: NotFound, AlreadyExists and Invalid as kubectl prints them', async () => {
    if (!HAS_KUBECTL) return
    expectError(await k(['get', 'pod', 'nope']), 'Error from server (NotFound): pods "nope" not found\n')
    expectError(await k(['describe', 'pod', 'nope']), 'Error from server (NotFound): pods "nope" not found\n')
    // kubectl looks the namespace up when an object in another namespace is not found.
    expectError(await k(['get', 'pods', '-n', 'no-such-ns', 'nope']), 'Error from server (NotFound): namespaces "no-such-ns" not found\n')
    const dup = await manifest('dup.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup\n')
    await ok(k, ['create', '-f', dup])
    expectError(await k(['create', '-f', dup]), `Error from server (AlreadyExists): error when creating "${dup}": configmaps "dup" already exists\n`)
    const bad = await manifest('bad.yaml', deployment('Bad_Name', '      - name: app\n').replace('replicas: 1', 'replicas: -1'))
    const invalid = await k(['apply', '-f', bad])
    expect(invalid.code).toBe(1)
    expect(invalid.stderr).toMatch(/^The Deployment "Bad_Name" is invalid: \n/)
    expect(invalid.stderr).toContain('* metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters')
    expect(invalid.stderr).toContain('* spec.replicas: Invalid value: -1: must be greater than or equal to 0')
    expect(invalid.stderr).toContain('* spec.template.spec.containers[0].image: Required value')
    expectError(await k(['create', '-f', bad]), /^The Deployment "Bad_Name" is invalid: \n/)
  }, 60_000)
})
