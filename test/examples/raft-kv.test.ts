// The raft-kv example: its state machine on its own, then the whole demo scenario in-process
// (three nodes on LevelLogStore and a MemoryNetwork, with a shorter tick so it runs fast).

import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { KvStore, encodeCommand, type KvCommand } from '../../examples/raft-kv/kv-store.ts'
import { runDemo } from '../../examples/raft-kv/main.ts'
import type { Entry } from '../../raft/types.ts'

const entries = (commands: readonly KvCommand[], from = 1): Entry[] =>
  commands.map((command, i) => ({ term: 1, index: from + i, data: encodeCommand(command) }))

describe('KvStore', () => {
  it('applies set and delete in log order and returns each key\'s previous value', () => {
    const kv = new KvStore()
    const results = kv.apply(entries([
      { op: 'set', key: 'k', value: '1' },
      { op: 'set', key: 'k', value: '2' },
      { op: 'delete', key: 'k' },
      { op: 'set', key: 'j', value: 'x' }
    ]))
    expect(results).toEqual([null, '1', '2', null])
    expect(kv.toObject()).toEqual({ j: 'x' })
  })

  it('answers data that is not a command with an Error and changes nothing, so every node stays alike', () => {
    const kv = new KvStore()
    const [result] = kv.apply([{ term: 1, index: 7, data: Uint8Array.of(1, 2, 3) }])
    expect(result).toBeInstanceOf(Error)
    expect((result as Error).message).toMatch(/Entry 7 is not a key-value command/)
    expect(kv.toObject()).toEqual({})
  })

  it('restores from its snapshot to the same map, replacing what was there', () => {
    const kv = new KvStore()
    kv.apply(entries([{ op: 'set', key: 'a', value: '1' }, { op: 'set', key: 'b', value: '2' }]))
    const other = new KvStore()
    other.apply(entries([{ op: 'set', key: 'stale', value: 'x' }]))
    other.restore(kv.snapshot())
    expect(other.toObject()).toEqual({ a: '1', b: '2' })
    expect(() => { other.restore(encodeCommand({ op: 'delete', key: 'a' })) }).toThrow(/not a list of \[key, value\] string pairs/)
  })
})

describe('raft-kv demo', () => {
  it('elects a leader, fails over when it is isolated, and catches it up after the heal', async () => {
    const lines: string[] = []
    const result = await runDemo({ tickMs: 20, log: (line) => { lines.push(line) } })
    const text = lines.join('\n')

    expect(result.secondLeader).not.toBe(result.firstLeader)
    // Every node, the old leader included, ends with the same map.
    for (const id of ['a', 'b', 'c']) expect(result.maps[id]).toEqual({ color: 'green', shape: 'circle' })
    expect(text).toMatch(new RegExp(`^leader ${result.firstLeader} elected in \\d+ ms`, 'm'))
    expect(text).toMatch(/^get color on follower [abc]: blue \(read index 7, \d+ ms\)$/m)
    expect(text).toMatch(new RegExp(`^new leader ${result.secondLeader} elected in \\d+ ms`, 'm'))
    expect(text).toMatch(new RegExp(`^healed: ${result.firstLeader} follows ${result.secondLeader} and caught up in \\d+ ms: color=green shape=circle$`, 'm'))
    expect(text).not.toMatch(/failed/)
    // The temp dir holding the logs is gone.
    const removed = /and removed (\S+)$/.exec(lines.at(-1) ?? '')?.[1]
    expect(removed).toBeDefined()
    expect(existsSync(removed as string)).toBe(false)
  })

  it('with a data dir, keeps the logs, and a second run starts from the map the first left', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'raft-kv-test-'))
    try {
      await runDemo({ dataDir: dir, tickMs: 20, log: () => {} })
      const lines: string[] = []
      const again = await runDemo({ dataDir: dir, tickMs: 20, log: (line) => { lines.push(line) } })
      expect(lines).toContain('restored from the logs on disk: color=green shape=circle')
      expect(lines.at(-1)).toBe(`stopped 3 nodes; logs kept in ${dir}`)
      for (const id of ['a', 'b', 'c']) expect(again.maps[id]).toEqual({ color: 'green', shape: 'circle' })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
