// The CLI over HTTPS: a kubeconfig as an agent writes it (https:// server, the cluster CA in
// certificate-authority-data) reaches a real API server that trusts nothing else; the same
// server still answers http://; insecure-skip-tls-verify is honoured; a server whose
// certificate the CA did not sign is refused with a message that says what to do.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createClusterCa, issueServingCertificate } from '../../../src/agent/tls/certificate.ts'
import { ApiClient } from '../../../src/cli/client.ts'
import { ConnectionError } from '../../../src/cli/errors.ts'
import { streamGet } from '../../../src/cli/http-stream.ts'
import { loadConnection, writeKubeconfig } from '../../../src/cli/kubeconfig.ts'
import { main } from '../../../src/cli/main.ts'
import { startApi, TOKEN, type Harness } from '../api/harness.ts'

const ca = createClusterCa()
const serving = issueServingCertificate(ca, { commonName: 'test', ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'] })

let dir: string
let h: Harness
let kubeconfig: string

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-cli-tls-'))
  h = await startApi({ tls: { key: serving.key, cert: serving.cert } })
  kubeconfig = join(dir, 'kubeconfig')
  await writeKubeconfig(kubeconfig, { server: `https://127.0.0.1:${h.api.port}`, token: TOKEN, clusterName: 'flotilla', userName: 'admin', certificateAuthority: ca.cert })
  await h.call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' } })
})
afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

const where = (): { env: Record<string, string>, cwd: string, home: string } => ({ env: {}, cwd: dir, home: dir })

describe('the CLI over HTTPS', () => {
  it('reaches the API with the CA from the kubeconfig an agent writes', async () => {
    const conn = loadConnection({ kubeconfig }, where())
    expect(conn.server).toMatch(/^https:/)
    expect(conn.ca?.toString()).toBe(ca.cert)
    const names = await new ApiClient(conn).request('GET', '/api/v1/namespaces/default/configmaps') as { items: Array<{ metadata: { name: string } }> }
    expect(names.items.map((i) => i.metadata.name)).toEqual(['cm'])
  })

  it('runs a command (flotilla get) against it', async () => {
    let out = ''
    let err = ''
    const code = await main(['get', 'configmaps', '--kubeconfig', kubeconfig], {
      stdout: { write: (s: string) => { out += s } },
      stderr: { write: (s: string) => { err += s } },
      env: {},
      cwd: dir,
      home: dir
    })
    expect(err).toBe('')
    expect(code).toBe(0)
    expect(out).toMatch(/^cm\s/m)
  })

  it('streams over HTTPS (the path `flotilla logs -f` takes)', async () => {
    const conn = loadConnection({ kubeconfig }, where())
    let text = ''
    const r = await streamGet(conn, new URL(`${conn.server}/api/v1/namespaces/default/configmaps/cm`), (chunk) => { text += chunk })
    expect(r.status).toBe(200)
    expect(JSON.parse(text)).toMatchObject({ metadata: { name: 'cm' } })
  })

  it('still speaks plain HTTP to the same port', async () => {
    const conn = loadConnection({ kubeconfig, server: `http://127.0.0.1:${h.api.port}` }, where())
    expect(await new ApiClient(conn).request('GET', '/api/v1/namespaces/default/configmaps/cm')).toMatchObject({ metadata: { name: 'cm' } })
  })

  it('refuses a server the CA did not sign, saying what to do; insecure-skip-tls-verify lets it through', async () => {
    const conn = { ...loadConnection({ kubeconfig }, where()), ca: Buffer.from(createClusterCa().cert) }
    const err = await new ApiClient(conn).request('GET', '/api/v1/namespaces').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectionError)
    expect((err as Error).message).toMatch(/certificate-authority-data|insecure-skip-tls-verify/)
    const skip = { ...conn, insecureSkipTLSVerify: true }
    expect(await new ApiClient(skip).request('GET', '/api/v1/namespaces/default/configmaps/cm')).toMatchObject({ metadata: { name: 'cm' } })
  })
})
