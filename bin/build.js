#!/usr/bin/env node
// The compiled bundle that bin/flotilla.js runs: esbuild bundles src/cli/main.ts (with raft/ and
// net/) into dist/flotilla.js and polyfill.ts into dist/polyfill.js, ESM, with node_modules left
// external. Compiling TypeScript in every agent at start (tsx) cost ~57 MiB of RSS and seconds
// of CPU; the bundle costs neither. Each verb's module is a chunk of its own (code splitting,
// dist/chunk-HASH.js) loaded when the verb runs, as with the sources: `flotilla get` does not
// load libp2p.
//
// Never stale: the bundle's first line holds a fingerprint of the sources it was built from
// (path, size, mtime, ctime and inode of every source file). bin/flotilla.js recomputes it
// (a stat per file, a few ms) and rebuilds when it differs, so an edit, a deleted file or an
// mtime set backwards all lead to a rebuild. The fingerprint is taken before esbuild reads the
// sources: a file changed during a build makes the next start build again.
//
// Concurrent builds (several agents starting at once) are safe: each writes its own temp files
// and renames them into place, dist/flotilla.js last; chunks are named by their content, so a
// reader sees a whole old or a whole new bundle, never a torn one. Chunks no build wrote for
// STALE_CHUNK_MS are removed (a process loads its chunks within moments of its start).
//
//   node bin/build.js              build now (npm run build)
//   node bin/build.js --if-stale   build only if the sources changed since the last build

import { createHash, randomBytes } from 'node:crypto'
import { closeSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository this file belongs to. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** Directories whose files go into the bundle (scanned recursively). */
const SOURCE_DIRS = ['src', 'raft', 'net']
/** Single files that change what the bundle holds or how it is built. */
const SOURCE_FILES = ['polyfill.ts', 'tsconfig.json', 'package.json', 'bin/build.js', 'bin/agent-launch.js']
/** Files in SOURCE_DIRS that esbuild may read; others (editor swap files, notes) are ignored. */
const SOURCE_NAME = /\.(?:[cm]?[jt]s|json)$/
const HEADER = '// flotilla-bundle '
const CHUNK_NAME = /^chunk-[A-Za-z0-9]+\.js(?:\.map)?$/
const STALE_CHUNK_MS = 10 * 60_000

/**
 * Paths of the bundle under `root`.
 * @param {string} [root]
 */
export function bundlePaths (root = REPO) {
  const dir = join(root, 'dist')
  return { dir, main: join(dir, 'flotilla.js'), polyfill: join(dir, 'polyfill.js') }
}

/**
 * A hash of what every source file looks like on disk now.
 * @param {string} [root]
 * @returns {string}
 */
export function sourceFingerprint (root = REPO) {
  const hash = createHash('sha256')
  const add = (path) => {
    let line
    try {
      const s = statSync(path)
      line = `${relative(root, path)}\0${s.size}\0${s.mtimeMs}\0${s.ctimeMs}\0${s.ino}\n`
    } catch (err) {
      if (err.code !== 'ENOENT') throw err
      line = `${relative(root, path)}\0missing\n`
    }
    hash.update(line)
  }
  const walk = (dir) => {
    let entries
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch (err) {
      if (err.code === 'ENOENT') return
      throw err
    }
    // readdir order is the file system's; sort so equal trees give equal fingerprints.
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const e of entries) {
      const path = join(dir, e.name)
      if (e.isDirectory()) walk(path)
      else if (SOURCE_NAME.test(e.name)) add(path)
    }
  }
  for (const d of SOURCE_DIRS) walk(join(root, d))
  for (const f of SOURCE_FILES) add(join(root, f))
  return hash.digest('hex').slice(0, 32)
}

/**
 * The fingerprint the bundle under `root` was built from, or null when there is none.
 * @param {string} [root]
 * @returns {string | null}
 */
