// Finding and reading the kubeconfig that says which agent to talk to and with which token,
// and writing one (the agent calls writeKubeconfig when it creates a cluster or joins one).
//
// Search order: --kubeconfig PATH, then --data-dir DIR (DIR/kubeconfig), then $KUBECONFIG
// (first existing entry), then ./.flotilla/kubeconfig, then ~/.flotilla/kubeconfig. An explicit
// flag always beats the environment. --server and --token override what the file says, and
// --server alone is enough when no kubeconfig exists. The file is the standard kubeconfig YAML,
// so the real kubectl can use it too.

import { existsSync, readFileSync } from 'node:fs'
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises'
import { delimiter, dirname, join, resolve } from 'node:path'
import YAML from 'yaml'
import { CliError } from './errors.ts'

export const NO_KUBECONFIG_MESSAGE = 'No kubeconfig found: pass --kubeconfig, set KUBECONFIG, or run in an agent\'s data dir (flotilla agent writes DIR/kubeconfig)'

/** The flags that choose a server; all optional. */
export interface ConnectionFlags {
  kubeconfig?: string | undefined
  context?: string | undefined
  dataDir?: string | undefined
  server?: string | undefined
  token?: string | undefined
}

/** Everything needed to reach one API server. */
export interface Connection {
  server: string
  token?: string
  /** The context's default namespace, if it names one. */
  namespace?: string
  /** PEM bundle to trust for an https server. */
  ca?: Buffer
  insecureSkipTLSVerify: boolean
  /** The kubeconfig file used, when there was one. */
  path?: string
}

export interface SearchPlace {
  env: Record<string, string | undefined>
  cwd: string
  home: string
}

/** The kubeconfig file to use, or undefined when none exists. Throws when an explicit flag names a missing file. */
export function findKubeconfig (flags: ConnectionFlags, where: SearchPlace): string | undefined {
  if (flags.kubeconfig !== undefined) {
    const p = resolve(where.cwd, flags.kubeconfig)
    if (!existsSync(p)) throw new CliError(`kubeconfig ${p} does not exist`)
    return p
  }
  if (flags.dataDir !== undefined) {
    const p = join(resolve(where.cwd, flags.dataDir), 'kubeconfig')
    if (!existsSync(p)) throw new CliError(`No kubeconfig at ${p}: is ${dirname(p)} an agent's data dir? (flotilla agent writes DIR/kubeconfig when it starts)`)
    return p
  }
  const env = where.env.KUBECONFIG
  if (env !== undefined && env !== '') {
    for (const entry of env.split(delimiter)) {
      if (entry === '') continue
      const p = resolve(where.cwd, entry)
      if (existsSync(p)) return p
    }
  }
  for (const dir of [join(where.cwd, '.flotilla'), join(where.home, '.flotilla')]) {
    const p = join(dir, 'kubeconfig')
    if (existsSync(p)) return p
  }
  return undefined
}

/** Resolves the connection from flags, the kubeconfig they lead to, and overrides. */
export function loadConnection (flags: ConnectionFlags, where: SearchPlace): Connection {
  const path = findKubeconfig(flags, where)
  let conn: Connection
  if (path === undefined) {
    if (flags.server === undefined) throw new CliError(NO_KUBECONFIG_MESSAGE)
    conn = { server: flags.server, insecureSkipTLSVerify: false }
  } else {
    conn = parseKubeconfig(readFileSync(path, 'utf8'), path, flags.context)
  }
  if (flags.server !== undefined) conn.server = flags.server
  if (flags.token !== undefined) conn.token = flags.token
  conn.server = conn.server.replace(/\/+$/, '')
  return conn
}

function asRecord (v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : undefined
}

function findNamed (list: unknown, field: string, name: string): Record<string, unknown> | undefined {
  if (!Array.isArray(list)) return undefined
  for (const item of list) {
    const entry = asRecord(item)
    if (entry?.name === name) return asRecord(entry[field])
  }
  return undefined
}

function str (v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined
}

