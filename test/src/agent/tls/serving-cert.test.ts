// An agent's serving certificate in its data dir: issued when missing, kept while it fits, and
// issued again when its names, its CA or its remaining lifetime no longer do.

import { X509Certificate } from 'node:crypto'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createClusterCa } from '../../../../src/agent/tls/certificate.ts'
import { loadOrIssueServingCertificate, servingIdentity } from '../../../../src/agent/tls/serving-cert.ts'

const ca = createClusterCa()
const want = servingIdentity('agent-1', '127.0.0.2', 'Build_Host')
let dir: string
let paths: { cert: string, key: string }

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-serving-'))
  paths = { cert: join(dir, 'tls', 'serving.crt'), key: join(dir, 'tls', 'serving.key') }
})
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

describe('servingIdentity', () => {
  it('names the node address, 127.0.0.1, localhost, the agent name and the hostname when it is a DNS name', () => {
    expect(want).toEqual({ commonName: 'agent-1', ipAddresses: ['127.0.0.2', '127.0.0.1'], dnsNames: ['localhost', 'agent-1'] })
    expect(servingIdentity('A', '127.0.0.1', 'box.lan')).toEqual({ commonName: 'A', ipAddresses: ['127.0.0.1'], dnsNames: ['localhost', 'a', 'box.lan'] })
  })
})

describe('loadOrIssueServingCertificate', () => {
  it('issues one when missing, writes it owner-only, and keeps it on the next start', async () => {
    const first = await loadOrIssueServingCertificate(paths, ca, want)
    expect(first.issued).toBe(true)
    expect(new X509Certificate(first.cert).verify(new X509Certificate(ca.cert).publicKey)).toBe(true)
    expect(await readFile(paths.cert, 'utf8')).toBe(first.cert)
    expect((await stat(paths.key)).mode & 0o777).toBe(0o600)
    const again = await loadOrIssueServingCertificate(paths, ca, want)
    expect(again).toEqual({ ...first, issued: false })
  })

  it('issues a new one when the names change (another --node-ip)', async () => {
    const first = await loadOrIssueServingCertificate(paths, ca, want)
    const moved = await loadOrIssueServingCertificate(paths, ca, servingIdentity('agent-1', '10.0.0.5', 'x'))
    expect(moved.issued).toBe(true)
    expect(new X509Certificate(moved.cert).checkIP('10.0.0.5')).toBe('10.0.0.5')
    expect(new X509Certificate(moved.cert).checkIP('127.0.0.2')).toBeUndefined()
    expect(moved.cert).not.toBe(first.cert)
    // Fewer names count as a change too.
    const fewer = await loadOrIssueServingCertificate(paths, ca, { ...servingIdentity('agent-1', '10.0.0.5', 'x'), dnsNames: ['localhost'] })
    expect(fewer.issued).toBe(true)
  })

  it('issues a new one for another CA, a damaged file, or 30 days before the end', async () => {
    await loadOrIssueServingCertificate(paths, ca, want)
    expect((await loadOrIssueServingCertificate(paths, createClusterCa(), want)).issued).toBe(true)
    await writeFile(paths.cert, 'not a certificate')
    expect((await loadOrIssueServingCertificate(paths, ca, want)).issued).toBe(true)
    const inElevenMonths = new Date(Date.now() + 336 * 86_400_000)
    expect((await loadOrIssueServingCertificate(paths, ca, want, new Date(Date.now() + 300 * 86_400_000))).issued).toBe(false)
    expect((await loadOrIssueServingCertificate(paths, ca, want, inElevenMonths)).issued).toBe(true)
  })
})
