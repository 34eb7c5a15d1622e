// Argument parsing: kubectl-style flag syntax, and finding the verb among global flags.

import { describe, expect, it } from 'vitest'
import { CONNECTION_FLAGS, parseArgs, type FlagSpec } from '../../../src/cli/args.ts'
import { UsageError } from '../../../src/cli/errors.ts'
import { findVerb } from '../../../src/cli/main.ts'

const SPECS: FlagSpec[] = [
  { name: 'all-namespaces', short: 'A', type: 'boolean', description: '' },
  { name: 'output', short: 'o', type: 'string', description: '' },
  { name: 'filename', short: 'f', type: 'string', multiple: true, description: '' },
  ...CONNECTION_FLAGS
]

describe('parseArgs', () => {
  it('accepts every kubectl spelling of a value flag', () => {
    for (const argv of [['-n', 'demo'], ['-n=demo'], ['-ndemo'], ['--namespace', 'demo'], ['--namespace=demo']]) {
      expect(parseArgs(argv, SPECS).string('namespace')).toBe('demo')
    }
  })

  it('keeps positionals in order around flags', () => {
    const a = parseArgs(['pods', '-n', 'x', 'web', '-A', 'db'], SPECS)
    expect(a.positionals).toEqual(['pods', 'web', 'db'])
    expect(a.bool('all-namespaces')).toBe(true)
    expect(a.string('namespace')).toBe('x')
  })

  it('collects repeated values of a multiple flag; the last wins otherwise', () => {
    const a = parseArgs(['-f', 'a.yaml', '--filename=b.yaml', '-o', 'json', '-o', 'yaml'], SPECS)
    expect(a.strings('filename')).toEqual(['a.yaml', 'b.yaml'])
    expect(a.string('output')).toBe('yaml')
  })

  it('treats - as a positional and everything after -- as positionals', () => {
    expect(parseArgs(['-f', '-'], SPECS).strings('filename')).toEqual(['-'])
    expect(parseArgs(['get', '--', '-A'], SPECS).positionals).toEqual(['get', '-A'])
  })

  it('reads booleans written as --flag=true and --flag=false', () => {
    expect(parseArgs(['--all-namespaces=true'], SPECS).bool('all-namespaces')).toBe(true)
    expect(parseArgs(['-A', '--all-namespaces=false'], SPECS).bool('all-namespaces')).toBe(false)
  })

  it('rejects unknown flags and missing values with a UsageError naming the verb', () => {
    expect(() => parseArgs(['--bogus'], SPECS, 'get')).toThrow(UsageError)
    expect(() => parseArgs(['--bogus'], SPECS, 'get')).toThrow('unknown flag: --bogus')
    expect(() => parseArgs(['-n'], SPECS, 'get')).toThrow('flag needs an argument: -n')
    try {
      parseArgs(['-x'], SPECS, 'get')
    } catch (err) {
      expect((err as UsageError).verb).toBe('get')
    }
  })
})

describe('findVerb', () => {
  it('skips global flags and their values before the verb', () => {
    expect(findVerb(['get', 'pods'])).toEqual({ name: 'get', index: 0 })
    expect(findVerb(['-n', 'demo', 'get', 'pods'])).toEqual({ name: 'get', index: 2 })
    expect(findVerb(['--kubeconfig', '/k', '--server=http://x', 'apply', '-f', 'a'])).toEqual({ name: 'apply', index: 3 })
    expect(findVerb(['--help'])).toBeUndefined()
  })
})
