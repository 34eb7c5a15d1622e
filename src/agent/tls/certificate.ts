// X.509 v3 certificates (RFC 5280) for the cluster's API, built by hand because Node cannot
// build certificates: a self-signed cluster CA, and serving certificates it signs. Keys are
// ECDSA P-256, signatures ecdsa-with-SHA256. Certificates and keys travel as PEM (keys PKCS#8).
//
//   const ca = createClusterCa()                       // CN flotilla-ca, CA:true, 10 years
//   const serving = issueServingCertificate(ca, { commonName: 'a', ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'] })
//   https.createServer({ cert: serving.cert, key: serving.key })  // clients trust ca.cert

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto'
import { isIPv4, isIPv6 } from 'node:net'
import { bitString, boolean, explicit, implicit, namedBits, octetString, oid, readAll, readOne, sequence, set, smallInteger, time, unsignedInteger, utf8String } from './der.ts'

/** A certificate and its private key, both PEM. */
export interface KeyAndCertificate {
  cert: string
  key: string
}

export interface CaOptions {
  /** Default 'flotilla-ca'. */
  commonName?: string
  /** Start of validity (less 5 minutes of allowed clock skew). Default: now. */
  now?: Date
  /** Default 3650 (10 years). */
  validDays?: number
}

export interface ServingOptions {
  commonName: string
  /** subjectAltName iPAddress entries (IPv4 or IPv6). */
  ipAddresses: readonly string[]
  /** subjectAltName dNSName entries. */
  dnsNames: readonly string[]
  /** Start of validity (less 5 minutes of allowed clock skew). Default: now. */
  now?: Date
  /** Default 365. */
  validDays?: number
}

/** A certificate cannot be built from what was given (a bad address or name, a damaged CA). */
export class CertificateError extends Error {
  override readonly name = 'CertificateError'
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1'
} as const

/** keyUsage bit numbers (RFC 5280 §4.2.1.3). */
const KEY_USAGE = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const

/** Clients and agents whose clocks run a little behind still accept a fresh certificate. */
const CLOCK_SKEW_MS = 5 * 60_000
const DAY_MS = 86_400_000

/** A self-signed CA: basicConstraints CA:true (critical), keyUsage keyCertSign|cRLSign (critical). */
export function createClusterCa (opts: CaOptions = {}): KeyAndCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const spki = publicKey.export({ type: 'spki', format: 'der' })
  const subject = distinguishedName(opts.commonName ?? 'flotilla-ca')
  const ski = keyIdentifier(spki)
  const cert = buildCertificate({
    issuer: subject,
    subject,
    spki,
    ...validity(opts.now, opts.validDays ?? 3650),
    extensions: [
      extension(OID.basicConstraints, true, sequence(boolean(true))),
      extension(OID.keyUsage, true, namedBits([KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign])),
      extension(OID.subjectKeyIdentifier, false, octetString(ski))
    ],
    signingKey: privateKey
  })
  return { cert, key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string }
}

/**
 * A serving certificate signed by `ca`: serverAuth, keyUsage digitalSignature (critical),
 * CA:false, and the subjectAltNames clients check the server's address against.
 */
export function issueServingCertificate (ca: KeyAndCertificate, opts: ServingOptions): KeyAndCertificate {
  let caKey: KeyObject
  let issuer: Buffer
  try {
    caKey = createPrivateKey(ca.key)
    issuer = subjectOf(new X509Certificate(ca.cert).raw)
  } catch (err) {
    throw new CertificateError(`The cluster CA cannot be read (${(err as Error).message}): its certificate or key in cluster.json is damaged`)
  }
  const caSpki = createPublicKey(caKey).export({ type: 'spki', format: 'der' })
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const spki = publicKey.export({ type: 'spki', format: 'der' })
  const names = [
    ...opts.dnsNames.map((n) => implicit(2, dnsNameBytes(n))),
    ...opts.ipAddresses.map((ip) => implicit(7, ipAddressBytes(ip)))
  ]
  if (names.length === 0) throw new CertificateError('A serving certificate needs at least one IP address or DNS name')
  const cert = buildCertificate({
    issuer,
    subject: distinguishedName(opts.commonName),
    spki,
    ...validity(opts.now, opts.validDays ?? 365),
    extensions: [
      extension(OID.basicConstraints, true, sequence()),
      extension(OID.keyUsage, true, namedBits([KEY_USAGE.digitalSignature])),
      extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth))),
      extension(OID.subjectAltName, false, sequence(...names)),
      extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(spki))),
      extension(OID.authorityKeyIdentifier, false, sequence(implicit(0, keyIdentifier(caSpki))))
    ],
    signingKey: caKey
  })
  return { cert, key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string }
}