/** Parses kubeconfig YAML and picks `context` (default: current-context, or the only one). */
export function parseKubeconfig (text: string, path: string, context?: string): Connection {
  let doc: Record<string, unknown> | undefined
  try {
    doc = asRecord(YAML.parse(text))
  } catch (err) {
    throw new CliError(`kubeconfig ${path} is not valid YAML: ${(err as Error).message}`)
  }
  if (doc === undefined) throw new CliError(`kubeconfig ${path} is empty or not a mapping`)

  let ctxName = context ?? str(doc['current-context'])
  if (ctxName === undefined) {
    const contexts = Array.isArray(doc.contexts) ? doc.contexts : []
    const only = contexts.length === 1 ? str(asRecord(contexts[0])?.name) : undefined
    if (only === undefined) throw new CliError(`kubeconfig ${path} has no current-context: pass --context NAME`)
    ctxName = only
  }
  const ctx = findNamed(doc.contexts, 'context', ctxName)
  if (ctx === undefined) throw new CliError(`kubeconfig ${path} has no context "${ctxName}"`)

  const clusterName = str(ctx.cluster)
  const cluster = clusterName === undefined ? undefined : findNamed(doc.clusters, 'cluster', clusterName)
  if (cluster === undefined) throw new CliError(`kubeconfig ${path}: context "${ctxName}" names no known cluster${clusterName === undefined ? '' : ` ("${clusterName}")`}`)
  const server = str(cluster.server)
  if (server === undefined) throw new CliError(`kubeconfig ${path}: cluster "${clusterName ?? ''}" has no server`)

  const base = dirname(path)
  const conn: Connection = { server, insecureSkipTLSVerify: cluster['insecure-skip-tls-verify'] === true, path }
  const caData = str(cluster['certificate-authority-data'])
  const caFile = str(cluster['certificate-authority'])
  if (caData !== undefined) conn.ca = Buffer.from(caData, 'base64')
  else if (caFile !== undefined) conn.ca = readFileSync(resolve(base, caFile))

  const userName = str(ctx.user)
  const user = userName === undefined ? undefined : findNamed(doc.users, 'user', userName)
  if (userName !== undefined && user === undefined) throw new CliError(`kubeconfig ${path}: context "${ctxName}" names unknown user "${userName}"`)
  const token = str(user?.token)
  const tokenFile = str(user?.tokenFile)
  if (token !== undefined) conn.token = token
  else if (tokenFile !== undefined) conn.token = readFileSync(resolve(base, tokenFile), 'utf8').trim()

  const ns = str(ctx.namespace)
  if (ns !== undefined) conn.namespace = ns
  return conn
}

export interface KubeconfigContents {
  server: string
  token: string
  /** Name of the cluster entry (and, unless contextName is given, of the context). */
  clusterName: string
  userName: string
  /** Default: clusterName. */
  contextName?: string
  namespace?: string
  /** PEM bytes of the CA for an https server. */
  certificateAuthority?: Buffer | string
}

/** The kubeconfig YAML for `c`: one cluster, one user, one context, which is current. */
export function formatKubeconfig (c: KubeconfigContents): string {
  const contextName = c.contextName ?? c.clusterName
  const cluster: Record<string, unknown> = { server: c.server }
  if (c.certificateAuthority !== undefined) cluster['certificate-authority-data'] = Buffer.from(c.certificateAuthority).toString('base64')
  const context: Record<string, unknown> = { cluster: c.clusterName, user: c.userName }
  if (c.namespace !== undefined) context.namespace = c.namespace
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: c.clusterName, cluster }],
    users: [{ name: c.userName, user: { token: c.token } }],
    contexts: [{ name: contextName, context }],
    'current-context': contextName,
    preferences: {}
  }, { lineWidth: 0 })
}

/** Writes a kubeconfig readable only by its owner (mode 0600), atomically, creating the directory. */
export async function writeKubeconfig (path: string, c: KubeconfigContents): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, formatKubeconfig(c), { mode: 0o600 })
  await chmod(tmp, 0o600)
  await rename(tmp, path)
}
