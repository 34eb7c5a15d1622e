// The cluster CA and the serving certificates it issues, checked by Node's own X.509 parser
// (crypto.X509Certificate) and in a real TLS handshake: RFC 5280 fields a TLS client relies on.

import { createPrivateKey, X509Certificate } from 'node:crypto'
import { once } from 'node:events'
import { connect, createServer, type TLSSocket } from 'node:tls'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { CertificateError, createClusterCa, isDnsName, issueServingCertificate } from '../../../../src/agent/tls/certificate.ts'

const ca = createClusterCa({ now: new Date('2026-01-01T00:00:00Z') })
const caCert = new X509Certificate(ca.cert)

describe('createClusterCa', () => {
  it('is a self-signed CA named flotilla-ca, valid 10 years from now less 5 minutes of clock skew', () => {
    expect(caCert.ca).toBe(true)
    expect(caCert.subject).toBe('CN=flotilla-ca')
    expect(caCert.issuer).toBe('CN=flotilla-ca')
    expect(caCert.verify(caCert.publicKey)).toBe(true)
    expect(caCert.checkIssued(caCert)).toBe(true)
    expect(new Date(caCert.validFrom).toISOString()).toBe('2025-12-31T23:55:00.000Z')
    expect(new Date(caCert.validTo).toISOString()).toBe('2035-12-30T00:00:00.000Z')
    expect(caCert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1')
  })

  it('gets a new key and serial each time', () => {
    const other = new X509Certificate(createClusterCa().cert)
    expect(other.serialNumber).not.toBe(caCert.serialNumber)
    expect(other.verify(caCert.publicKey)).toBe(false)
  })

  it('uses GeneralizedTime for an end in 2050 or later', () => {
    const long = new X509Certificate(createClusterCa({ now: new Date('2045-06-01T00:00:00Z'), validDays: 3650 }).cert)
    expect(new Date(long.validTo).toISOString()).toBe('2055-05-30T00:00:00.000Z')
  })
})

describe('issueServingCertificate', () => {
  const serving = issueServingCertificate(ca, {
    commonName: 'agent-1',
    ipAddresses: ['127.0.0.2', '127.0.0.1', '::1'],
    dnsNames: ['localhost', 'agent-1'],
    now: new Date('2026-02-01T00:00:00Z')
  })
  const cert = new X509Certificate(serving.cert)

  it('is signed by the CA, not a CA itself, for server authentication', () => {
    expect(cert.verify(caCert.publicKey)).toBe(true)
    expect(cert.checkIssued(caCert)).toBe(true)
    expect(cert.ca).toBe(false)
    expect(cert.subject).toBe('CN=agent-1')
    expect(cert.issuer).toBe('CN=flotilla-ca')
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1'])
    expect(new Date(cert.validTo).toISOString()).toBe('2027-02-01T00:00:00.000Z')
    expect(cert.checkPrivateKey(createPrivateKey(serving.key))).toBe(true)
  })

  it('names exactly the given addresses and DNS names', () => {
    expect(cert.subjectAltName).toBe('DNS:localhost, DNS:agent-1, IP Address:127.0.0.2, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1')
    expect(cert.checkIP('127.0.0.2')).toBe('127.0.0.2')
    expect(cert.checkIP('::1')).toBe('::1')
    expect(cert.checkIP('127.0.0.3')).toBeUndefined()
    expect(cert.checkHost('agent-1', { subject: 'never' })).toBe('agent-1')
    expect(cert.checkHost('agent-2', { subject: 'never' })).toBeUndefined()
  })

  it('passes a TLS client that trusts only the CA and checks the address', async () => {
    const now = issueServingCertificate(ca, { commonName: 'a', ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'] })
    const server = createServer({ key: now.key, cert: now.cert }, (s) => { s.end('hello') })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const port = (server.address() as AddressInfo).port
    try {
      const socket = connect({ host: '127.0.0.1', port, ca: ca.cert })
      await once(socket, 'secureConnect')
      expect(socket.authorized).toBe(true)
      socket.destroy()
      const named = connect({ host: '127.0.0.1', port, ca: ca.cert, servername: 'localhost' })
      await once(named, 'secureConnect')
      expect(named.authorized).toBe(true)
      named.destroy()
      const stranger = connect({ host: '127.0.0.1', port, ca: createClusterCa().cert })
      const [err] = await once(stranger, 'error') as [Error & { code?: string }]
      expect(err.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE')
      const wrongName = connect({ host: '127.0.0.1', port, ca: ca.cert, servername: 'example.com' }) as TLSSocket
      const [nameErr] = await once(wrongName, 'error') as [Error & { code?: string }]
      expect(nameErr.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID')
    } finally {
      server.close()
    }
  })

  it('refuses a bad address or name, and a damaged CA, with CertificateError', () => {
    expect(() => issueServingCertificate(ca, { commonName: 'a', ipAddresses: ['300.1.1.1'], dnsNames: [] })).toThrow(CertificateError)
    expect(() => issueServingCertificate(ca, { commonName: 'a', ipAddresses: [], dnsNames: ['no spaces'] })).toThrow(CertificateError)
    expect(() => issueServingCertificate(ca, { commonName: 'a', ipAddresses: [], dnsNames: [] })).toThrow(/at least one/)
    expect(() => issueServingCertificate({ cert: ca.cert, key: 'garbage' }, { commonName: 'a', ipAddresses: ['127.0.0.1'], dnsNames: [] })).toThrow(/cluster CA cannot be read/)
  })

  it('encodes IPv6 addresses in every text form', () => {
    const v6 = new X509Certificate(issueServingCertificate(ca, { commonName: 'a', ipAddresses: ['fe80::1:2', '2001:db8::', '::ffff:10.0.0.1'], dnsNames: [] }).cert)
    expect(v6.subjectAltName).toBe('IP Address:FE80:0:0:0:0:0:1:2, IP Address:2001:DB8:0:0:0:0:0:0, IP Address:0:0:0:0:0:FFFF:A00:1')
  })
})

describe('isDnsName', () => {
  it('accepts LDH labels only', () => {
    expect(isDnsName('agent-1.example.com')).toBe(true)
    expect(isDnsName('Agent_1')).toBe(false)
    expect(isDnsName('-a')).toBe(false)
    expect(isDnsName('')).toBe(false)
  })
})

