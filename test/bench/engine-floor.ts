// The Docker Engine's own floor for the workloads suite: how long the engine takes to start N
// containers when asked directly through its API (dockerode, a few requests in flight, no
// orchestrator), in the two shapes the suite compares. "containers": one container per
// replica on the default bridge, as Swarm runs them. "pods": per replica, a pause sandbox on
// the bridge and the app container joined to its network namespace, as Flotilla's kubelet
// runs them (the issue asks for a sandbox per pod). Each orchestrator's time above the floor
// of its own shape is what it adds; the floors themselves show what the shape costs.

import Docker from 'dockerode'
import { Readable } from 'node:stream'
import { SANDBOX_IMAGE, sandboxImageContent } from '../../src/kubelet/sandbox-image.ts'
import { removeContainers } from './docker.ts'

export type FloorShape = 'containers' | 'pods'

/** Requests in flight at once: the engine's throughput stops growing past 8 here. */
const IN_FLIGHT = 8
const LABEL = 'io.flotilla.bench-floor'

/** Seconds from the first create to the last container started, all of them run by the engine. */
export async function engineFloor (shape: FloorShape, replicas: number, image: string, command: readonly string[], runId: string): Promise<number> {
  const docker = new Docker()
  if (shape === 'pods') await ensureSandboxImage(docker)
  const labels = { [LABEL]: runId }
  const start = async (): Promise<void> => {
    if (shape === 'containers') {
      const c = await docker.createContainer({ Image: image, Cmd: [...command], Labels: labels, HostConfig: { NetworkMode: 'bridge' } })
      await c.start()
      return
    }
    const sandbox = await docker.createContainer({ Image: SANDBOX_IMAGE, Cmd: sandboxImageContent().cmd, Labels: labels, HostConfig: { NetworkMode: 'bridge', IpcMode: 'shareable' } })
    await sandbox.start()
    const app = await docker.createContainer({ Image: image, Cmd: [...command], Labels: labels, HostConfig: { NetworkMode: `container:${sandbox.id}`, IpcMode: `container:${sandbox.id}` } })
    await app.start()
  }
  const t0 = performance.now()
  try {
    let next = 0
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (next < replicas) {
        next++
        await start()
      }
    }))
    return (performance.now() - t0) / 1000
  } finally {
    await removeContainers([`${LABEL}=${runId}`])
  }
}

/** The pause image as the kubelet imports it (the kubelet does the same on its first pod). */
async function ensureSandboxImage (docker: Docker): Promise<void> {
  try {
    await docker.getImage(SANDBOX_IMAGE).inspect()
    return
  } catch { /* not there yet: import it */ }
  const [repo, tag] = SANDBOX_IMAGE.split(':') as [string, string]
  const stream = await docker.importImage(Readable.from([sandboxImageContent().tar]), { repo, tag })
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null) => { if (err === null) resolve(); else reject(err) })
  })
}
