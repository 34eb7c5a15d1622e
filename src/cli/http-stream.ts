// A GET whose body is passed on as it arrives (`flotilla logs -f`), instead of read in full as
// httpRequest does. An error status still has its body read in full, for the Status message.

import http from 'node:http'
import https from 'node:https'
import { ConnectionError } from './errors.ts'
import type { Connection } from './kubeconfig.ts'

export interface StreamAnswer { status: number, body: string }

/** Sends `conn`'s GET of `url`; a 2xx body goes to `onChunk` until it ends; resolves with the status (and the body of an error). */
export async function streamGet (conn: Connection, url: URL, onChunk: (text: string) => void, signal?: AbortSignal): Promise<StreamAnswer> {
  return await new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Accept: 'text/plain, application/json', 'User-Agent': 'flotilla-cli' }
    if (conn.token !== undefined) headers.Authorization = `Bearer ${conn.token}`
    const options: https.RequestOptions = { method: 'GET', headers, ...(signal !== undefined ? { signal } : {}) }
    if (url.protocol === 'https:') {
      if (conn.ca !== undefined) options.ca = conn.ca
      if (conn.insecureSkipTLSVerify) options.rejectUnauthorized = false
    }
    const transport = url.protocol === 'https:' ? https : http
    const req = transport.request(url, options, (res) => {
      const status = res.statusCode ?? 0
      const error: Buffer[] = []
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        if (status >= 200 && status < 300) onChunk(chunk)
        else error.push(Buffer.from(chunk))
      })
      res.on('end', () => { resolve({ status, body: Buffer.concat(error).toString('utf8') }) })
      res.on('error', (err) => { reject(new ConnectionError(conn.server, `the connection to ${conn.server} broke: ${err.message}`)) })
    })
    req.on('error', (err) => {
      if (signal?.aborted === true) resolve({ status: 200, body: '' })
      else reject(new ConnectionError(conn.server, `Unable to connect to the server ${conn.server}: ${err.message}`))
    })
    req.end()
  })
}
