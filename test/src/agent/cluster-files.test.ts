// The cluster's secrets on disk and in the join token: the cluster CA travels in both, and
// secrets and tokens of clusters created before TLS (no CA) still read.

import { createPrivateKey, X509Certificate } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dataPaths, decodeJoinToken, encodeJoinToken, InvalidJoinTokenError, newClusterSecrets, readClusterSecrets, writeClusterSecrets } from '../../../src/agent/cluster-files.ts'

let dir: string
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'flotilla-cluster-files-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

describe('cluster secrets', () => {
  it('a new cluster has a CA', () => {
    const s = newClusterSecrets()
    expect(s.ca).toBeDefined()
    expect(new X509Certificate(s.ca?.cert ?? '').ca).toBe(true)
  })

  it('the join token carries the CA, certificate and key, so a joiner can issue its own serving certificate', () => {
    const s = newClusterSecrets()
    const back = decodeJoinToken(encodeJoinToken(s))
    expect(back.clusterKey).toBe(s.clusterKey)
    expect(back.apiToken).toBe(s.apiToken)
    expect(new X509Certificate(back.ca?.cert ?? '').fingerprint256).toBe(new X509Certificate(s.ca?.cert ?? '').fingerprint256)
    expect(new X509Certificate(back.ca?.cert ?? '').checkPrivateKey(createPrivateKey(back.ca?.key ?? ''))).toBe(true)
  })

  it('a token of a cluster created before TLS still decodes, without a CA', () => {
    const old = 'flotilla1.' + Buffer.from(JSON.stringify({ k: 'key', t: 'tok', c: 'id' })).toString('base64url')
    expect(decodeJoinToken(old)).toEqual({ clusterKey: 'key', apiToken: 'tok', clusterId: 'id' })
  })

  it('a token with a damaged or half CA is refused clearly', () => {
    const base = { k: 'key', t: 'tok', c: 'id' }
    const token = (o: object): string => 'flotilla1.' + Buffer.from(JSON.stringify(o)).toString('base64url')
    expect(() => decodeJoinToken(token({ ...base, a: 'AAAA' }))).toThrow(InvalidJoinTokenError)
    expect(() => decodeJoinToken(token({ ...base, a: 'AAAA', b: 'AAAA' }))).toThrow(/CA in it is damaged/)
  })

  it('cluster.json keeps the CA; one written before TLS reads without it', async () => {
    const s = newClusterSecrets()
    await writeClusterSecrets(dir, s)
    expect(await readClusterSecrets(dir)).toEqual(s)
    expect(decodeJoinToken(await readFile(dataPaths(dir).joinToken, 'utf8')).ca?.cert).toBe(s.ca?.cert)
    await writeFile(dataPaths(dir).clusterFile, JSON.stringify({ clusterKey: 'k', apiToken: 't', clusterId: 'c' }))
    expect(await readClusterSecrets(dir)).toEqual({ clusterKey: 'k', apiToken: 't', clusterId: 'c' })
    await writeFile(dataPaths(dir).clusterFile, JSON.stringify({ clusterKey: 'k', apiToken: 't', clusterId: 'c', ca: { cert: 'x' } }))
    await expect(readClusterSecrets(dir)).rejects.toThrow(/is damaged/)
  })
})

