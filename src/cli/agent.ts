// `flotilla agent`: run one agent in the foreground until SIGTERM or SIGINT. Parses flags and
// prints; the agent itself lives in src/agent.

import { isIPv4 } from 'node:net'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { Agent, type AgentOptions } from '../agent/agent.ts'
import { STOP_WITH_PARENT_ENV } from '../agent/agent-launch.ts'
import { startIdleCollector } from '../agent/idle-gc.ts'
import type { NodeLifecycleOptions } from '../controllers/node-lifecycle.ts'
import { parseCidr } from '../store/service-allocation.ts'
import { HELP_FLAG, formatHelp, parseArgs, type FlagSpec } from './args.ts'
import { durationFlag } from './duration.ts'
import { CliError, UsageError } from './errors.ts'
import type { ResolvedIO } from './io.ts'

const FLAGS: FlagSpec[] = [
  { name: 'data-dir', type: 'string', valueName: 'DIR', description: 'where the agent keeps its log, state and keys (default: ~/.flotilla)' },
  { name: 'name', type: 'string', valueName: 'NAME', description: 'agent and Node name (default: the hostname)' },
  { name: 'node-ip', type: 'string', valueName: 'IP', description: 'the node\'s address: its InternalIP, where its API, p2p port and NodePorts listen (default: 127.0.0.1)' },
  { name: 'host', type: 'string', valueName: 'IP', description: 'the same as --node-ip (older name)' },
  { name: 'service-cidr', type: 'string', valueName: 'CIDR', description: 'IPv4 range for Services\' cluster IPs, fixed when the cluster is created (default: a /20 of 10.96.0.0/12 picked by the cluster id)' },
  { name: 'api-port', type: 'string', valueName: 'PORT', description: 'Kubernetes API port (default: 6443; 0 picks a free port)' },
  { name: 'ingress-port', type: 'string', valueName: 'PORT', description: 'serve Ingresses (class flotilla) over HTTP on the node address at this port, e.g. 80 or 8080 (default: off; 0 picks a free port)' },
  { name: 'p2p-port', type: 'string', valueName: 'PORT', description: 'peer-to-peer port (default: 7946; 0 picks a free port)' },
  { name: 'join', type: 'string', valueName: 'ADDR', description: 'host:port (or multiaddr) of any member\'s p2p port, to join its cluster' },
  { name: 'token', type: 'string', valueName: 'TOKEN', description: 'the join token (DIR/join-token of a member); needed with --join' },
  { name: 'mdns', type: 'boolean', description: 'discover peers of this cluster on the local network' },
  { name: 'runtime', type: 'string', valueName: 'docker|fake', description: 'container runtime for this node\'s pods (default: docker)' },
  { name: 'node-grace-period', type: 'string', valueName: 'DURATION', description: 'while leading: a node whose agent is silent this long turns NotReady (Ready=Unknown) and is tainted unreachable (default: 4s)' },
  { name: 'pod-eviction-timeout', type: 'string', valueName: 'DURATION', description: 'while leading: pods on such a node are evicted this long after, unless their tolerationSeconds say otherwise (default: 3s)' },
  HELP_FLAG
]

export const help = formatHelp({
  summary: 'Run an agent. The first one (no --join) creates a cluster and prints the command that joins more.',
  usage: ['flotilla agent [--data-dir DIR] [--name N] [--api-port P] [--p2p-port P] [--join ADDR --token T]'],
  examples: [
    'flotilla agent --data-dir ./a --name a',
    'flotilla agent --data-dir ./b --name b --api-port 6444 --p2p-port 7947 --join 127.0.0.1:7946 --token "$(cat ./a/join-token)"'
  ],
  flags: FLAGS
})

