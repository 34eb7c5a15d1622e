// Kubeconfig: where it is found, how it is read, and the file the agent writes.

import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { NO_KUBECONFIG_MESSAGE, findKubeconfig, loadConnection, parseKubeconfig, writeKubeconfig } from '../../../src/cli/kubeconfig.ts'

let root: string
let cwd: string
let home: string

function config (server: string, token: string, namespace?: string): string {
  return [
    'apiVersion: v1', 'kind: Config',
    'clusters:', `- name: c1`, `  cluster:`, `    server: ${server}`,
    'users:', `- name: u1`, `  user:`, `    token: ${token}`,
    'contexts:', `- name: ctx1`, `  context:`, `    cluster: c1`, `    user: u1`, ...(namespace !== undefined ? [`    namespace: ${namespace}`] : []),
    'current-context: ctx1', ''
  ].join('\n')
}

function put (path: string, text: string): string {
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(path, text)
  return path
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'flotilla-kubeconfig-'))
  cwd = join(root, 'work')
  home = join(root, 'home')
  mkdirSync(cwd)
  mkdirSync(home)
})

afterEach(() => rmSync(root, { recursive: true, force: true }))

describe('findKubeconfig', () => {
  it('prefers --kubeconfig, then --data-dir, then $KUBECONFIG, then ./.flotilla, then ~/.flotilla', () => {
    const explicit = put(join(root, 'explicit'), config('http://explicit', 't'))
    const dataDir = put(join(root, 'node-a', 'kubeconfig'), config('http://data-dir', 't'))
    const env = put(join(root, 'env'), config('http://env', 't'))
    const local = put(join(cwd, '.flotilla', 'kubeconfig'), config('http://local', 't'))
    const homeFile = put(join(home, '.flotilla', 'kubeconfig'), config('http://home', 't'))
    const where = { env: { KUBECONFIG: env }, cwd, home }

    expect(findKubeconfig({ kubeconfig: explicit, dataDir: join(root, 'node-a') }, where)).toBe(explicit)
    expect(findKubeconfig({ dataDir: join(root, 'node-a') }, where)).toBe(dataDir)
    expect(findKubeconfig({}, where)).toBe(env)
    expect(findKubeconfig({}, { ...where, env: {} })).toBe(local)
    rmSync(local)
    expect(findKubeconfig({}, { ...where, env: {} })).toBe(homeFile)
  })

  it('takes the first existing entry of a KUBECONFIG list', () => {
    const second = put(join(root, 'second'), config('http://second', 't'))
    expect(findKubeconfig({}, { env: { KUBECONFIG: `${join(root, 'missing')}:${second}` }, cwd, home })).toBe(second)
  })

  it('resolves a relative --data-dir against the working directory', () => {
    const p = put(join(cwd, 'node-b', 'kubeconfig'), config('http://b', 't'))
    expect(findKubeconfig({ dataDir: 'node-b' }, { env: {}, cwd, home })).toBe(p)
  })

  it('fails clearly when an explicit path has no kubeconfig', () => {
    expect(() => findKubeconfig({ kubeconfig: join(root, 'nope') }, { env: {}, cwd, home })).toThrow(/does not exist/)
    expect(() => findKubeconfig({ dataDir: join(root, 'nope') }, { env: {}, cwd, home })).toThrow(/flotilla agent writes DIR\/kubeconfig/)
  })
})

describe('loadConnection', () => {
  it('says how to get a kubeconfig when there is none', () => {
    expect(() => loadConnection({}, { env: {}, cwd, home })).toThrow(NO_KUBECONFIG_MESSAGE)
  })

  it('works from --server alone', () => {
    expect(loadConnection({ server: 'http://127.0.0.1:6443/', token: 'x' }, { env: {}, cwd, home }))
      .toEqual({ server: 'http://127.0.0.1:6443', token: 'x', insecureSkipTLSVerify: false })
  })

  it('lets --server and --token override the file', () => {
    put(join(cwd, '.flotilla', 'kubeconfig'), config('http://file:1', 'file-token', 'demo'))
    const c = loadConnection({ server: 'http://flag:2', token: 'flag-token' }, { env: {}, cwd, home })
    expect(c.server).toBe('http://flag:2')
    expect(c.token).toBe('flag-token')
    expect(c.namespace).toBe('demo')
  })
})

describe('parseKubeconfig', () => {
  it('follows current-context to the cluster server and user token', () => {
    const c = parseKubeconfig(config('https://10.0.0.1:6443', 'abc', 'team'), '/k')
    expect(c).toMatchObject({ server: 'https://10.0.0.1:6443', token: 'abc', namespace: 'team', path: '/k' })
  })

  it('picks --context over current-context and explains a missing one', () => {
    const two = [
      'clusters: [{name: c1, cluster: {server: "http://one"}}, {name: c2, cluster: {server: "http://two"}}]',
      'users: [{name: u1, user: {token: t1}}]',
      'contexts: [{name: a, context: {cluster: c1, user: u1}}, {name: b, context: {cluster: c2, user: u1}}]',
      'current-context: a'
    ].join('\n')
    expect(parseKubeconfig(two, '/k').server).toBe('http://one')
    expect(parseKubeconfig(two, '/k', 'b').server).toBe('http://two')
    expect(() => parseKubeconfig(two, '/k', 'zzz')).toThrow('has no context "zzz"')
  })

  it('rejects files that are not kubeconfigs with the file named', () => {
    expect(() => parseKubeconfig('just a string', '/k')).toThrow('/k')
    expect(() => parseKubeconfig('current-context: x\ncontexts: []', '/k')).toThrow('has no context "x"')
  })
})

describe('writeKubeconfig', () => {
  it('writes a standard kubeconfig, mode 0600, that reads back', async () => {
    const path = join(root, 'data', 'kubeconfig')
    await writeKubeconfig(path, { server: 'http://127.0.0.1:7001', token: 'tok', clusterName: 'flotilla', userName: 'admin' })
    expect(statSync(path).mode & 0o777).toBe(0o600)
    const text = readFileSync(path, 'utf8')
    expect(text).toContain('kind: Config')
    expect(text).toContain('current-context: flotilla')
    expect(parseKubeconfig(text, path)).toMatchObject({ server: 'http://127.0.0.1:7001', token: 'tok' })
    expect(loadConnection({ dataDir: join(root, 'data') }, { env: {}, cwd, home })).toMatchObject({ server: 'http://127.0.0.1:7001', token: 'tok' })
  })
})
