// Builds the kubelet's container runtime for this agent (`--runtime docker|fake`): the only
// place that makes a Docker client (DESIGN.md: concrete I/O objects are built in src/agent).
// dockerode (and its HTTP, SSH and tar dependencies) is loaded only when the docker runtime is
// chosen: ~10 MiB of an agent's RSS that a `--runtime fake` agent never uses.

import { createRequire } from 'node:module'
import type Docker from 'dockerode'
import { DockerRuntime } from '../kubelet/docker-runtime.ts'
import { FakeRuntime } from '../kubelet/fake-runtime.ts'
import { Kubelet } from '../kubelet/kubelet.ts'
import type { ContainerRuntime } from '../kubelet/runtime.ts'
import type { RoleContext } from './roles.ts'

export function containerRuntime (ctx: RoleContext): ContainerRuntime {
  // FakeRuntime runs no containers: only for simulated nodes (scale tests), by explicit choice.
  return ctx.runtime === 'fake' ? new FakeRuntime(() => ctx.backend.now()) : new DockerRuntime(dockerClient(), { nodeName: ctx.nodeName, clusterId: ctx.clusterId })
}

/** A client for the local Docker Engine; dockerode is a CommonJS package, so a require loads it synchronously. */
function dockerClient (): Docker {
  const DockerClient = createRequire(import.meta.url)('dockerode') as typeof Docker
  return new DockerClient()
}

/** The kubelet role of this agent. */
export function kubeletRole (ctx: RoleContext): Kubelet {
  return new Kubelet({
    backend: ctx.backend,
    runtime: containerRuntime(ctx),
    clock: ctx.clock,
    nodeName: ctx.nodeName,
    nodeIp: ctx.nodeIp,
    dataDir: ctx.dataDir,
    log: (line) => { ctx.log(line) }
  })
}