/** True for a name a certificate can carry as dNSName: LDH labels, dot-separated. */
export function isDnsName (name: string): boolean {
  return name.length <= 253 && /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(name)
}

interface CertificateParts {
  issuer: Buffer
  subject: Buffer
  spki: Buffer
  notBefore: Date
  notAfter: Date
  extensions: Buffer[]
  signingKey: KeyObject
}

function buildCertificate (p: CertificateParts): string {
  const signatureAlgorithm = sequence(oid(OID.ecdsaWithSha256))
  const tbs = sequence(
    explicit(0, smallInteger(2)), // v3
    serialNumber(),
    signatureAlgorithm,
    p.issuer,
    sequence(time(p.notBefore), time(p.notAfter)),
    p.subject,
    p.spki,
    explicit(3, sequence(...p.extensions))
  )
  // crypto.sign with an EC key gives the DER ECDSA-Sig-Value X.509 wants.
  const der = sequence(tbs, signatureAlgorithm, bitString(sign('sha256', tbs, p.signingKey)))
  const lines = der.toString('base64').match(/.{1,64}/g) ?? []
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`
}

/** 16 random bytes, top bit clear and next bit set: positive, minimal, never zero (RFC 5280 §4.1.2.2). */
function serialNumber (): Buffer {
  const bytes = randomBytes(16)
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40
  return unsignedInteger(bytes)
}

function validity (now: Date | undefined, days: number): { notBefore: Date, notAfter: Date } {
  const start = (now ?? new Date()).getTime()
  return { notBefore: new Date(start - CLOCK_SKEW_MS), notAfter: new Date(start + days * DAY_MS) }
}

function distinguishedName (commonName: string): Buffer {
  return sequence(set(sequence(oid(OID.commonName), utf8String(commonName))))
}

function extension (id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value))
}

/** SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2, method 1). */
function keyIdentifier (spki: Buffer): Buffer {
  const key = readAll(readOne(spki).content)[1]
  if (key?.tag !== 0x03) throw new CertificateError('A SubjectPublicKeyInfo without its key bits')
  return createHash('sha1').update(key.content.subarray(1)).digest()
}

/** The subject Name of a DER certificate, byte for byte (an issued certificate's issuer must match it exactly). */
function subjectOf (der: Buffer): Buffer {
  const tbs = readAll(readOne(der).content)[0]
  if (tbs === undefined) throw new CertificateError('A certificate without its TBSCertificate')
  const fields = readAll(tbs.content)
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0 // version is optional (v1)
  const subject = fields[offset + 4]
  if (subject?.tag !== 0x30) throw new CertificateError('A certificate without its subject')
  return subject.whole
}

function dnsNameBytes (name: string): Buffer {
  if (!isDnsName(name) && !(name.startsWith('*.') && isDnsName(name.slice(2)))) throw new CertificateError(`"${name}" is not a DNS name a certificate can carry`)
  return Buffer.from(name, 'ascii')
}

function ipAddressBytes (ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number))
  if (!isIPv6(ip)) throw new CertificateError(`"${ip}" is not an IP address`)
  return ipv6Bytes(ip)
}

/** The 16 bytes of an IPv6 address in any text form Node accepts (`::`, an IPv4 tail, a zone). */
function ipv6Bytes (ip: string): Buffer {
  const text = ip.replace(/%.*$/, '')
  const groups = (part: string): string[] => {
    if (part === '') return []
    const out = part.split(':')
    const last = out[out.length - 1] ?? ''
    if (last.includes('.')) {
      const [a = 0, b = 0, c = 0, d = 0] = last.split('.').map(Number)
      out.splice(out.length - 1, 1, ((a << 8) | b).toString(16), ((c << 8) | d).toString(16))
    }
    return out
  }
  const gap = text.indexOf('::')
  const head = groups(gap < 0 ? text : text.slice(0, gap))
  const tail = gap < 0 ? [] : groups(text.slice(gap + 2))
  const all = gap < 0 ? head : [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail]
  const out = Buffer.alloc(16)
  all.forEach((g, i) => { out.writeUInt16BE(parseInt(g, 16), i * 2) })
  return out
}
