#!/usr/bin/env node
// The `flotilla` executable: registers tsx so the TypeScript sources run directly, applies the
// Node 20 polyfill, and hands the arguments to the CLI. Imports are dynamic so that they run
// after tsx is registered.

import { register } from 'tsx/esm/api'

register()

// `flotilla get pods | head` closes the pipe early; that is not an error.
process.stdout.on('error', err => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw err
})

await import('../polyfill.ts')
const { main } = await import('../src/cli/main.ts')
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr })
