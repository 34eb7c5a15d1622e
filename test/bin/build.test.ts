// The bundle bin/flotilla.js runs (bin/build.js): built from the sources, never stale, safe to
// build from several processes at once, and a failed build falls back to tsx. Each test builds
// a small project of its own in a temp dir (the same layout as this repository, its own
// bin/flotilla.js and bin/build.js, node_modules linked), never the repository's dist/.

import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { REPO, buildBundle, bundleFingerprint, bundlePaths, isBundleFresh, sourceFingerprint } from '../../bin/build.js'

let root = ''

/** A project whose CLI prints its arguments and a value from raft/ and from a lazily loaded verb. */
function makeProject (): string {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-build-test-'))
  const write = (path: string, text: string): void => {
    mkdirSync(join(dir, path, '..'), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
  write('package.json', '{ "type": "module" }\n')
  write('tsconfig.json', '{ "compilerOptions": { "target": "ES2022", "verbatimModuleSyntax": true } }\n')
  write('polyfill.ts', '(globalThis as { polyfilled?: boolean }).polyfilled = true\nexport {}\n')
  write('raft/answer.ts', 'export const answer: number = 42\n')
  write('net/unused.ts', 'export const unused = 1\n')
  write('src/cli/verb.ts', "export const verb = (): string => 'lazy'\n")
  write('src/cli/main.ts', [
    "import { answer } from '../../raft/answer.ts'",
    'interface IO { stdout: { write: (s: string) => void } }',
    'export async function main (argv: string[], io: IO): Promise<number> {',
    "  const { verb } = await import('./verb.ts')",
    "  const polyfilled = (globalThis as { polyfilled?: boolean }).polyfilled === true",
    "  io.stdout.write(`main ${argv.join(' ')} answer=${answer} verb=${verb()} polyfilled=${polyfilled} from=${import.meta.url.includes('/dist/') ? 'dist' : 'src'}\\n`)",
    '  return 0',
    '}',
    ''
  ].join('\n'))
  mkdirSync(join(dir, 'bin'))
  cpSync(join(REPO, 'bin', 'flotilla.js'), join(dir, 'bin', 'flotilla.js'))
  cpSync(join(REPO, 'bin', 'build.js'), join(dir, 'bin', 'build.js'))
  cpSync(join(REPO, 'bin', 'agent-launch.js'), join(dir, 'bin', 'agent-launch.js'))
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'))
  return dir
}

function runBin (dir: string, args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(dir, 'bin', 'flotilla.js'), ...args], { cwd: dir, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr })
    })
  })
}

/** Move a file's mtime (and so the fingerprint) without changing its content. */
function touch (path: string, seconds: number): void {
  const t = statSync(path).mtimeMs / 1000 + seconds
  utimesSync(path, t, t)
}

beforeEach(() => { root = makeProject() })
afterEach(() => { rmSync(root, { recursive: true, force: true }) })

describe('bin/build.js', () => {
  it('builds a bundle that records the sources it was built from and runs them', async () => {
    expect(bundleFingerprint(root)).toBeNull()
    expect(isBundleFresh(root)).toBe(false)
    await buildBundle(root)
    expect(bundleFingerprint(root)).toBe(sourceFingerprint(root))
    expect(isBundleFresh(root)).toBe(true)
    const paths = bundlePaths(root)
    await import(pathToFileURL(paths.polyfill).href)
    const { main } = await import(pathToFileURL(paths.main).href) as { main: (argv: string[], io: { stdout: { write: (s: string) => void } }) => Promise<number> }
    let out = ''
    expect(await main(['x'], { stdout: { write: (s) => { out += s } } })).toBe(0)
    expect(out).toBe('main x answer=42 verb=lazy polyfilled=true from=dist\n')
  })

  it('counts as stale after an edit, a new file, a deleted file, or an mtime moved backwards', async () => {
    await buildBundle(root)
    const fresh = sourceFingerprint(root)
    const changes: Array<() => void> = [
      () => { writeFileSync(join(root, 'raft/answer.ts'), 'export const answer: number = 43\n') },
      () => { writeFileSync(join(root, 'net/new.ts'), 'export const n = 1\n') },
      () => { unlinkSync(join(root, 'net/unused.ts')) },
      () => { touch(join(root, 'src/cli/verb.ts'), -3600) },
      () => { touch(join(root, 'polyfill.ts'), 5) }
    ]
    for (const change of changes) {
      change()
      expect(isBundleFresh(root)).toBe(false)
      await buildBundle(root)
      expect(isBundleFresh(root)).toBe(true)
    }
    expect(sourceFingerprint(root)).not.toBe(fresh)
  })

  it('ignores files that are not sources (editor swap files, notes)', async () => {
    await buildBundle(root)
    writeFileSync(join(root, 'src/cli/.main.ts.swp'), 'x')
    writeFileSync(join(root, 'raft/NOTES.md'), 'x')
    expect(isBundleFresh(root)).toBe(true)
  })

  it('leaves a whole bundle and no temp files when several processes build at once', async () => {
    await Promise.all(Array.from({ length: 4 }, async () => {
      await new Promise<void>((resolve, reject) => {
        execFile(process.execPath, [join(root, 'bin', 'build.js')], { cwd: root }, (err) => { if (err === null) resolve(); else reject(err) })
      })
    }))
    expect(isBundleFresh(root)).toBe(true)
    expect(readdirSync(bundlePaths(root).dir).filter((n) => n.endsWith('.tmp'))).toEqual([])
    const r = await runBin(root, ['y'])
    expect(r).toMatchObject({ code: 0, stderr: '', stdout: 'main y answer=42 verb=lazy polyfilled=true from=dist\n' })
  })
})

describe('bin/flotilla.js', () => {
  it('builds a missing or stale bundle before running it, silently', async () => {
    const first = await runBin(root, ['a'])
    expect(first).toMatchObject({ code: 0, stderr: '', stdout: 'main a answer=42 verb=lazy polyfilled=true from=dist\n' })
    writeFileSync(join(root, 'raft/answer.ts'), 'export const answer: number = 7\n')
    const second = await runBin(root, ['b'])
    expect(second).toMatchObject({ code: 0, stderr: '', stdout: 'main b answer=7 verb=lazy polyfilled=true from=dist\n' })
    expect(isBundleFresh(root)).toBe(true)
  })

  it('runs the sources through tsx, with a one-line notice, when the bundle cannot be built', async () => {
    writeFileSync(join(root, 'dist'), 'a file where the bundle directory should be\n')
    const r = await runBin(root, ['c'])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('main c answer=42 verb=lazy polyfilled=true from=src\n')
    expect(r.stderr).toMatch(/^flotilla: could not build dist\/flotilla\.js \(.+\); running the TypeScript sources with tsx\n$/)
  })
})