export function bundleFingerprint (root = REPO) {
  let fd
  try {
    fd = openSync(bundlePaths(root).main, 'r')
  } catch {
    // Missing, or unreadable (dist/ not a directory, no permission): there is no usable bundle.
    return null
  }
  try {
    const buf = Buffer.alloc(HEADER.length + 64)
    const n = readSync(fd, buf, 0, buf.length, 0)
    const first = buf.subarray(0, n).toString('utf8').split('\n', 1)[0] ?? ''
    return first.startsWith(HEADER) ? first.slice(HEADER.length).trim() : null
  } finally {
    closeSync(fd)
  }
}

/**
 * True when the bundle under `root` was built from the sources as they are now.
 * @param {string} [root]
 */
export function isBundleFresh (root = REPO) {
  return bundleFingerprint(root) === sourceFingerprint(root)
}

/**
 * Build the bundle under `root` (esbuild's JS API, a fraction of a second).
 * @param {string} [root]
 * @returns {Promise<void>}
 */
export async function buildBundle (root = REPO) {
  const fingerprint = sourceFingerprint(root)
  const paths = bundlePaths(root)
  // Loaded only here: running the bundle never needs esbuild.
  const esbuild = await import('esbuild')
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { flotilla: join(root, 'src/cli/main.ts'), polyfill: join(root, 'polyfill.ts') },
    outdir: paths.dir,
    bundle: true,
    format: 'esm',
    splitting: true,
    chunkNames: 'chunk-[hash]',
    platform: 'node',
    target: 'node20',
    // node_modules stay where they are: imported at run time as before, native addons included.
    packages: 'external',
    // Stack traces point at the .ts sources; without sourcesContent the map Node loads stays small.
    sourcemap: 'linked',
    sourcesContent: false,
    // Class and function names survive (errors and logs print them).
    keepNames: true,
    banner: { js: `${HEADER}${fingerprint}` },
    logLevel: 'silent',
    write: false
  })
  mkdirSync(paths.dir, { recursive: true })
  const tag = `${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const staged = []
  try {
    for (const file of result.outputFiles) {
      const tmp = `${file.path}.${tag}`
      writeFileSync(tmp, file.contents)
      staged.push({ tmp, path: file.path })
    }
    // Chunks before the entries that import them; dist/flotilla.js last: its header is what
    // says "built from these sources".
    const rank = (path) => path === paths.main ? 2 : CHUNK_NAME.test(basename(path)) ? 0 : 1
    staged.sort((a, b) => rank(a.path) - rank(b.path))
    for (const s of staged) renameSync(s.tmp, s.path)
  } catch (err) {
    for (const s of staged) rmSync(s.tmp, { force: true })
    throw err
  }
  removeStaleChunks(paths.dir, new Set(result.outputFiles.map((f) => basename(f.path))))
}

/**
 * Remove chunks of earlier builds that no build has written for a while.
 * @param {string} dir
 * @param {Set<string>} keep
 */
function removeStaleChunks (dir, keep) {
  const now = Date.now()
  for (const name of readdirSync(dir)) {
    if (keep.has(name) || !(CHUNK_NAME.test(name) || /\.tmp$/.test(name))) continue
    const path = join(dir, name)
    try {
      if (now - statSync(path).mtimeMs > STALE_CHUNK_MS) rmSync(path, { force: true })
    } catch (err) {
      if (err.code !== 'ENOENT') throw err
    }
  }
}

/**
 * The first line of a build error, for a one-line notice.
 * @param {unknown} err
 * @returns {string}
 */
export function describeBuildError (err) {
  const first = err?.errors?.[0]
  if (first !== undefined) {
    const at = first.location !== null && first.location !== undefined ? `${first.location.file}:${first.location.line}: ` : ''
    return `${at}${first.text}`
  }
  return String(err?.message ?? err).split('\n', 1)[0]
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const ifStale = process.argv.includes('--if-stale')
  try {
    if (ifStale && isBundleFresh()) process.exit(0)
    const started = performance.now()
    await buildBundle()
    if (!ifStale) process.stdout.write(`built ${relative(process.cwd(), bundlePaths().main) || basename(bundlePaths().main)} in ${Math.round(performance.now() - started)} ms\n`)
  } catch (err) {
    process.stderr.write(`build failed: ${describeBuildError(err)}\n`)
    process.exit(1)
  }
}
