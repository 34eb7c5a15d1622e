// An agent's own serving certificate for its API, kept in its data dir (DIR/tls/serving.crt and
// serving.key, mode 0600). Each start keeps the one there if it still fits, and issues a new
// one from the cluster CA when it is missing or unreadable, was not issued by this CA, does not
// match its key, does not name exactly the wanted addresses and names, or expires within 30 days.

import { createPrivateKey, X509Certificate } from 'node:crypto'
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { isDnsName, issueServingCertificate, type KeyAndCertificate } from './certificate.ts'

/** What a serving certificate must say. */
export interface ServingIdentity {
  commonName: string
  ipAddresses: readonly string[]
  dnsNames: readonly string[]
}

/** A certificate this close to its end is replaced at the next start. */
const RENEW_BEFORE_MS = 30 * 86_400_000

/**
 * The names an agent's API answers to: its node address and 127.0.0.1, 'localhost', its name
 * and the machine's hostname (those that are DNS names; lower-cased, without duplicates).
 */
export function servingIdentity (name: string, nodeIp: string, hostname: string): ServingIdentity {
  const ipAddresses = [...new Set([nodeIp, '127.0.0.1'])]
  const dnsNames = [...new Set(['localhost', name, hostname].map((n) => n.toLowerCase()).filter(isDnsName))]
  return { commonName: name, ipAddresses, dnsNames }
}

/** The serving certificate at `paths`, or a new one issued by `ca` and written there; `issued` says which. */
export async function loadOrIssueServingCertificate (
  paths: { cert: string, key: string },
  ca: KeyAndCertificate,
  want: ServingIdentity,
  now: Date = new Date()
): Promise<KeyAndCertificate & { issued: boolean }> {
  const current = await readPair(paths)
  if (current !== undefined && fits(current, ca, want, now)) return { ...current, issued: false }
  const fresh = issueServingCertificate(ca, { ...want, now })
  await mkdir(dirname(paths.cert), { recursive: true, mode: 0o700 })
  await writePrivate(paths.key, fresh.key)
  await writePrivate(paths.cert, fresh.cert)
  return { ...fresh, issued: true }
}

async function readPair (paths: { cert: string, key: string }): Promise<KeyAndCertificate | undefined> {
  try {
    return { cert: await readFile(paths.cert, 'utf8'), key: await readFile(paths.key, 'utf8') }
  } catch {
    return undefined
  }
}

function fits (pair: KeyAndCertificate, ca: KeyAndCertificate, want: ServingIdentity, now: Date): boolean {
  try {
    const cert = new X509Certificate(pair.cert)
    const authority = new X509Certificate(ca.cert)
    if (!cert.checkIssued(authority) || !cert.verify(authority.publicKey)) return false
    if (!cert.checkPrivateKey(createPrivateKey(pair.key))) return false
    if (new Date(cert.validTo).getTime() - now.getTime() < RENEW_BEFORE_MS) return false
    if (new Date(cert.validFrom).getTime() > now.getTime()) return false
    // Exactly the wanted names: each one present, and no others.
    const count = (cert.subjectAltName ?? '').split(', ').filter((n) => n !== '').length
    if (count !== want.ipAddresses.length + want.dnsNames.length) return false
    if (!want.ipAddresses.every((ip) => cert.checkIP(ip) !== undefined)) return false
    return want.dnsNames.every((n) => cert.checkHost(n, { subject: 'never', wildcards: false }) !== undefined)
  } catch {
    return false
  }
}

async function writePrivate (path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, text, { mode: 0o600 })
  await chmod(tmp, 0o600)
  await rename(tmp, path)
}

/**
 * What an agent's API serves with: its serving certificate from `dir` (issued when needed), or
 * undefined in a cluster created before TLS, which has no CA (logged: plain HTTP only then).
 */
export async function apiServingTls (
  paths: { cert: string, key: string },
  ca: KeyAndCertificate | undefined,
  want: ServingIdentity,
  log: (line: string) => void
): Promise<KeyAndCertificate | undefined> {
  if (ca === undefined) {
    log('this cluster was created before Flotilla spoke TLS (no CA in cluster.json): the API serves plain HTTP only, to which kubectl sends no token')
    return undefined
  }
  const r = await loadOrIssueServingCertificate(paths, ca, want)
  if (r.issued) log(`issued the API serving certificate for ${[...want.ipAddresses, ...want.dnsNames].join(', ')} (${paths.cert})`)
  return { cert: r.cert, key: r.key }
}