function port (value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--${flag} must be a port number (0–65535), not "${value}"`, 'agent')
  return n
}

function nodeIp (value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  if (isIPv4(value)) return value
  throw new UsageError(`--node-ip must be an IPv4 address of this machine, such as 127.0.0.2 or 192.168.1.10, not "${value}"`, 'agent')
}

function serviceCidr (value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const range = parseCidr(value)
  if (range === undefined) throw new UsageError(`--service-cidr must be an IPv4 range with a prefix from /8 to /30, such as 10.96.0.0/16, not "${value}"`, 'agent')
  return range.cidr
}

function nodeLifecycleTimings (grace: string | undefined, eviction: string | undefined): NodeLifecycleOptions {
  const nodeGracePeriodMs = durationFlag(grace, 'node-grace-period', 'agent')
  const podEvictionTimeoutMs = durationFlag(eviction, 'pod-eviction-timeout', 'agent')
  return {
    ...(nodeGracePeriodMs !== undefined ? { nodeGracePeriodMs } : {}),
    ...(podEvictionTimeoutMs !== undefined ? { podEvictionTimeoutMs } : {})
  }
}

export async function run (argv: string[], io: ResolvedIO): Promise<number> {
  const args = parseArgs(argv, FLAGS, 'agent')
  if (args.positionals.length > 0) throw new UsageError(`unexpected arguments: ${args.positionals.join(' ')}`, 'agent')
  const runtime = args.string('runtime') ?? 'docker'
  if (runtime !== 'docker' && runtime !== 'fake') throw new UsageError(`--runtime must be docker or fake, not "${runtime}"`, 'agent')
  const dataDir = resolve(io.cwd, args.string('data-dir') ?? join(homedir(), '.flotilla'))
  const host = nodeIp(args.string('node-ip') ?? args.string('host'))
  const cidr = serviceCidr(args.string('service-cidr'))
  const opts: AgentOptions = {
    dataDir,
    ...(args.string('name') !== undefined ? { name: args.string('name') as string } : {}),
    ...(host !== undefined ? { host } : {}),
    ...(cidr !== undefined ? { serviceCidr: cidr } : {}),
    ...(port(args.string('api-port'), 'api-port') !== undefined ? { apiPort: port(args.string('api-port'), 'api-port') as number } : {}),
    ...(port(args.string('p2p-port'), 'p2p-port') !== undefined ? { p2pPort: port(args.string('p2p-port'), 'p2p-port') as number } : {}),
    ...(port(args.string('ingress-port'), 'ingress-port') !== undefined ? { ingressPort: port(args.string('ingress-port'), 'ingress-port') as number } : {}),
    ...(args.string('join') !== undefined ? { join: args.string('join') as string } : {}),
    ...(args.string('token') !== undefined ? { token: args.string('token') as string } : {}),
    mdns: args.bool('mdns'),
    runtime,
    nodeLifecycle: nodeLifecycleTimings(args.string('node-grace-period'), args.string('pod-eviction-timeout')),
    log: (line) => { io.stderr.write(`${line}\n`) }
  }
  const agent = new Agent(opts)
  // A promise some code path forgot to handle must not take the agent (and the cluster's
  // quorum) down: log it loudly and keep serving.
  process.on('unhandledRejection', (reason) => {
    io.stderr.write(`internal error (please report it; the agent keeps running): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`)
  })
  try {
    await agent.start()
  } catch (err) {
    await agent.stop().catch(() => {})
    const e = err as Error
    if (['DataDirLockedError', 'AgentConfigError', 'InvalidJoinTokenError', 'CorruptLogError', 'CertificateError'].includes(e.name)) throw new CliError(e.message)
    if ((e as { code?: string }).code === 'EADDRINUSE') throw new CliError(`A port is already in use (${e.message}): pass --api-port / --p2p-port (0 picks a free one)`)
    throw err
  }
  const idleCollector = startIdleCollector()
  io.stdout.write(`agent ${agent.name} (peer ${agent.peerId}) is up\n`)
  io.stdout.write(`  API:        ${agent.apiUrl}\n`)
  io.stdout.write(`  p2p:        ${agent.p2pAddresses.join(', ')}\n`)
  io.stdout.write(`  kubeconfig: ${agent.kubeconfigPath}\n`)
  if (agent.created) {
    io.stdout.write('Created a new cluster. To join another agent:\n')
    io.stdout.write(`  flotilla agent --data-dir DIR --name NAME --api-port 0 --p2p-port 0 --join ${agent.p2pAddresses[0] ?? ''} --token ${agent.joinToken}\n`)
  }
  await new Promise<void>((resolveStop) => {
    let stopping = false
    const stop = (signal: string): void => {
      if (stopping) return
      stopping = true
      io.stderr.write(`${signal}: stopping\n`)
      idleCollector?.stop()
      agent.stop().then(() => { resolveStop() }, (err: unknown) => {
        io.stderr.write(`error while stopping: ${(err as Error).message}\n`)
        resolveStop()
      })
    }
    process.once('SIGTERM', () => { stop('SIGTERM') })
    process.once('SIGINT', () => { stop('SIGINT') })
    // An agent that `flotilla up` started stops with it, even when `up` itself was killed
    // (SIGKILL, or `kill` of the npx that ran it): it would otherwise run on, orphaned.
    const parent = Number(process.env[STOP_WITH_PARENT_ENV] ?? 0)
    if (parent > 0) {
      const watch = setInterval(() => {
        if (process.ppid === parent) return
        clearInterval(watch)
        stop(`its parent (pid ${parent}) exited`)
      }, 1000)
      watch.unref()
    }
  })
  return 0
}
