// Request bodies: read with a size limit (stop reading at the limit, never buffer past it) and
// decode JSON or YAML into an object, answering 400 with the parser's message when malformed
// and 415 for a media type the server does not read.

import type { IncomingMessage } from 'node:http'
import { parse as parseYaml } from 'yaml'
import { badRequest, tooLarge, unsupportedMediaType } from './status.ts'

const JSON_TYPES = new Set(['application/json', '*/*'])
const YAML_TYPES = new Set(['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'])

/** The media type of a Content-Type header, lower-cased, without parameters; '' when absent. */
export function mediaType (header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
}

/**
 * The whole request body, or a 413 ApiError once more than `limit` bytes arrive (or are
 * announced by Content-Length). On 413 the request stream is left paused: the caller answers
 * and closes the connection.
 */
export async function readBody (req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN)
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit)
  return await new Promise<Buffer>((resolve, reject) => {
    // The listeners stay attached, inert once the promise settled, instead of being named and
    // removed: the bundle (esbuild keepNames) gives every named closure a __name call, and
    // five per request showed in a write's CPU profile.
    const chunks: Buffer[] = []
    let size = 0
    let settled = false
    req.on('data', (chunk: Buffer) => {
      if (settled) return
      size += chunk.length
      if (size > limit) {
        settled = true
        req.pause()
        chunks.length = 0
        reject(tooLarge(limit))
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      if (settled) return
      settled = true
      resolve(chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks, size))
    })
    req.on('error', (err: Error) => {
      if (settled) return
      settled = true
      reject(err)
    })
    req.on('close', () => {
      if (settled) return
      settled = true
      reject(badRequest('the client closed the connection before sending the whole body'))
    })
  })
}

/** A JSON or YAML document (by Content-Type; JSON when absent) as a JavaScript value. */
export function decodeDocument (body: Buffer, contentType: string | undefined): unknown {
  const type = mediaType(contentType)
  const text = body.toString('utf8')
  if (text.trim() === '') throw badRequest('the request body is empty: send a JSON or YAML object')
  if (type === '' || JSON_TYPES.has(type)) return parseJson(text)
  if (YAML_TYPES.has(type)) {
    try {
      return dropProtoKeys(parseYaml(text, { merge: true }))
    } catch (err) {
      throw badRequest(`error parsing YAML body: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  throw unsupportedMediaType(type, ['application/json', 'application/yaml'])
}

export function parseJson (text: string): unknown {
  try {
    // A reviver makes JSON.parse several times slower; only a text that spells `__proto__`,
    // literally or through \u escapes, can hold such a key.
    if (!text.includes('__proto__') && !text.includes('\\u')) return JSON.parse(text)
    return JSON.parse(text, (key, value: unknown) => key === '__proto__' ? undefined : value)
  } catch (err) {
    throw badRequest(`error parsing JSON body: ${err instanceof Error ? err.message : String(err)}`)
  }
}

/**
 * Removes `__proto__` members: harmless as own properties, but a prototype-pollution hazard for
 * any later code that copies objects key by key with plain assignment.
 */
function dropProtoKeys (v: unknown): unknown {
  if (Array.isArray(v)) {
    v.forEach(dropProtoKeys)
  } else if (typeof v === 'object' && v !== null) {
    if (Object.hasOwn(v, '__proto__')) delete (v as Record<string, unknown>).__proto__
    Object.values(v).forEach(dropProtoKeys)
  }
  return v
}

export function isPlainObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** A decoded body that must be a JSON object. */
export function decodeObject (body: Buffer, contentType: string | undefined): Record<string, unknown> {
  const doc = decodeDocument(body, contentType)
  if (!isPlainObject(doc)) throw badRequest(`the request body must be an object, not ${doc === null ? 'null' : Array.isArray(doc) ? 'an array' : typeof doc}`)
  return doc
}
