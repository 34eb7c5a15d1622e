// One HTTP(S) exchange with an API server, body read in full. Uses node:http/https rather than
// fetch so that a kubeconfig's CA bundle and insecure-skip-tls-verify work without extra
// packages. Transport failures become ConnectionError with a message that names the server.

import http from 'node:http'
import https from 'node:https'
import { ConnectionError } from './errors.ts'

export interface HttpRequest {
  method: string
  url: URL
  headers: Record<string, string>
  body?: string
  /** PEM bundle to trust (https only). */
  ca?: Buffer
  insecureSkipTLSVerify?: boolean
  /** Give up after this long without an answer. */
  timeoutMs: number
}

export interface HttpResponse {
  status: number
  contentType: string
  body: string
}

/** Sends the request; resolves with any HTTP answer, rejects with ConnectionError when there is none. */
export function httpRequest (req: HttpRequest): Promise<HttpResponse> {
  const server = req.url.origin
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers }
    if (req.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(req.body))
    const options: https.RequestOptions = { method: req.method, headers, signal: AbortSignal.timeout(req.timeoutMs) }
    if (req.url.protocol === 'https:') {
      if (req.ca !== undefined) options.ca = req.ca
      if (req.insecureSkipTLSVerify === true) options.rejectUnauthorized = false
    } else if (req.url.protocol !== 'http:') {
      reject(new ConnectionError(server, `Unsupported server URL ${req.url.href}: use http:// or https://`))
      return
    }
    const transport = req.url.protocol === 'https:' ? https : http
    const request = transport.request(req.url, options, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({
        status: res.statusCode ?? 0,
        contentType: String(res.headers['content-type'] ?? ''),
        body: Buffer.concat(chunks).toString('utf8')
      }))
      res.on('error', err => reject(connectionError(server, err, req.timeoutMs)))
    })
    request.on('error', err => reject(connectionError(server, err, req.timeoutMs)))
    if (req.body !== undefined) request.write(req.body)
    request.end()
  })
}

function connectionError (server: string, err: Error & { code?: string }, timeoutMs: number): ConnectionError {
  const host = new URL(server).host
  switch (err.code) {
    case 'ECONNREFUSED':
      return new ConnectionError(server, `The connection to the server ${host} was refused - is a flotilla agent running at ${server}? (check --server or your kubeconfig)`)
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConnectionError(server, `Unable to connect to the server ${server}: no such host "${new URL(server).hostname}"`)
    case 'ABORT_ERR':
      return new ConnectionError(server, `Unable to connect to the server ${server}: no answer within ${timeoutMs / 1000}s`)
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return new ConnectionError(server, `Unable to connect to the server ${server}: ${err.message} (put the cluster's CA in the kubeconfig's certificate-authority-data, or set insecure-skip-tls-verify: true)`)
    default:
      if (err.name === 'TimeoutError' || err.name === 'AbortError') {
        return new ConnectionError(server, `Unable to connect to the server ${server}: no answer within ${timeoutMs / 1000}s`)
      }
      return new ConnectionError(server, `Unable to connect to the server ${server}: ${err.message}`)
  }
}
