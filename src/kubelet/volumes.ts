// Pod volumes on the node's disk, under the agent's data dir: DIR/pods/<uid>/volumes/<kind>/<name>.
// emptyDir is a directory that lives as long as the pod; configMap and secret volumes are
// directories of files (one per key, or per `items` entry), rewritten on every sync so a
// changed ConfigMap reaches running containers; hostPath is the host's path itself. Each
// container mount is then a bind of one of these. A missing (non-optional) ConfigMap or Secret
// is the pod's problem: ContainerConfigError, as env references.

import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join, normalize, resolve } from 'node:path'
import type { Container, Volume } from '../objects/pod-spec.ts'
import type { Pod } from '../objects/pod.ts'
import type { ObjectReader } from '../store/types.ts'
import { ContainerConfigError, dataOf } from './container-config.ts'
import type { Mount } from './runtime.ts'

/** Where a pod's files live on the node. */
export function podDir (dataDir: string, uid: string): string {
  return join(resolve(dataDir), 'pods', uid)
}

async function writeIfChanged (path: string, content: string, mode: number): Promise<void> {
  const old = await readFile(path, 'utf8').catch(() => undefined)
  if (old === content) return
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, content, { mode })
}

/** A relative path that stays inside its directory. */
function safeJoin (dir: string, rel: string): string {
  const p = normalize(join(dir, rel))
  if (!p.startsWith(dir + '/')) throw new ContainerConfigError(`volume item path "${rel}" leaves the volume`)
  return p
}

async function projectFiles (reader: ObjectReader, pod: Pod, v: Volume, dir: string): Promise<void> {
  const namespace = pod.metadata.namespace ?? 'default'
  const isSecret = v.secret !== undefined
  const spec = (isSecret ? v.secret : v.configMap) as { name?: string, secretName?: string, items?: Array<{ key: string, path: string }>, optional?: boolean, defaultMode?: number }
  const name = (isSecret ? spec.secretName : spec.name) ?? ''
  const obj = reader.get({ group: '', kind: isSecret ? 'Secret' : 'ConfigMap', namespace, name })
  await mkdir(dir, { recursive: true })
  if (obj === undefined) {
    if (spec.optional === true) return
    throw new ContainerConfigError(`${isSecret ? 'secret' : 'configmap'} "${name}" not found`)
  }
  const data = dataOf(obj, isSecret ? 'secret' : 'configmap')
  const items = spec.items ?? Object.keys(data).map((key) => ({ key, path: key }))
  for (const item of items) {
    const value = data[item.key]
    if (value === undefined) {
      if (spec.optional === true) continue
      throw new ContainerConfigError(`configmap references non-existent config key: ${item.key}`)
    }
    await writeIfChanged(safeJoin(dir, item.path), value, spec.defaultMode ?? 0o644)
  }
}

/** Create or refresh the pod's volumes; resolves to each volume's host path by name. */
export async function prepareVolumes (reader: ObjectReader, pod: Pod, dataDir: string): Promise<Map<string, string>> {
  const uid = pod.metadata.uid ?? ''
  const root = join(podDir(dataDir, uid), 'volumes')
  const paths = new Map<string, string>()
  for (const v of pod.spec.volumes ?? []) {
    if (v.hostPath !== undefined) {
      if (v.hostPath.type === 'DirectoryOrCreate') await mkdir(v.hostPath.path, { recursive: true })
      paths.set(v.name, v.hostPath.path)
    } else if (v.emptyDir !== undefined) {
      const dir = join(root, 'empty-dir', v.name)
      await mkdir(dir, { recursive: true, mode: 0o777 })
      paths.set(v.name, dir)
    } else if (v.configMap !== undefined || v.secret !== undefined) {
      const dir = join(root, v.secret !== undefined ? 'secret' : 'configmap', v.name)
      await projectFiles(reader, pod, v, dir)
      paths.set(v.name, dir)
    }
    // Other volume kinds (persistentVolumeClaim, projected, …) are not supported: mounts of them fail below.
  }
  return paths
}

/** The container's bind mounts. */
export function mountsOf (c: Container, volumes: Map<string, string>): Mount[] {
  return (c.volumeMounts ?? []).map((m) => {
    const host = volumes.get(m.name)
    if (host === undefined) throw new ContainerConfigError(`volume "${m.name}" is not defined in the pod or its kind is not supported (use emptyDir, hostPath, configMap or secret)`)
    return { hostPath: m.subPath !== undefined && m.subPath !== '' ? join(host, m.subPath) : host, containerPath: m.mountPath, readOnly: m.readOnly === true }
  })
}

/** Remove the pod's files (after its containers are gone). */
export async function removePodDir (dataDir: string, uid: string): Promise<void> {
  if (uid === '') return
  await rm(podDir(dataDir, uid), { recursive: true, force: true })
}
