// Reading the objects named by `-f`: a file (YAML with any number of `---` documents, or
// JSON), a directory (its *.yaml, *.yml and *.json files in name order; with `recursive`,
// subdirectories too), or `-` for stdin. `kind: List` documents are expanded to their items.

import { readdir, readFile, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import YAML from 'yaml'
import type { KObject } from './client.ts'
import { CliError } from './errors.ts'
import type { ResolvedIO } from './io.ts'

export interface Manifest {
  object: KObject
  /** The file it came from, or `STDIN`. */
  source: string
}

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json']

/** Parses one file's text into its objects, in order. */
export function parseManifests (text: string, source: string): Manifest[] {
  const out: Manifest[] = []
  const docs = YAML.parseAllDocuments(text)
  const list = Array.isArray(docs) ? docs : [docs]
  list.forEach((doc, i) => {
    const err = doc.errors[0]
    if (err !== undefined) throw new CliError(`error parsing ${source}: ${err.message}`)
    const value: unknown = doc.toJS()
    if (value === null || value === undefined) return
    out.push(...expand(value, source, i + 1))
  })
  return out
}

function expand (value: unknown, source: string, docNumber: number): Manifest[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError(`error parsing ${source}: document ${docNumber} is not an object`)
  }
  const obj = value as KObject
  if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items)) {
    return (obj.items as unknown[]).flatMap(item => expand(item, source, docNumber))
  }
  if (typeof obj.apiVersion !== 'string' || obj.apiVersion === '') throw new CliError(`error validating ${source}: document ${docNumber}: apiVersion not set`)
  if (typeof obj.kind !== 'string' || obj.kind === '') throw new CliError(`error validating ${source}: document ${docNumber}: kind not set`)
  return [{ object: obj, source }]
}

async function readStdin (io: ResolvedIO): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of io.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c))
  return Buffer.concat(chunks).toString('utf8')
}

async function filesOf (dir: string, recursive: boolean): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true })
  entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  const out: string[] = []
  for (const e of entries) {
    const p = join(dir, e.name)
    if (e.isDirectory()) {
      if (recursive) out.push(...await filesOf(p, true))
    } else if (MANIFEST_EXTENSIONS.some(ext => e.name.toLowerCase().endsWith(ext))) {
      out.push(p)
    }
  }
  return out
}

/** Reads every object named by the `-f` values, in the order given. */
export async function readManifests (paths: string[], io: ResolvedIO, recursive = false): Promise<Manifest[]> {
  const out: Manifest[] = []
  for (const given of paths) {
    if (given === '-') {
      out.push(...parseManifests(await readStdin(io), 'STDIN'))
      continue
    }
    const p = resolve(io.cwd, given)
    let isDir: boolean
    try {
      isDir = (await stat(p)).isDirectory()
    } catch {
      throw new CliError(`the path "${given}" does not exist`)
    }
    const files = isDir ? await filesOf(p, recursive) : [p]
    for (const f of files) out.push(...parseManifests(await readFile(f, 'utf8'), f === p ? given : join(given, f.slice(p.length + 1))))
  }
  if (out.length === 0) throw new CliError(`no objects found in ${paths.join(', ')}`)
  return out
}
